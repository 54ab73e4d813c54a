import { valuesPerElement } from '../commit/commitVector';
import { N_ROUNDS_F, poseidonConstants } from '../commit/poseidon';
import { FIELD_MODULUS as R } from '../field';
import { ConstraintSystem, lcAdd, lcAddTerm, lcConstant, lcOf, mod, type Lc } from './constraintSystem';
import { lcOfSig, rangeCheck, type Sig } from './gadgets';

/** A field element: its value, and (recording) the combination of wires that holds it. */
export type FieldSig = { v: bigint; lc: Lc | undefined };

export const fieldConstant = (cs: ConstraintSystem, c: bigint): FieldSig => ({
  v: mod(c),
  lc: cs.recording ? lcConstant(c) : undefined,
});
export const fieldWire = (cs: ConstraintSystem, w: number): FieldSig => ({
  v: cs.values[w]!,
  lc: cs.recording ? lcOf(w) : undefined,
});

/** x^5, Poseidon's S-box: three products (x², x⁴, x⁴·x), as circomlib's Sigma. */
function pow5(cs: ConstraintSystem, x: FieldSig): FieldSig {
  const v2 = (x.v * x.v) % R;
  const v4 = (v2 * v2) % R;
  const v5 = (v4 * x.v) % R;
  const [w2, w4, w5] = [cs.alloc(v2), cs.alloc(v4), cs.alloc(v5)];
  if (x.lc) {
    cs.enforce(x.lc, x.lc, lcOf(w2), 'poseidon: x²');
    cs.enforce(lcOf(w2), lcOf(w2), lcOf(w4), 'poseidon: x⁴');
    cs.enforce(lcOf(w4), x.lc, lcOf(w5), 'poseidon: x⁵');
  }
  return { v: v5, lc: x.lc ? lcOf(w5) : undefined };
}

const addConstant = (x: FieldSig, c: bigint): FieldSig => ({
  v: (x.v + c) % R,
  lc: x.lc ? lcAddTerm(new Map(x.lc), 0, c) : undefined,
});

/** Σ_j k_j · x_j, linear: no constraint. */
function combine(xs: FieldSig[], k: (j: number) => bigint): FieldSig {
  let v = 0n;
  const lc: Lc | undefined = xs[0]!.lc ? new Map() : undefined;
  xs.forEach((x, j) => {
    v += k(j) * x.v;
    if (lc) lcAdd(lc, x.lc!, k(j));
  });
  return { v: v % R, lc };
}

/**
 * Poseidon over BN254 with 1..16 inputs, in constraints: the same function as `poseidon` (commit/poseidon.ts) and
 * circomlib's `Poseidon(n)`, by the same optimized rounds (sparse partial rounds). Only the S-boxes cost
 * constraints (3 each): 8·t in the full rounds and one per partial round; the mixing layers stay linear
 * combinations.
 */
export function poseidonGadget(cs: ConstraintSystem, inputs: FieldSig[]): FieldSig {
  const t = inputs.length + 1;
  const { nRoundsP, C, S, M, P } = poseidonConstants(t);
  const mix = (state: FieldSig[], mat: bigint[]) => state.map((_, i) => combine(state, (j) => mat[j * t + i]!));
  let state: FieldSig[] = [fieldConstant(cs, 0n), ...inputs].map((x, i) => addConstant(x, C[i]!));
  const half = N_ROUNDS_F / 2;
  for (let r = 0; r < half; r++) {
    state = state.map((x, i) => addConstant(pow5(cs, x), C[(r + 1) * t + i]!));
    state = mix(state, r < half - 1 ? M : P);
  }
  const base = (half + 1) * t;
  const width = 2 * t - 1;
  for (let r = 0; r < nRoundsP; r++) {
    const row = r * width;
    const s0 = addConstant(pow5(cs, state[0]!), C[base + r]!);
    const first = combine([s0, ...state.slice(1)], (j) => S[row + j]!);
    state = [first, ...state.slice(1).map((x, j) => combine([x, s0], (k) => (k === 0 ? 1n : S[row + t + j]!)))];
  }
  for (let r = 0; r < half; r++) {
    state = state.map((x, i) => (r < half - 1 ? addConstant(pow5(cs, x), C[base + nRoundsP + r * t + i]!) : pow5(cs, x)));
    if (r < half - 1) state = mix(state, M);
  }
  return combine(state, (j) => M[j * t]!);
}

/**
 * Hiding Poseidon commitment to signed `bits`-bit values under a blinding salt, as `commitVector` computes it:
 * range-check, pack 252 \ bits values per field element, h = n; per chunk of up to 14 elements
 * h = Poseidon(2 + k)(h, domain, chunk); out = Poseidon3(domain, salt, h).
 */
export function commitGadget(
  cs: ConstraintSystem,
  values: Sig[],
  bits: number,
  domain: bigint,
  salt: FieldSig,
  what: string,
): FieldSig {
  values.forEach((s, i) => rangeCheck(cs, s, bits, `${what}: value ${i}`));
  const per = valuesPerElement(bits);
  const offset = 1n << BigInt(bits - 1);
  const packed: FieldSig[] = [];
  for (let start = 0; start < values.length; start += per) {
    let v = 0n;
    const lc: Lc | undefined = cs.recording ? new Map() : undefined;
    for (let t = 0; t < per && start + t < values.length; t++) {
      const shift = 1n << BigInt(bits * t);
      const s = values[start + t]!;
      v += (BigInt(s.v) + offset) * shift;
      if (lc) lcAddTerm(lcAdd(lc, lcOfSig(s), shift), 0, offset * shift);
    }
    packed.push({ v: v % R, lc });
  }
  let h = fieldConstant(cs, BigInt(values.length));
  const tag = fieldConstant(cs, domain);
  for (let start = 0; start < packed.length; start += 14) h = poseidonGadget(cs, [h, tag, ...packed.slice(start, start + 14)]);
  return poseidonGadget(cs, [tag, salt, h]);
}
