/**
 * @verity/core: the small kernel every part may use. Error base classes and shared codes, the logger, typed env
 * parsing, the deployment file, database bootstrap. Nothing chain-library- or proof-specific lives here.
 */
export { BaseError, InvalidArgumentError, ServiceHaltedError, type BaseErrorParameters, type ErrorSeverity } from './errors/base';
export {
  ChainUnavailableError,
  ContractRevertedError,
  DatabaseUnavailableError,
  InsufficientFundsError,
  NonceTooLowError,
} from './errors/chain';
export { configureLogger, createLogger, type CreateLoggerParameters, type Logger } from './logger';
export { parseEnv } from './parseEnv';
export {
  DEVNET_L1_CHAIN_ID,
  deploymentSchema,
  l1ContractsSchema,
  l2ContractsSchema,
  readDeployment,
  tokenSchema,
  verityContractsSchema,
  writeDeployment,
  type Deployment,
  type L1Contracts,
  type L2Contracts,
  type TokenAddresses,
  type VerityContracts,
} from './deployment';
export { dropDatabase, ensureDatabase } from './database';
export {
  startEmbeddedPostgres,
  type StartEmbeddedPostgresErrorType,
  type StartEmbeddedPostgresParameters,
  type StartEmbeddedPostgresReturnType,
} from './embeddedPostgres';
export { EmbeddedDatabaseFailedError, EmbeddedDatabaseLockedError, type EmbeddedDatabaseStage } from './errors/embeddedDatabase';
export { backoffDelay, type BackoffDelayParameters } from './backoffDelay';
export { HEALTHY, PollLoop, type ClassifyError, type PollLoopHealth, type PollLoopParameters } from './pollLoop';
export { nestLogger } from './nestLogger';
export { loadDotEnv } from './loadDotEnv';
