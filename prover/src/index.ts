/**
 * @verity/prover: the prover daemon. It reaches the sequencer over HTTP only and uses @verity/circuits as a
 * library; the CLI (`verity prover start`) and `npm run start:prover` run it.
 */
export { loadProverConfig, type ProverConfig } from './config';
export { ProverDaemon, type ProvedBatchRecord, type ProvedJobRecord, type ProverDaemonParameters } from './proverDaemon';
export {
  BatchProofRefusedError,
  proveBatchRequest,
  type ProveBatchRequestErrorType,
  type ProveBatchRequestParameters,
  type ProveBatchRequestReturnType,
} from './proveBatchRequest';
export {
  ARTIFACT_NAME,
  ArtifactRefusedError,
  SequencerApiError,
  SequencerClient,
  SequencerUnreachableError,
  type BatchProofJob,
  type LeasedBatchProof,
  type LeasedJob,
  type ModelView,
} from './sequencerClient';
export {
  checkRegistrationMessage,
  registrationMessage,
  RegistrationMessageRefusedError,
  type ProverMarket,
} from './registrationMessage';
export { ModelCache, type CachedBatch, type CachedModel } from './modelCache';
export { OnnxRunner, type ExecutionProvider } from './runModel';
