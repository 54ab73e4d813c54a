import { COMMIT_DOMAIN } from '../commit/commitVector';
import { InvalidInputError } from '../errors';
import { readInputs, size } from '../ir/types';
import type { QuantLayer, QuantProgram } from '../quantize/types';
import { ConstraintSystem, ConstraintUnsatisfiedError, lcAddTerm, lcOf, mod, type Lc } from './constraintSystem';
import { argmax, maxN, mul, prelu, pwl, relu, rescale, type Sig } from './gadgets';
import { commitGadget, fieldWire, type FieldSig } from './poseidonGadget';

/** The values a proof is made for: the quantized input, both salts, the job and the prover (field elements). */
export type ModelWitnessInput = {
  xq: readonly number[];
  inputSalt: bigint;
  outputSalt: bigint;
  jobId: bigint;
  prover: bigint;
  /**
   * Commitments claimed from outside (tests play a cheating prover with them); by default the circuit's own, so
   * the witness always satisfies the circuit.
   */
  claimed?: { inputCommitment?: bigint; outputCommitment?: bigint };
};

export const PUBLIC_SIGNALS = ['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover'] as const;

export type SynthesizeModelReturnType = {
  cs: ConstraintSystem;
  /** The last layer's integers and their argmax, as the circuit computed them. */
  output: number[];
  argmax: number;
  inputCommitment: bigint;
  outputCommitment: bigint;
};

function synthesizeLayer(cs: ConstraintSystem, layer: QuantLayer, l: number, x: ArrayLike<Sig>): Sig[] {
  const what = (i: number) => `layer ${l} (${layer.name}) element ${i}`;
  switch (layer.kind) {
    case 'affine':
      return layer.rows.map((row, i) => {
        let acc = row.b;
        for (let t = 0; t < row.idx.length; t++) acc += row.w[t]! * x[row.idx[t]!]!.v;
        let lc: Lc | undefined;
        if (cs.recording) {
          lc = new Map([[0, mod(BigInt(row.b))]]);
          for (let t = 0; t < row.idx.length; t++) lcAddTerm(lc, x[row.idx[t]!]!.w, BigInt(row.w[t]!));
        }
        return rescale(cs, lc, acc, layer.shift, layer.bits, layer.relu, what(i));
      });
    case 'relu':
      return Array.from(x, (s, i) => relu(cs, s, layer.bits, what(i)));
    case 'max':
      return layer.groups.map((g, i) =>
        maxN(
          cs,
          Array.from(g, (j) => x[j]!),
          layer.bits,
          what(i),
        ),
      );
    case 'permute':
      return Array.from(layer.map, (j) => x[j]!);
    case 'prelu':
      return Array.from(x, (s, i) => prelu(cs, s, layer.inBits, layer.slope[i]!, layer.shift, layer.bits, what(i)));
    case 'pwl':
      return Array.from(x, (s, i) => pwl(cs, s, layer, what(i)));
    case 'mul':
      return Array.from(layer.left, (a, i) => mul(cs, x[a]!, x[layer.right[i]!]!, layer.shift, layer.bits, what(i)));
  }
}

export type SynthesizeInferenceReturnType = {
  output: Sig[];
  argmax: Sig;
  inputCommitment: FieldSig;
  outputCommitment: FieldSig;
};

/**
 * One inference in constraints: the input commitment, every layer, the argmax and the output commitment. Shared by
 * the single-job circuit and the batch circuit (circuits/src/batch), which differ only in what they make public.
 */
export function synthesizeInference(
  cs: ConstraintSystem,
  program: QuantProgram,
  x: Sig[],
  inputSalt: FieldSig,
  outputSalt: FieldSig,
): SynthesizeInferenceReturnType {
  const inputCommitment = commitGadget(cs, x, program.inputBits, COMMIT_DOMAIN.input, inputSalt, 'input commitment');
  const tensors: Sig[][] = [x];
  program.layers.forEach((layer, l) => tensors.push(synthesizeLayer(cs, layer, l, readInputs(tensors, layer, l))));
  const output = tensors[tensors.length - 1]!;
  const best = argmax(cs, output, program.outputBits, 'argmax');
  const outputCommitment = commitGadget(
    cs,
    [...output, best],
    program.outputBits,
    COMMIT_DOMAIN.output,
    outputSalt,
    'output commitment',
  );
  return { output, argmax: best, inputCommitment, outputCommitment };
}

/**
 * The circuit of a quantized model, built from TypeScript (circuits/src/r1cs), with its witness for one input.
 * Public signals, in this order: modelId, inputCommitment, outputCommitment, jobId, prover. The input tensor and
 * the output (logits, then the argmax index) are private and bound through hiding Poseidon commitments, each
 * blinded by a private salt; jobId and prover are bound by the proof, so a proof cannot be replayed for another job
 * or prover. Weights are constants: the circuit is the model. Recording builds the r1cs (the same for every input);
 * witness mode only computes the values the prover needs.
 */
export function synthesizeModel(
  program: QuantProgram,
  modelId: bigint,
  input: ModelWitnessInput,
  mode: 'record' | 'witness',
): SynthesizeModelReturnType {
  const n0 = size(program.inputShape);
  if (input.xq.length !== n0) throw new InvalidInputError(`the circuit takes ${n0} input values, got ${input.xq.length}`);
  const cs = new ConstraintSystem(mode);
  // The commitments are filled in once computed (or claimed); they are only read by the final equalities.
  const [wModel, wIn, wOut, wJob, wProver] = [modelId, 0n, 0n, input.jobId, input.prover].map((v) => cs.publicInput(v)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const x: Sig[] = input.xq.map((v) => ({ w: cs.privateInput(v), v }));
  const inputSalt = fieldWire(cs, cs.privateInput(input.inputSalt));
  const outputSalt = fieldWire(cs, cs.privateInput(input.outputSalt));

  if (cs.recording) cs.enforceZero(lcAddTerm(lcOf(wModel), 0, -modelId), 'modelId is the model');
  // Squares tie jobId and prover into the constraint system (belt and braces: Groth16 already binds them).
  for (const w of [wJob, wProver]) {
    const square = cs.alloc(cs.values[w]! * cs.values[w]!);
    if (cs.recording) cs.enforce(lcOf(w), lcOf(w), lcOf(square), 'public signal squared');
  }

  const {
    output: a,
    argmax: best,
    inputCommitment,
    outputCommitment,
  } = synthesizeInference(cs, program, x, inputSalt, outputSalt);

  const bind = (wire: number, computed: typeof inputCommitment, claimed: bigint | undefined, what: string) => {
    cs.values[wire] = mod(claimed ?? computed.v);
    if (cs.recording) cs.enforceZero(lcAddTerm(new Map(computed.lc!), wire, -1n), what);
    else if (cs.values[wire] !== computed.v) throw new ConstraintUnsatisfiedError(what, -1);
  };
  bind(wIn, inputCommitment, input.claimed?.inputCommitment, 'the input commitment opens to the input');
  bind(wOut, outputCommitment, input.claimed?.outputCommitment, 'the output commitment opens to the output');
  return {
    cs,
    output: a.map((s) => s.v),
    argmax: best.v,
    inputCommitment: inputCommitment.v,
    outputCommitment: outputCommitment.v,
  };
}
