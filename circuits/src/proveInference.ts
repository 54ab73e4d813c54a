import type { Groth16Proof } from 'snarkjs';

import { COMMIT_DOMAIN, commitVector, randomSalt } from './commit/commitVector';
import type { CompiledModel } from './compileModel';
import { InvalidInputError } from './errors';
import { toField } from './field';
import { evaluateQuantized, quantizeInput } from './quantize/evaluateQuantized';
import type { CircuitInput } from './r1cs/modelCircuit';
import type { ModelInterface } from './quantize/types';
import { sharedProver, type Groth16ProverProcess } from './toolchain/prover';

/** The opening of an output commitment: what the prover hands the requester beside the proof. */
export type InferenceOutput = {
  /** The circuit's output integers (logits at `scale`), then decoded floats (`integers[i] / 2^scale`). */
  integers: number[];
  scale: number;
  values: number[];
  /** Index of the largest output (lowest index on ties). */
  argmax: number;
  /** The output commitment's blinding salt (decimal field element), chosen by the prover. */
  salt: string;
};

export type ProveInferenceParameters = {
  model: Pick<CompiledModel, 'manifest' | 'program' | 'paths'>;
  input: number[];
  /** The requester's blinding salt of the input commitment (decimal or 0x string, or bigint). */
  inputSalt: bigint | string;
  /** The output commitment's salt; a fresh random one by default. */
  outputSalt?: bigint | string;
  /** Job id as a field element (decimal or 0x string, or bigint). */
  jobId: bigint | string;
  /** The prover's address: only this prover can use the proof. */
  prover: string;
  /** The child process that proves (one per concurrent proof); the shared one by default. */
  proverProcess?: Groth16ProverProcess;
};

export type ProveInferenceReturnType = {
  output: InferenceOutput;
  inputCommitment: string;
  outputCommitment: string;
  proof: Groth16Proof;
  publicSignals: string[];
};

/** The output vector the circuit commits to: the logits, then the argmax index, under the output salt. */
export function outputCommitmentOf(
  model: { program: Pick<ModelInterface, 'outputBits'> },
  output: Pick<InferenceOutput, 'integers' | 'argmax' | 'salt'>,
): bigint {
  return commitVector(
    [...output.integers, output.argmax],
    model.program.outputBits,
    COMMIT_DOMAIN.output,
    toField(output.salt, 'output salt'),
  );
}

/** The input commitment a requester signs: the quantized input under the requester's salt. */
export function inputCommitmentOf(
  model: { program: Pick<ModelInterface, 'inputShape' | 'inputScale' | 'inputBits' | 'inputMaxAbs'> },
  input: number[],
  salt: bigint | string,
): bigint {
  return commitVector(
    quantizeInput(model.program, input),
    model.program.inputBits,
    COMMIT_DOMAIN.input,
    toField(salt, 'input salt'),
  );
}

export type { CircuitInput };

/**
 * The circuit's inputs for the quantized input `xq` (under `inputSalt`) claimed to produce `output` (logits then
 * argmax, under its salt), for one job and prover. The circuit is satisfiable exactly when the claim is what the
 * model computes.
 */
export function circuitInput(
  model: { manifest: Pick<CompiledModel['manifest'], 'modelId'>; program: CompiledModel['program'] },
  xq: number[],
  inputSalt: bigint,
  output: Pick<InferenceOutput, 'integers' | 'argmax' | 'salt'>,
  jobId: bigint,
  prover: bigint,
): CircuitInput {
  return {
    modelId: model.manifest.modelId,
    inputCommitment: commitVector(xq, model.program.inputBits, COMMIT_DOMAIN.input, inputSalt).toString(),
    outputCommitment: outputCommitmentOf(model, output).toString(),
    jobId: jobId.toString(),
    prover: prover.toString(),
    x: xq.map(String),
    inputSalt: inputSalt.toString(),
    outputSalt: toField(output.salt, 'output salt').toString(),
  };
}

/**
 * Runs the model in fixed point (the project's evaluator, which rejects bad input before any proving), then, in the
 * prover process, computes the circuit's witness and proves that the registered circuit maps this input to this
 * output for this job and prover.
 */
export async function proveInference(parameters: ProveInferenceParameters): Promise<ProveInferenceReturnType> {
  const { model } = parameters;
  if (!/^0x[0-9a-fA-F]{40}$/.test(parameters.prover))
    throw new InvalidInputError(`prover '${parameters.prover}' is not an address`);
  const jobId = toField(parameters.jobId, 'jobId');
  const inputSalt = toField(parameters.inputSalt, 'input salt');
  const outputSalt = toField(parameters.outputSalt ?? randomSalt(), 'output salt');
  const xq = quantizeInput(model.program, parameters.input);
  const evaluated = evaluateQuantized(model.program, xq);
  const output: InferenceOutput = {
    integers: evaluated.output,
    scale: model.program.outputScale,
    values: evaluated.output.map((v) => v / 2 ** model.program.outputScale),
    argmax: evaluated.argmax,
    salt: outputSalt.toString(),
  };
  const input = circuitInput(model, xq, inputSalt, output, jobId, BigInt(parameters.prover));
  const { proof, publicSignals } = await (parameters.proverProcess ?? sharedProver()).prove(input, model.paths);
  return { output, inputCommitment: input.inputCommitment, outputCommitment: input.outputCommitment, proof, publicSignals };
}
