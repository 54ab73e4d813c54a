import { COMMIT_DOMAIN } from '../commit/commitVector';
import { InvalidInputError } from '../errors';
import { inputsOf, readInputs, size } from '../ir/types';
import type { QuantLayer, QuantProgram } from '../quantize/types';
import { ConstraintSystem, ConstraintUnsatisfiedError, lcAddTerm, lcOf, mod, type Lc } from './constraintSystem';
import { argmax, maxN, maxOf, mul, prelu, pwl, relu, rescale, type Sig } from './gadgets';
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

type AffineLayer = Extract<QuantLayer, { kind: 'affine' }>;
type MaxLayer = Extract<QuantLayer, { kind: 'max' }>;

/** An affine row's accumulator b + Σ w·x: its value, and (recording) its combination. */
function accumulator(cs: ConstraintSystem, row: AffineLayer['rows'][number], x: ArrayLike<Sig>): { v: number; lc?: Lc } {
  let v = row.b;
  for (let t = 0; t < row.idx.length; t++) v += row.w[t]! * x[row.idx[t]!]!.v;
  if (!cs.recording) return { v };
  const lc: Lc = new Map([[0, mod(BigInt(row.b))]]);
  for (let t = 0; t < row.idx.length; t++) lcAddTerm(lc, x[row.idx[t]!]!.w, BigInt(row.w[t]!));
  return { v, lc };
}

function synthesizeLayer(cs: ConstraintSystem, layer: QuantLayer, l: number, x: ArrayLike<Sig>): Sig[] {
  const what = (i: number) => `layer ${l} (${layer.name}) element ${i}`;
  switch (layer.kind) {
    case 'affine':
      return layer.rows.map((row, i) => {
        const acc = accumulator(cs, row, x);
        return rescale(cs, acc.lc, acc.v, layer.shift, layer.bits, layer.relu, what(i));
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

/** Constraints of one rescale (remainder and quotient bits, their two equalities, the ReLU's product). */
const rescaleCost = (layer: AffineLayer) => layer.shift + layer.bits + 2 + (layer.relu ? 1 : 0);
/** Constraints of one comparison of values of `bits` bits in max2 (the difference's bits, its equality, the choice). */
const compareCost = (bits: number) => bits + 3;

/**
 * Whether max-pooling layer l + 1 should read layer l's raw accumulators (see poolAccumulators): layer l is affine,
 * nothing else reads its output, and it is cheaper. With overlapping windows (each element in several) rescaling
 * every element first can be the cheaper way.
 */
export function poolsAccumulators(layers: readonly QuantLayer[], l: number): boolean {
  const [affine, max] = [layers[l], layers[l + 1]];
  if (affine?.kind !== 'affine' || max?.kind !== 'max') return false;
  const reads = (m: number) => inputsOf(layers[m]!, m).includes(l + 1);
  if (inputsOf(max, l + 1).join() !== String(l + 1)) return false;
  for (let m = l + 2; m < layers.length; m++) if (reads(m)) return false;
  const accBits = affine.bits + affine.shift;
  let pooled = 0;
  let separate = affine.rows.length * rescaleCost(affine);
  for (const g of max.groups) {
    pooled += (g.length - 1) * compareCost(accBits) + rescaleCost(affine);
    separate += (g.length - 1) * compareCost(max.bits);
  }
  return pooled < separate;
}

/**
 * Max-pooling over an affine layer's raw accumulators, then one rescale (and ReLU) per window: both are monotone
 * non-decreasing, so relu(roundShift(max acc)) is exactly max relu(roundShift(acc)), the integers the evaluator
 * computes, for one rescale per window instead of one per element (LeNet's conv → ReLU → 2×2 max-pool: a quarter).
 * The accumulators are fixed by the layer's inputs; |acc| < 2^(bits + shift − 1) wherever the rescale's range check
 * holds (interval analysis sizes `bits` for every input in range), so their differences fit bits + shift + 1 bits.
 */
function poolAccumulators(cs: ConstraintSystem, affine: AffineLayer, max: MaxLayer, l: number, x: ArrayLike<Sig>): Sig[] {
  const accBits = affine.bits + affine.shift;
  return max.groups.map((g, i) => {
    const what = `layers ${l}–${l + 1} (${affine.name}, ${max.name}) window ${i}`;
    const best = maxOf(
      cs,
      Array.from(g, (j) => accumulator(cs, affine.rows[j]!, x)),
      accBits,
      what,
    );
    return rescale(cs, best.lc, best.v, affine.shift, affine.bits, affine.relu, what);
  });
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
  const { layers } = program;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l]!;
    if (layer.kind === 'affine' && poolsAccumulators(layers, l)) {
      // Layer l's own output is never built: only the pooling read it.
      tensors.push([]);
      tensors.push(poolAccumulators(cs, layer, layers[l + 1] as MaxLayer, l, readInputs(tensors, layer, l)));
      l++;
    } else tensors.push(synthesizeLayer(cs, layer, l, readInputs(tensors, layer, l)));
  }
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
