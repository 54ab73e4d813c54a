import { InvalidInputError } from '../errors';
import { FIELD_MODULUS as R } from '../field';
import { size } from '../ir/types';
import type { QuantProgram } from '../quantize/types';
import { ConstraintSystem, ConstraintUnsatisfiedError, lcAdd, lcAddTerm, lcOf, mod, type Lc } from '../r1cs/constraintSystem';
import type { Sig } from '../r1cs/gadgets';
import { fieldConstant, fieldWire, poseidonGadget, type FieldSig } from '../r1cs/poseidonGadget';
import { synthesizeInference } from '../r1cs/synthesizeModel';
import type { BatchJob } from './batchHash';

/** The batch circuit's public signals, in order. */
export const BATCH_PUBLIC_SIGNALS = ['modelId', 'count', 'batchHash'] as const;

/** One job the prover served: the quantized input, both salts, the job and the prover (field elements). */
export type BatchSlot = { xq: readonly number[]; inputSalt: bigint; outputSalt: bigint; jobId: bigint; prover: bigint };

export type SynthesizeBatchParameters = {
  program: QuantProgram;
  modelId: bigint;
  /** K, the number of slots: fixed per circuit (and per verifying key). */
  size: number;
  /** The jobs, 1 to K, in the order the batch hash lists them; the remaining slots are padding. */
  slots: readonly BatchSlot[];
  mode: 'record' | 'witness';
};

export type SynthesizeBatchReturnType = {
  cs: ConstraintSystem;
  count: number;
  batchHash: bigint;
  /** Each used slot's job tuple, with the commitments the circuit computed. */
  jobs: BatchJob[];
};

/**
 * K inferences of one model in one circuit. Public: modelId (pinned to this model), count (how many slots are jobs)
 * and batchHash (batchHash.ts) over the used slots' (jobId, prover, inputCommitment, outputCommitment), each
 * commitment computed in the circuit from that slot's input and output exactly as the single-job circuit does.
 * Slot i is used when i < count: boolean flags, non-increasing, summing to count, so the used slots are a prefix
 * and count ≤ K. A padding slot still runs the model (on zeros) but its tuple does not enter the hash: hᵢ = hᵢ₋₁ +
 * usedᵢ·(Poseidon(hᵢ₋₁, tupleᵢ) − hᵢ₋₁), one product per slot. So a batch proof names exactly `count` jobs, and the
 * market pays exactly the jobs whose tuples it can hash to batchHash.
 */
export function synthesizeBatch(parameters: SynthesizeBatchParameters): SynthesizeBatchReturnType {
  const { program, modelId, size: K, slots, mode } = parameters;
  if (!Number.isInteger(K) || K < 1) throw new InvalidInputError(`the batch size must be a positive integer, got ${K}`);
  if (slots.length < 1 || slots.length > K)
    throw new InvalidInputError(`a batch of ${K} slots takes 1 to ${K} jobs, got ${slots.length}`);
  const n0 = size(program.inputShape);
  const padding: BatchSlot = { xq: new Array<number>(n0).fill(0), inputSalt: 0n, outputSalt: 0n, jobId: 0n, prover: 0n };
  const all = Array.from({ length: K }, (_, i) => slots[i] ?? padding);
  all.forEach((s, i) => {
    if (s.xq.length !== n0) throw new InvalidInputError(`slot ${i}: the circuit takes ${n0} input values, got ${s.xq.length}`);
  });
  // The market pays `prover` as an address: a zero or wider value could never be paid (the batch would be stuck).
  slots.forEach((s, i) => {
    if (s.prover <= 0n || s.prover >= 1n << 160n) throw new InvalidInputError(`slot ${i}: the prover must be a nonzero address`);
  });
  const count = slots.length;

  const cs = new ConstraintSystem(mode);
  const [wModel, wCount, wHash] = [modelId, BigInt(count), 0n].map((v) => cs.publicInput(v)) as [number, number, number];
  const inputs = all.map((s) => ({
    x: s.xq.map((v): Sig => ({ w: cs.privateInput(v), v })),
    inputSalt: cs.privateInput(s.inputSalt),
    outputSalt: cs.privateInput(s.outputSalt),
    jobId: cs.privateInput(s.jobId),
    prover: cs.privateInput(s.prover),
  }));
  if (cs.recording) cs.enforceZero(lcAddTerm(lcOf(wModel), 0, -modelId), 'modelId is the model');

  // used_i = [i < count]: boolean, non-increasing, Σ = count.
  const used = all.map((_, i) => cs.alloc(i < count ? 1n : 0n));
  if (cs.recording) {
    const sum: Lc = lcOf(wCount, -1n);
    used.forEach((u, i) => {
      cs.enforce(lcOf(u), lcAddTerm(lcOf(u), 0, -1n), new Map(), `slot ${i}: used is boolean`);
      if (i > 0)
        cs.enforce(lcOf(u), lcAddTerm(lcOf(used[i - 1]!, -1n), 0, 1n), new Map(), `slot ${i}: used only after slot ${i - 1}`);
      lcAddTerm(sum, u, 1n);
    });
    cs.enforceZero(sum, 'count is the number of used slots');
  }

  let h: FieldSig = fieldConstant(cs, 0n);
  const jobs: BatchJob[] = [];
  inputs.forEach((slot, i) => {
    const inference = synthesizeInference(cs, program, slot.x, fieldWire(cs, slot.inputSalt), fieldWire(cs, slot.outputSalt));
    const [jobId, prover] = [fieldWire(cs, slot.jobId), fieldWire(cs, slot.prover)];
    const next = poseidonGadget(cs, [h, jobId, prover, inference.inputCommitment, inference.outputCommitment]);
    const v = i < count ? next.v : h.v;
    const w = cs.alloc(v);
    if (cs.recording)
      cs.enforce(lcOf(used[i]!), lcAdd(new Map(next.lc!), h.lc!, -1n), lcAdd(lcOf(w), h.lc!, -1n), `slot ${i}: chain the hash`);
    h = fieldWire(cs, w);
    if (i < count)
      jobs.push({
        jobId: jobId.v,
        prover: prover.v,
        inputCommitment: inference.inputCommitment.v,
        outputCommitment: inference.outputCommitment.v,
      });
  });
  cs.values[wHash] = mod(h.v % R);
  if (cs.recording) cs.enforceZero(lcAddTerm(new Map(h.lc!), wHash, -1n), 'batchHash is the chain over the used slots');
  else if (cs.values[wHash] !== h.v) throw new ConstraintUnsatisfiedError('batchHash is the chain over the used slots', -1);
  return { cs, count, batchHash: h.v, jobs };
}

/** The batch circuit's r1cs (the same for every input), recorded on one all-zero job. */
export function buildBatchR1cs(program: QuantProgram, modelId: bigint, K: number) {
  const zero: BatchSlot = {
    xq: new Array<number>(size(program.inputShape)).fill(0),
    inputSalt: 0n,
    outputSalt: 0n,
    jobId: 0n,
    prover: 1n, // any address: the r1cs does not depend on the values
  };
  const { cs } = synthesizeBatch({ program, modelId, size: K, slots: [zero], mode: 'record' });
  return { r1cs: cs.r1cs(), constraints: cs.nConstraints, wires: cs.nWires };
}
