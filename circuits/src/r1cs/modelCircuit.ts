import { InvalidInputError } from '../errors';
import { toField } from '../field';
import { size } from '../ir/types';
import type { QuantProgram } from '../quantize/types';
import { sourcesSha256 } from '../toolchain/sourcesSha256';
import { synthesizeModel, type SynthesizeModelReturnType } from './synthesizeModel';

/** The circuit's input signals (decimal strings), as a proof request carries them. */
export type CircuitInput = {
  modelId: string;
  inputCommitment: string;
  outputCommitment: string;
  jobId: string;
  prover: string;
  x: string[];
  inputSalt: string;
  outputSalt: string;
};

export type BuildModelR1csReturnType = { r1cs: Buffer; constraints: number; wires: number };

/**
 * The model's r1cs: the circuit is the same for every input, so it is recorded once on an all-zero input (always in
 * range: quantize sizes every layer for the whole declared input range). Each constraint is checked as it is
 * recorded.
 */
export function buildModelR1cs(program: QuantProgram, modelId: bigint): BuildModelR1csReturnType {
  const zero = { xq: new Array<number>(size(program.inputShape)).fill(0), inputSalt: 0n, outputSalt: 0n, jobId: 0n, prover: 0n };
  const { cs } = synthesizeModel(program, modelId, zero, 'record');
  return { r1cs: cs.r1cs(), constraints: cs.nConstraints, wires: cs.nWires };
}

/**
 * The witness for a circuit input: what the prover hands snarkjs. The public commitments are the claimed ones, so
 * a claim that the model does not compute (or a modelId of another model) fails here, before any proving. `record`
 * also checks every constraint as the r1cs states it (tests).
 */
export function modelWitness(
  program: QuantProgram,
  modelId: bigint,
  input: CircuitInput,
  mode: 'record' | 'witness' = 'witness',
): SynthesizeModelReturnType {
  if (toField(input.modelId, 'modelId') !== modelId)
    throw new InvalidInputError(`modelId ${input.modelId} is not this circuit's model (${modelId})`);
  return synthesizeModel(
    program,
    modelId,
    {
      xq: input.x.map((v, i) => {
        const n = Number(v);
        if (!/^-?[0-9]+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidInputError(`x[${i}] = '${v}' is not an integer`);
        return n;
      }),
      inputSalt: toField(input.inputSalt, 'input salt'),
      outputSalt: toField(input.outputSalt, 'output salt'),
      jobId: toField(input.jobId, 'jobId'),
      prover: toField(input.prover, 'prover'),
      claimed: {
        inputCommitment: toField(input.inputCommitment, 'input commitment'),
        outputCommitment: toField(input.outputCommitment, 'output commitment'),
      },
    },
    mode,
  );
}

/** Hash of the circuit builder's own source: a change to any gadget names a new circuit (and a new build dir). */
export const circuitBuilderSha256 = (): string => sourcesSha256(__dirname);

/**
 * The witness of a compiled model for a circuit input (tests and tools): throws ConstraintUnsatisfiedError when the
 * claim is not what the model computes. `record` checks every constraint as the r1cs states it.
 */
export async function calculateWitness(
  model: { program: QuantProgram; manifest: { modelId: string } },
  input: CircuitInput,
  mode: 'record' | 'witness' = 'witness',
): Promise<bigint[]> {
  return modelWitness(model.program, BigInt(model.manifest.modelId), input, mode).cs.values;
}
