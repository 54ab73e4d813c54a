import { segmentOf } from '../quantize/evaluateQuantized';
import { roundShift } from '../quantize/types';
import { ConstraintSystem, lcAdd, lcAddTerm, lcConstant, lcOf, WitnessOutOfRangeError, type Lc } from './constraintSystem';

/**
 * The fixed-point building blocks, as r1cs gadgets. Every signed value v of `bits` bits lives in the field as v mod r
 * and is range-checked as v + 2^(bits-1) in [0, 2^bits). Each gadget computes the integers that
 * `evaluateQuantized` computes, allocates them, and (recording) constrains them so that no other values pass.
 */

/** A signed integer value on a wire (w ≥ 1), or a constant (w = -1). */
export type Sig = { w: number; v: number };

export const lcOfSig = (s: Sig, k: bigint = 1n): Lc => (s.w < 0 ? lcConstant(BigInt(s.v) * k) : lcOf(s.w, k));

const pow2 = (n: number): bigint => 1n << BigInt(n);

/**
 * n boolean wires holding u's bits (u ≥ 0), least significant first, and their combination Σ 2^i·bit_i (recording).
 * A u outside [0, 2^n) has no such bits: witness mode refuses it; recording writes its low bits, and the caller's
 * equality with u then fails, as it would for a cheating prover.
 */
export function toBits(cs: ConstraintSystem, u: bigint, n: number, what: string): { base: number; lc: Lc | undefined } {
  // A decomposition is unique only while 2^n is below the field modulus (~2^254).
  if (!(Number.isInteger(n) && n >= 0 && n <= 250)) throw new RangeError(`${what}: ${n} bits`);
  if (u < 0n || u >= pow2(n)) {
    if (!cs.recording) throw new WitnessOutOfRangeError(what, u, n);
  }
  const low = ((u % pow2(n)) + pow2(n)) % pow2(n);
  const base = cs.nWires;
  for (let i = 0; i < n; i++) cs.alloc((low >> BigInt(i)) & 1n);
  if (!cs.recording) return { base, lc: undefined };
  const lc: Lc = new Map();
  for (let i = 0; i < n; i++) {
    const b = base + i;
    // b · b = b (one term in A and B each: the prover evaluates A and B term by term, C never)
    cs.enforce(lcOf(b), lcOf(b), lcOf(b), `${what}: bit ${i} is boolean`);
    lc.set(b, pow2(i));
  }
  return { base, lc };
}

/** Range check: s + 2^(bits-1) in [0, 2^bits). Returns the wire of the top bit, which is 1 exactly when s ≥ 0. */
export function rangeCheck(cs: ConstraintSystem, s: Sig, bits: number, what: string): number {
  const offset = pow2(bits - 1);
  const { base, lc } = toBits(cs, BigInt(s.v) + offset, bits, what);
  if (lc) cs.enforceZero(lcAdd(lcAddTerm(lc, 0, -offset), lcOfSig(s), -1n), `${what}: bits sum to the value`);
  return base + bits - 1;
}

/**
 * out = floor((in + 2^(shift-1)) / 2^shift) (round half up) with |out| < 2^(bits-1); relu also clamps at 0. `acc` is
 * the value of `input` (a combination, recording only, which the gadget consumes). The remainder is range-checked to [0, 2^shift) and the
 * quotient to `bits` bits: together they make the quotient unique while 2^(shift + bits) is far below r, so a prover
 * cannot choose another rounding.
 */
export function rescale(
  cs: ConstraintSystem,
  input: Lc | undefined,
  acc: number,
  shift: number,
  bits: number,
  relu: boolean,
  what: string,
): Sig {
  if (!(shift >= 0 && shift <= 64 && bits >= 1 && bits <= 48))
    throw new RangeError(`${what}: rescale by ${shift} bits to ${bits} bits`);
  const q = roundShift(acc, shift);
  const half = shift > 0 ? pow2(shift - 1) : 0n;
  // acc + half - q·2^shift, exact in BigInt (acc is an integer below 2^53)
  const r = BigInt(acc) + half - BigInt(q) * pow2(shift);
  const rBits = toBits(cs, r, shift, `${what}: remainder`);
  const qSig: Sig = { w: cs.alloc(q), v: q };
  const sign = rangeCheck(cs, qSig, bits, `${what}: quotient`);
  if (cs.recording) {
    // in + half - q·2^shift - r = 0
    const lc = lcAddTerm(input!, 0, half);
    lcAddTerm(lc, qSig.w, -pow2(shift));
    if (rBits.lc) lcAdd(lc, rBits.lc, -1n);
    cs.enforceZero(lc, `${what}: in + half = q·2^shift + r`);
  }
  if (!relu) return qSig;
  const out = q < 0 ? 0 : q;
  const o: Sig = { w: cs.alloc(out), v: out };
  if (cs.recording) cs.enforce(lcOf(qSig.w), lcOf(sign), lcOf(o.w), `${what}: relu`);
  return o;
}

