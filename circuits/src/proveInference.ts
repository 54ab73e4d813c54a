import type { Groth16Proof } from 'snarkjs';

import { COMMIT_DOMAIN, commitVector } from './commit/commitVector';
import type { CompiledModel } from './compileModel';
import { FIELD_MODULUS } from './compileModel';
import { InvalidInputError } from './errors';
import { evaluateQuantized, quantizeInput } from './quantize/evaluateQuantized';
import { sharedProver } from './toolchain/prover';

export type InferenceOutput = {
  /** The circuit's output integers (logits at `scale`), then decoded floats. */
  integers: number[];
  scale: number;
  values: number[];
  /** Index of the largest output. */
  argmax: number;
};

export type ProveInferenceParameters = {
  model: Pick<CompiledModel, 'manifest' | 'program' | 'paths'>;
  input: number[];
  /** Job id as a field element (decimal or 0x string, or bigint). */
  jobId: bigint | string;
  /** The prover's address: only this prover can use the proof. */
  prover: string;
};

export type ProveInferenceReturnType = {
  output: InferenceOutput;
  inputCommitment: string;
  outputCommitment: string;
  proof: Groth16Proof;
  publicSignals: string[];
};

function toField(value: bigint | string, what: string): bigint {
  let v: bigint;
  try {
    v = typeof value === 'bigint' ? value : BigInt(value);
  } catch {
    throw new InvalidInputError(`${what} '${String(value)}' is not an integer`);
  }
  if (v < 0n || v >= FIELD_MODULUS) throw new InvalidInputError(`${what} must lie in [0, field modulus)`);
  return v;
}

/** The output vector the circuit commits to: the logits, then the argmax index. */
export function outputCommitmentOf(
  model: Pick<CompiledModel, 'program'>,
  output: Pick<InferenceOutput, 'integers' | 'argmax'>,
): bigint {
  return commitVector([...output.integers, output.argmax], model.program.outputBits, COMMIT_DOMAIN.output);
}

export function inputCommitmentOf(model: Pick<CompiledModel, 'program'>, input: number[]): bigint {
  return commitVector(quantizeInput(model.program, input), model.program.inputBits, COMMIT_DOMAIN.input);
}

/** The circuit's input signals (decimal strings). */
export type CircuitInput = {
  modelId: string;
  inputCommitment: string;
  outputCommitment: string;
  jobId: string;
  prover: string;
  x: string[];
};

/**
 * The circuit's inputs for the quantized input `xq` claimed to produce `output` (logits then argmax), for one
 * job and prover. The circuit is satisfiable exactly when the claim is what the model computes.
 */
export function circuitInput(
  model: Pick<CompiledModel, 'manifest' | 'program'>,
  xq: number[],
  output: Pick<InferenceOutput, 'integers' | 'argmax'>,
  jobId: bigint,
  prover: bigint,
): CircuitInput {
  return {
    modelId: model.manifest.modelId,
    inputCommitment: commitVector(xq, model.program.inputBits, COMMIT_DOMAIN.input).toString(),
    outputCommitment: outputCommitmentOf(model, output).toString(),
    jobId: jobId.toString(),
    prover: prover.toString(),
    x: xq.map(String),
  };
}

/**
 * Runs the model in fixed point (the project's evaluator, which rejects bad input before any proving), then
 * proves in the prover process that the registered circuit maps this input to this output for this job and prover.
 */
export async function proveInference(parameters: ProveInferenceParameters): Promise<ProveInferenceReturnType> {
  const { model } = parameters;
  if (!/^0x[0-9a-fA-F]{40}$/.test(parameters.prover))
    throw new InvalidInputError(`prover '${parameters.prover}' is not an address`);
  const jobId = toField(parameters.jobId, 'jobId');
  const xq = quantizeInput(model.program, parameters.input);
  const evaluated = evaluateQuantized(model.program, xq);
  const output: InferenceOutput = {
    integers: evaluated.output,
    scale: model.program.outputScale,
    values: evaluated.output.map((v) => v / 2 ** model.program.outputScale),
    argmax: evaluated.argmax,
  };
  const input = circuitInput(model, xq, output, jobId, BigInt(parameters.prover));
  const { proof, publicSignals } = await sharedProver().prove(input, model.paths.wasm, model.paths.zkey);
  return { output, inputCommitment: input.inputCommitment, outputCommitment: input.outputCommitment, proof, publicSignals };
}
