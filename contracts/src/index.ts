/**
 * @verity/contracts: the Solidity sources' generated artifacts and typed ethers v6 bindings (TypeChain, built into
 * contracts/build by `npm run build:contracts`), the OP Bedrock artifacts we deploy, the project's one solc-js
 * invocation, and the ethers v6 error boundary for contract calls.
 */
export * from '../build/types';
export {
  BEDROCK_CONTRACTS,
  bedrockArtifactPath,
  loadBedrockArtifact,
  type BedrockArtifact,
  type BedrockContractName,
} from './bedrock';
export { compileSolidity, solcVersion, SolidityCompileError, type CompiledContract } from './compileSolidity';
export { chainErrorSeverity, toChainError, type ToChainErrorReturnType } from './chain/toChainError';
export { decodeRevert } from './chain/decodeRevert';
export {
  hashJobRequest,
  JOB_REQUEST_TYPES,
  jobIdFromDigest,
  jobIdOf,
  marketDomain,
  recoverJobRequestSigner,
  SNARK_SCALAR_FIELD,
  type JobRequest,
} from './jobRequest';
export {
  batchKeyWords,
  fromSolidityVerifyingKey,
  sameVerifyingKey,
  storedBatchKeyWords,
  toSolidityProof,
  toSolidityVerifyingKey,
  type SnarkjsProof,
  type SnarkjsVerificationKey,
  type SolidityProof,
  type SolidityVerifyingKey,
} from './groth16Encoding';
export {
  registerModelOnL1,
  type ModelRegistration,
  type RegisterModelOnL1Parameters,
  type RegisterModelOnL1ReturnType,
} from './registerModelOnL1';