/** roundShift(a · b, shift) of `bits` bits: one product constraint (none when a side is a constant), then a rescale. */
export function mul(cs: ConstraintSystem, a: Sig, b: Sig, shift: number, bits: number, what: string): Sig {
  const v = a.v * b.v;
  if (a.w < 0 || b.w < 0) {
    const lc = cs.recording ? (a.w < 0 ? lcOfSig(b, BigInt(a.v)) : lcOfSig(a, BigInt(b.v))) : undefined;
    return rescale(cs, lc, v, shift, bits, false, what);
  }
  const p = cs.alloc(v);
  if (cs.recording) cs.enforce(lcOf(a.w), lcOf(b.w), lcOf(p), `${what}: product`);
  return rescale(cs, cs.recording ? lcOf(p) : undefined, v, shift, bits, false, what);
}

/** ReLU of a value known to fit in `bits` bits. */
export function relu(cs: ConstraintSystem, s: Sig, bits: number, what: string): Sig {
  const sign = rangeCheck(cs, s, bits, what);
  const out = s.v < 0 ? 0 : s.v;
  const o: Sig = { w: cs.alloc(out), v: out };
  if (cs.recording) cs.enforce(lcOfSig(s), lcOf(sign), lcOf(o.w), `${what}: relu`);
  return o;
}

/** out = a when `select` (a boolean wire) is 1, else b: one product, select · (a - b) = out - b. */
function choose(cs: ConstraintSystem, select: number, a: Sig, b: Sig, out: number, what: string): Sig {
  const o: Sig = { w: cs.alloc(out), v: out };
  if (cs.recording) cs.enforce(lcOf(select), lcAdd(lcOfSig(a), lcOfSig(b), -1n), lcAdd(lcOf(o.w), lcOfSig(b), -1n), what);
  return o;
}

/**
 * LeakyRelu/PRelu: in if in ≥ 0, else roundShift(slope · in, shift), in of `inBits` bits. slope · in is rescaled (and
 * range-checked to `bits` bits) on both branches; the sign comes from in's range check.
 */
export function prelu(
  cs: ConstraintSystem,
  s: Sig,
  inBits: number,
  slope: number,
  shift: number,
  bits: number,
  what: string,
): Sig {
  const sign = rangeCheck(cs, s, inBits, `${what}: input`);
  const scaled = rescale(cs, cs.recording ? lcOfSig(s, BigInt(slope)) : undefined, slope * s.v, shift, bits, false, what);
  return choose(cs, sign, s, scaled, s.v >= 0 ? s.v : scaled.v, `${what}: branch`);
}

export type PwlTable = { start: number[]; slope: number[]; intercept: number[]; shift: number; inBits: number; bits: number };

/**
 * Piecewise-linear activation of an `inBits`-bit input: segment k holds [start[k], start[k+1]) (the last ends at
 * 2^(inBits-1)) and gives roundShift(slope[k]·in + intercept[k], shift). The prover supplies a one-hot selector
 * (each entry boolean, sum 1); the selected segment's ends are combinations of it, and in - start and end - 1 - in are
 * range-checked to inBits bits (a negative difference wraps to a huge field element and fails), so only the segment
 * holding `in` passes. One product slope(sel) · in, then the rescale. `selector` overrides the honest one (tests
 * play a cheating prover with it).
 */
