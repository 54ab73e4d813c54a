import { rng } from '../../models/train/dense';
import { COMMIT_DOMAIN, commitVector } from '../commit/commitVector';
import { poseidon } from '../commit/poseidon';
import { segmentOf } from '../quantize/evaluateQuantized';
import { roundShift } from '../quantize/types';
import { firstUnsatisfied } from './checkWitness';
import { ConstraintSystem, ConstraintUnsatisfiedError, lcAddTerm, WitnessOutOfRangeError } from './constraintSystem';
import { argmax, lcOfSig, maxN, mul, prelu, pwl, relu, rescale, type PwlTable, type Sig } from './gadgets';
import { commitGadget, fieldWire, poseidonGadget } from './poseidonGadget';

/**
 * Witness-level tests of every gadget (circomkit's witness-tester habit, on the TypeScript constraint builder):
 * each output is compared with the evaluator's semantics while every constraint is checked as it is recorded,
 * and a cheating prover's values (a wrong rounding, another segment, an out-of-range value) must break a constraint.
 */
const BITS = 10;
const half = 2 ** (BITS - 1);
/** A piecewise-linear table over 10-bit inputs: segments [-512, -100), [-100, 0), [0, 150), [150, 512). */
const PWL: PwlTable = {
  start: [-512, -100, 0, 150],
  slope: [0, 7, 20, -3],
  intercept: [-800, 40, -16, 2500],
  shift: 4,
  inBits: BITS,
  bits: BITS,
};
const pwlAt = (v: number, k: number) => roundShift(PWL.slope[k]! * v + PWL.intercept[k]!, 4);
const pwlOf = (v: number) => pwlAt(v, segmentOf(PWL.start, v));
const onehot = (k: number) => [0, 1, 2, 3].map((j) => (j === k ? 1 : 0));

const random = rng(3);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

/** A fresh recording system and an input wire holding v. */
function withInput(v: number, mode: 'record' | 'witness' = 'record') {
  const cs = new ConstraintSystem(mode);
  return { cs, s: { w: cs.alloc(v), v } as Sig };
}
const inputs = (cs: ConstraintSystem, vs: number[]): Sig[] => vs.map((v) => ({ w: cs.alloc(v), v }));
/** out === claimed, as a verifier's public value would pin it. */
function claim(cs: ConstraintSystem, out: Sig, claimed: number) {
  const w = cs.alloc(claimed);
  cs.enforceZero(lcAddTerm(lcOfSig(out), w, -1n), 'claimed output');
}

