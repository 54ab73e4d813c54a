/** The zkML library: compile(onnx) → artifacts, setup, prove(model, input, jobId, prover), verify. */
export { compileModel, loadCompiledModel, FIELD_MODULUS, type CompiledModel, type CompileModelParameters } from './compileModel';
export { setupModel, ptauPowerFor, type SetupModelParameters } from './setupModel';
export {
  circuitInput,
  proveInference,
  inputCommitmentOf,
  outputCommitmentOf,
  type InferenceOutput,
  type ProveInferenceParameters,
} from './proveInference';
export { releaseCurves, verifyInference, type VerifyInferenceParameters } from './verifyInference';
export { evaluateQuantized, quantizeInput } from './quantize/evaluateQuantized';
export { commitVector, COMMIT_DOMAIN } from './commit/commitVector';
export { sharedProver } from './toolchain/prover';
export type { ModelManifest } from './model/manifest';
export * from './errors';