export function pwl(cs: ConstraintSystem, s: Sig, table: PwlTable, what: string, selector?: number[]): Sig {
  const K = table.start.length;
  const top = 2 ** (table.inBits - 1);
  // Only one segment can pass the checks when the starts cover the whole input range in increasing order.
  const ordered = table.start.every(
    (s, k) => Number.isSafeInteger(s) && (k === 0 ? s === -top : s > table.start[k - 1]!) && s < top,
  );
  if (!ordered || table.slope.length !== K || table.intercept.length !== K)
    throw new RangeError(`${what}: a piecewise-linear table must start at -2^(inBits-1) and increase`);
  const end = (k: number) => (k + 1 < K ? table.start[k + 1]! : top);
  const honest = segmentOf(table.start, s.v);
  const sel = selector ?? Array.from({ length: K }, (_, k) => (k === honest ? 1 : 0));
  const selBase = cs.nWires;
  for (let k = 0; k < K; k++) cs.alloc(sel[k]!);
  // The selected line, as the field sees it (a cheating selector gives a combination, not one segment).
  let lo = 0;
  let hi = 0;
  let a = 0;
  let c = 0;
  for (let k = 0; k < K; k++) {
    lo += sel[k]! * table.start[k]!;
    hi += sel[k]! * end(k);
    a += sel[k]! * table.slope[k]!;
    c += sel[k]! * table.intercept[k]!;
  }
  const lcs = cs.recording
    ? { lo: new Map() as Lc, hi: new Map() as Lc, a: new Map() as Lc, c: new Map() as Lc, total: new Map() as Lc }
    : undefined;
  if (lcs) {
    for (let k = 0; k < K; k++) {
      const w = selBase + k;
      cs.enforce(lcOf(w), lcAddTerm(lcOf(w), 0, -1n), new Map(), `${what}: selector ${k} is boolean`);
      lcAddTerm(lcs.lo, w, BigInt(table.start[k]!));
      lcAddTerm(lcs.hi, w, BigInt(end(k)));
      lcAddTerm(lcs.a, w, BigInt(table.slope[k]!));
      lcAddTerm(lcs.c, w, BigInt(table.intercept[k]!));
      lcAddTerm(lcs.total, w, 1n);
    }
    cs.enforceZero(lcAddTerm(lcs.total, 0, -1n), `${what}: one segment selected`);
  }
  const above = toBits(cs, BigInt(s.v - lo), table.inBits, `${what}: input at or above its segment's start`);
  if (lcs) cs.enforceZero(lcAdd(lcAdd(above.lc!, lcOfSig(s), -1n), lcs.lo), `${what}: in - start`);
  const below = toBits(cs, BigInt(hi - 1 - s.v), table.inBits, `${what}: input below its segment's end`);
  if (lcs) cs.enforceZero(lcAdd(lcAddTerm(lcAdd(below.lc!, lcs.hi, -1n), 0, 1n), lcOfSig(s)), `${what}: end - 1 - in`);
  const product = a * s.v;
  const m = cs.alloc(product);
  if (lcs) cs.enforce(lcs.a, lcOfSig(s), lcOf(m), `${what}: slope · in`);
  return rescale(cs, lcs ? lcAdd(lcOf(m), lcs.c) : undefined, product + c, table.shift, table.bits, false, what);
}

/** max(a, b) for values of `bits` bits. */
export function max2(cs: ConstraintSystem, a: Sig, b: Sig, bits: number, what: string): Sig {
  const { base, lc } = toBits(cs, BigInt(a.v - b.v) + pow2(bits), bits + 1, `${what}: a - b`);
  if (lc) cs.enforceZero(lcAdd(lcAddTerm(lc, 0, -pow2(bits)), lcAdd(lcOfSig(a), lcOfSig(b), -1n), -1n), `${what}: a - b`);
  return choose(cs, base + bits, a, b, a.v >= b.v ? a.v : b.v, `${what}: max`);
}

/**
 * The largest of values given as combinations (e.g. affine accumulators, never allocated), |a − b| < 2^bits for any
 * two: one comparison and one choice per value after the first, as max2. Returns the maximum on a wire, as a combination.
 */
export function maxOf(
  cs: ConstraintSystem,
  xs: readonly { v: number; lc?: Lc }[],
  bits: number,
  what: string,
): { v: number; lc?: Lc } {
  let best = xs[0]!;
  for (let i = 1; i < xs.length; i++) {
    const a = xs[i]!;
    const { base, lc } = toBits(cs, BigInt(a.v - best.v) + pow2(bits), bits + 1, `${what}: a - b`);
    const diff = lc ? lcAdd(new Map(a.lc!), best.lc!, -1n) : undefined;
    if (lc) cs.enforceZero(lcAdd(lcAddTerm(lc, 0, -pow2(bits)), diff!, -1n), `${what}: a - b`);
    const v = a.v >= best.v ? a.v : best.v;
    const o = cs.alloc(v);
    // select · (a − b) = out − b
    if (lc) cs.enforce(lcOf(base + bits), diff!, lcAdd(lcOf(o), best.lc!, -1n), `${what}: max`);
    best = { v, lc: lc ? lcOf(o) : undefined };
  }
  return best;
}

export function maxN(cs: ConstraintSystem, xs: Sig[], bits: number, what: string): Sig {
  let best = xs[0]!;
  for (let i = 1; i < xs.length; i++) best = max2(cs, xs[i]!, best, bits, what);
  return best;
}

/** Index of the largest value, the lowest index on ties. */
export function argmax(cs: ConstraintSystem, xs: Sig[], bits: number, what: string): Sig {
  let best = xs[0]!;
  let idx: Sig = { w: -1, v: 0 };
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    // The top bit of in[i] - best - 1 + 2^bits is 1 exactly when in[i] > best.
    const { base, lc } = toBits(cs, BigInt(x.v - best.v - 1) + pow2(bits), bits + 1, `${what}: compare ${i}`);
    if (lc)
      cs.enforceZero(
        lcAdd(lcAddTerm(lc, 0, 1n - pow2(bits)), lcAdd(lcOfSig(x), lcOfSig(best), -1n), -1n),
        `${what}: compare ${i}`,
      );
    const gt = base + bits;
    const greater = x.v > best.v;
    best = choose(cs, gt, x, best, greater ? x.v : best.v, `${what}: best ${i}`);
    idx = choose(cs, gt, { w: -1, v: i }, idx, greater ? i : idx.v, `${what}: index ${i}`);
  }
  return idx;
}