describe('r1cs gadgets (every constraint checked as recorded)', () => {
  it('computes what the fixed-point evaluator computes, for 40 random inputs', () => {
    for (let trial = 0; trial < 40; trial++) {
      const cs = new ConstraintSystem('record');
      const acc = int(-half * 64 + 64, (half - 1) * 64 - 64);
      const x = inputs(cs, [acc])[0]!;
      expect(rescale(cs, lcOfSig(x), acc, 6, BITS, false, 'r').v).toBe(roundShift(acc, 6));
      expect(rescale(cs, lcOfSig(x), acc, 6, BITS, true, 'rr').v).toBe(Math.max(0, roundShift(acc, 6)));
      const z = int(-half, half - 1);
      expect(rescale(cs, lcOfSig(inputs(cs, [z])[0]!), z, 0, BITS, false, 'z').v).toBe(z);
      const m = Array.from({ length: 5 }, () => int(-half, half - 1));
      expect(maxN(cs, inputs(cs, m), BITS, 'max').v).toBe(Math.max(...m));
      const am = Array.from({ length: 6 }, () => int(-4, 4)); // small range: ties are common
      expect(argmax(cs, inputs(cs, am), BITS, 'argmax').v).toBe(am.indexOf(Math.max(...am)));
      const rl = int(-half, half - 1);
      expect(relu(cs, inputs(cs, [rl])[0]!, BITS, 'relu').v).toBe(Math.max(0, rl));
      const prl = (v: number, slope: number) => (v >= 0 ? v : roundShift(slope * v, 4));
      for (const slope of [5, -7]) {
        const p = int(-half, half - 1);
        expect(prelu(cs, inputs(cs, [p])[0]!, BITS, slope, 4, BITS, 'prelu').v).toBe(prl(p, slope));
      }
      const pw = int(-half, half - 1);
      expect(pwl(cs, inputs(cs, [pw])[0]!, PWL, 'pwl').v).toBe(pwlOf(pw));
    }
  });

  it('commits as commitVector does (one short chunk; a full Poseidon16 chunk then a short one)', () => {
    for (const n of [30, 400]) {
      const cs = new ConstraintSystem('record');
      const values = Array.from({ length: n }, () => int(-half, half - 1));
      const salt = BigInt(int(1, 2 ** 30)) * 2n ** 200n + 12345n;
      const out = commitGadget(cs, inputs(cs, values), BITS, COMMIT_DOMAIN.output, fieldWire(cs, cs.alloc(salt)), 'commit');
      expect(out.v).toBe(commitVector(values, BITS, COMMIT_DOMAIN.output, salt));
      expect(cs.evaluate(out.lc!)).toBe(out.v);
    }
  });

  it('hashes as poseidon() does for every arity 1..16', () => {
    for (let n = 1; n <= 16; n++) {
      const cs = new ConstraintSystem('record');
      const xs = Array.from({ length: n }, (_, i) => BigInt(i + 1) * 0x1234567890abcdefn);
      const out = poseidonGadget(
        cs,
        xs.map((x) => fieldWire(cs, cs.alloc(x))),
      );
      expect(out.v).toBe(poseidon(xs));
      // Three constraints per S-box: 8 full rounds of t, one per partial round.
      expect(cs.nConstraints).toBe(3 * (8 * (n + 1) + [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68][n - 1]!));
    }
  });

  it('hides the committed values: the same vector under two salts gives unrelated commitments', () => {
    const values = Array.from({ length: 30 }, () => int(-half, half - 1));
    const commit = (salt: bigint) => {
      const cs = new ConstraintSystem('witness');
      return commitGadget(cs, inputs(cs, values), BITS, COMMIT_DOMAIN.output, fieldWire(cs, cs.alloc(salt)), 'c').v;
    };
    expect(commit(99n)).not.toBe(commit(100n));
    expect(commit(99n)).not.toBe(commitVector(values, BITS, COMMIT_DOMAIN.output, 0n));
  });

  it('computes the piecewise-linear table at every segment edge and at the ends of the range', () => {
    for (const v of [-half, half - 1, ...PWL.start.flatMap((s) => [s - 1, s, s + 1])].filter((v) => v >= -half && v < half)) {
      const { cs, s } = withInput(v);
      expect(pwl(cs, s, PWL, 'pwl').v).toBe(pwlOf(v));
    }
  });

  it('rounds half up, including negative halves', () => {
    const at = (acc: number, relu: boolean) => {
      const { cs, s } = withInput(acc);
      return rescale(cs, lcOfSig(s), acc, 6, BITS, relu, 'r').v;
    };
    expect([at(32, false), at(-32, false), at(-33, true), at(95, true)]).toEqual([1, 0, 0, 1]);
  });

  it.each([
    ['an output off by one', onehot(1), pwlOf(-50) + 1],
    ['the next segment, with the output its line gives', onehot(2), pwlAt(-50, 2)],
    ['the previous segment, with the output its line gives', onehot(0), pwlAt(-50, 0)],
    ['a selector that is not boolean (2, -1 sums to 1)', [0, 2, -1, 0], undefined],
    ['no segment selected', [0, 0, 0, 0], 0],
    ['two segments selected', [0, 1, 1, 0], undefined],
  ])('the piecewise-linear check rejects %s', (_name, selector, claimed) => {
    const honest = withInput(-50);
    claim(honest.cs, pwl(honest.cs, honest.s, PWL, 'pwl', onehot(1)), pwlOf(-50));
    const cheat = withInput(-50);
    expect(() => {
      const out = pwl(cheat.cs, cheat.s, PWL, 'pwl', selector);
      claim(cheat.cs, out, claimed ?? out.v);
    }).toThrow(ConstraintUnsatisfiedError);
  });

  it('rejects another rounding of a rescale: the remainder range check pins the quotient (checked on the r1cs)', () => {
    const cs = new ConstraintSystem('record');
    const x = inputs(cs, [100])[0]!;
    // Honest: roundShift(100, 6) = 2, as 100 + 32 = 2·64 + 4.
    const q = rescale(cs, lcOfSig(x), 100, 6, BITS, false, 'r');
    expect(q.v).toBe(2);
    const r1cs = cs.r1cs();
    expect(firstUnsatisfied(r1cs, cs.values)).toBeUndefined();
    // A cheater claims q = 1 with remainder 68 = 4 + 64: six boolean bits cannot hold it, so bit 5 is set to 2.
    // Wires: x, the 6 remainder bits, q, q's 10 bits. Constraints: 6 + 10 booleans, q's bits, the division.
    const cheat = [...cs.values];
    const rBits = x.w + 1;
    for (let i = 0; i < 6; i++) cheat[rBits + i] = 0n;
    cheat[rBits + 2] = 1n;
    cheat[rBits + 5] = 2n;
    cheat[q.w] = 1n;
    for (let i = 0; i < BITS; i++) cheat[q.w + 1 + i] = BigInt(((1 + half) >> i) & 1);
    expect(firstUnsatisfied(r1cs, cheat)).toBe(5);
    // With boolean bits the division fails instead (the last constraint).
    cheat[rBits + 5] = 1n;
    expect(firstUnsatisfied(r1cs, cheat)).toBe(cs.nConstraints - 1);
  });

  it('refuses a piecewise-linear table whose segments are not in increasing order (two could then pass)', () => {
    const { cs, s } = withInput(50);
    const table = { ...PWL, start: [-512, 100, 0, 150] };
    expect(() => pwl(cs, s, table, 'pwl')).toThrow(/must start at -2\^\(inBits-1\) and increase/);
    expect(() => pwl(withInput(50).cs, s, { ...PWL, start: [-511, -100, 0, 150] }, 'pwl')).toThrow(RangeError);
  });

  it('rejects bits that are not boolean, which would let a value past its range through (checked on the r1cs)', () => {
    // The circuit of a relu is the same for every input: record it on an honest one.
    const cs = new ConstraintSystem('record');
    const x = inputs(cs, [3])[0]!;
    const out = relu(cs, x, BITS, 'relu');
    const r1cs = cs.r1cs();
    expect(firstUnsatisfied(r1cs, cs.values)).toBeUndefined();
    // A cheater's witness for x = 2^(BITS-1), one past the range: x + 2^(BITS-1) = 2^BITS written with the top "bit"
    // set to 2 (the low bits 0); the sign reads as non-negative, and relu(x) = x · 2 passes the product.
    const cheat = [...cs.values];
    cheat[x.w] = BigInt(half);
    for (let i = 0; i < BITS; i++) cheat[x.w + 1 + i] = 0n;
    cheat[x.w + BITS] = 2n;
    cheat[out.w] = BigInt(2 * half);
    // Everything but the top bit's boolean check holds: that check is what refuses it.
    expect(firstUnsatisfied(r1cs, cheat)).toBe(BITS - 1);
  });

  it.each([
    [
      'a rescaled value that overflows its bits',
      (cs: ConstraintSystem) => rescale(cs, lcOfSig(inputs(cs, [half * 64])[0]!), half * 64, 6, BITS, false, 'r'),
    ],
    [
      'an underflow',
      (cs: ConstraintSystem) => rescale(cs, lcOfSig(inputs(cs, [-(half + 1) * 64])[0]!), -(half + 1) * 64, 6, BITS, true, 'r'),
    ],
    [
      'an unshifted value out of range',
      (cs: ConstraintSystem) => rescale(cs, lcOfSig(inputs(cs, [half])[0]!), half, 0, BITS, false, 'z'),
    ],
    [
      'a committed value out of range',
      (cs: ConstraintSystem) =>
        commitGadget(cs, inputs(cs, [...Array<number>(29).fill(0), -half - 1]), BITS, 2n, fieldWire(cs, cs.alloc(5n)), 'c'),
    ],
    ['a relu input out of range', (cs: ConstraintSystem) => relu(cs, inputs(cs, [half])[0]!, BITS, 'relu')],
    ['a PRelu input out of range', (cs: ConstraintSystem) => prelu(cs, inputs(cs, [-half - 1])[0]!, BITS, 5, 4, BITS, 'p')],
    ['a piecewise-linear input out of range', (cs: ConstraintSystem) => pwl(cs, inputs(cs, [half])[0]!, PWL, 'pwl')],
    ['a max over values out of range', (cs: ConstraintSystem) => maxN(cs, inputs(cs, [half * 4, -half * 4]), BITS, 'max')],
  ])('has no witness for %s', (_name, build) => {
    // The constraints reject it, and the prover's witness mode refuses it before any proving.
    expect(() => build(new ConstraintSystem('record'))).toThrow(ConstraintUnsatisfiedError);
    expect(() => build(new ConstraintSystem('witness'))).toThrow(WitnessOutOfRangeError);
  });

  it('multiplies two activations exactly and refuses another product (checked on the r1cs)', () => {
    for (let trial = 0; trial < 20; trial++) {
      const [a, b] = [int(-half, half - 1), int(-half, half - 1)];
      const cs = new ConstraintSystem('record');
      const [x, y] = inputs(cs, [a, b]) as [Sig, Sig];
      const out = mul(cs, x, y, BITS, BITS + 2, 'mul');
      expect(out.v).toBe(roundShift(a * b, BITS));
      const r1cs = cs.r1cs();
      expect(firstUnsatisfied(r1cs, cs.values)).toBeUndefined();
      // The product wire follows the inputs; a cheater's product off by one breaks the first constraint.
      const cheat = [...cs.values];
      cheat[y.w + 1] = cheat[y.w + 1]! + 1n;
      expect(firstUnsatisfied(r1cs, cheat)).toBe(0);
    }
    // A constant factor makes the product linear: still exact.
    const cs = new ConstraintSystem('record');
    const [x] = inputs(cs, [-300]) as [Sig];
    expect(mul(cs, x, { w: -1, v: 7 }, 2, BITS + 2, 'scaled').v).toBe(roundShift(-2100, 2));
  });
});
