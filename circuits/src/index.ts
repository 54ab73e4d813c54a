/** The zkML library: compile(onnx) → artifacts, setup, prove(model, input, jobId, prover), verify. */
export {
  compileModel,
  inspectModel,
  loadCompiledModel,
  type CompiledModel,
  type CompileModelParameters,
  type InspectedModel,
} from './compileModel';
export { FIELD_MODULUS, toField } from './field';
export { setupModel, ptauPowerFor, type SetupModelParameters, type SetupModelReturnType } from './setupModel';
export {
  circuitInput,
  proveInference,
  inputCommitmentOf,
  outputCommitmentOf,
  type CircuitInput,
  type InferenceOutput,
  type ProveInferenceParameters,
  type ProveInferenceReturnType,
} from './proveInference';
export {
  checkInputOpening,
  checkOutputOpening,
  type CheckInputOpeningParameters,
  type CheckOutputOpeningParameters,
} from './checkOpening';
export { releaseCurves, verifyInference, type VerifyInferenceParameters } from './verifyInference';
export { evaluateQuantized, quantizeInput } from './quantize/evaluateQuantized';
export { INPUT_BITS_RANGE, quantize } from './quantize/quantize';
export { commitVector, COMMIT_DOMAIN, randomSalt } from './commit/commitVector';
export { checkVerificationKey, loadVerificationKey, G2_GENERATOR } from './setup/checkVerificationKey';
export { P as BN254_P } from './setup/bn254';
export {
  applyBeacon,
  contributePhase2,
  startPhase2,
  verifyPhase2,
  SetupVerificationError,
  type Phase2Contribution,
} from './setup/phase2';
export { ensurePtau } from './toolchain/ptau';
export { developmentSetup, type DevelopmentSetupParameters, type DevelopmentSetupReturnType } from './setup/developmentSetup';
export {
  assertSetupRegistrable,
  zkeyContributionCount,
  DevelopmentSetupRefusedError,
  type AssertSetupRegistrableParameters,
} from './setup/assertSetupRegistrable';
export { zkeyVerificationKey } from './setup/zkeyVerificationKey';
export { writeSyntheticCircuit, type WriteSyntheticCircuitParameters } from './setup/syntheticCircuit';
export { sharedProver, ProvingFailedError, Groth16ProverProcess } from './toolchain/prover';
export { buildModelR1cs, calculateWitness, modelWitness, type BuildModelR1csReturnType } from './r1cs/modelCircuit';
export { ConstraintUnsatisfiedError, WitnessOutOfRangeError } from './r1cs/constraintSystem';
export { encodeR1cs, encodeWtns } from './r1cs/binary';
export { compileVerifier, type CompiledVerifier } from './toolchain/compileVerifier';
export { readModel } from './onnx/readModel';
export { writeModel } from './onnx/writeModel';
export { lowerGraph, SUPPORTED_OPS } from './ir/lowerGraph';
export { argmax, evaluateFloat } from './ir/evaluateFloat';
export type { Program } from './ir/types';
export type { ModelInterface, QuantProgram } from './quantize/types';
export { modelInterfaceOf } from './model/modelInterfaceOf';
export { loadModelFiles, type LoadModelFilesParameters } from './model/loadModelFiles';
export { programFromJson, programToJson } from './model/serialize';
export { modelPaths, type ModelPaths } from './paths';
export { REFERENCE_MODELS, referenceCompileParameters, type ReferenceModel } from '../models/referenceModels';
export { loadMnist } from '../models/mnistData';
export { isDevelopmentSetup, type ModelManifest, type ModelSetup } from './model/manifest';
export * from './errors';
export {
  BATCH_PUBLIC_SIGNALS,
  buildBatchR1cs,
  synthesizeBatch,
  type BatchSlot,
  type SynthesizeBatchParameters,
  type SynthesizeBatchReturnType,
} from './batch/batchCircuit';
export { batchHash, type BatchJob } from './batch/batchHash';
export {
  BATCH_SIZE_RANGE,
  batchPaths,
  compileBatch,
  proveBatch,
  setupBatch,
  type BatchManifest,
  type CompiledBatch,
  type ProveBatchOptions,
  type ProveBatchReturnType,
} from './batch/compileBatch';
