import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { rng } from '../models/train/dense';
import { COMMIT_DOMAIN, commitVector } from '../src/commit/commitVector';
import { buildRoot } from '../src/paths';
import { segmentOf } from '../src/quantize/evaluateQuantized';
import { roundShift } from '../src/quantize/types';
import { calculateWitness } from '../src/toolchain/calculateWitness';
import { compileCircom } from '../src/toolchain/compileCircom';

/**
 * Witness-level tests of every template in verity.circom (circomkit's witness tester habit): one harness circuit
 * instantiates each, its outputs are compared with the TypeScript reference semantics, and out-of-range values
 * must make witness generation fail.
 */
const BITS = 10;
/** A piecewise-linear table over 10-bit inputs: segments [-512, -100), [-100, 0), [0, 150), [150, 512). */
const PWL = { start: [-512, -100, 0, 150], slope: [0, 7, 20, -3], intercept: [-800, 40, -16, 2500] };
const pwlAt = (v: number, k: number) => roundShift(PWL.slope[k]! * v + PWL.intercept[k]!, 4);
const pwl = (v: number) => pwlAt(v, segmentOf(PWL.start, v));
const onehot = (k: number) => [0, 1, 2, 3].map((j) => (j === k ? 1 : 0));
const list = (xs: number[]) => `[${xs.join(',')}]`;
const HARNESS = `pragma circom 2.1.6;
include "../../templates/verity.circom";

template Harness() {
    signal input r[2];
    signal input rr[2];
    signal input z;
    signal input m[5];
    signal input am[6];
    signal input c[30];
    signal input cs;
    signal input d[400];
    signal input rl;
    signal input p[2];
    signal input pw;
    signal input pc;
    signal input psel[4];
    signal input pcl;
    signal output rq[2];
    signal output rrq[2];
    signal output zq;
    signal output mo;
    signal output ai;
    signal output co;
    signal output rlo;
    signal output dco;
    signal output po[2];
    signal output pwo;
    component a[2];
    component b[2];
    for (var i = 0; i < 2; i++) {
        a[i] = Rescale(6, ${BITS}, 0);
        a[i].in <== r[i];
        rq[i] <== a[i].out;
        b[i] = Rescale(6, ${BITS}, 1);
        b[i].in <== rr[i];
        rrq[i] <== b[i].out;
    }
    component zero = Rescale(0, ${BITS}, 0);
    zero.in <== z;
    zq <== zero.out;
    component mx = MaxN(5, ${BITS});
    for (var i = 0; i < 5; i++) { mx.in[i] <== m[i]; }
    mo <== mx.out;
    component arg = ArgMax(6, ${BITS});
    for (var i = 0; i < 6; i++) { arg.in[i] <== am[i]; }
    ai <== arg.index;
    component cm = Commit(30, ${BITS}, ${COMMIT_DOMAIN.output});
    for (var i = 0; i < 30; i++) { cm.in[i] <== c[i]; }
    cm.salt <== cs;
    // 400 values of 10 bits pack into 16 field elements: one full Poseidon16 chunk, then a short Poseidon4 one.
    component dm = Commit(400, ${BITS}, ${COMMIT_DOMAIN.input});
    for (var i = 0; i < 400; i++) { dm.in[i] <== d[i]; }
    dm.salt <== cs;
    dco <== dm.out;
    co <== cm.out;
    component relu = Relu(${BITS});
    relu.in <== rl;
    rlo <== relu.out;
    // Slopes 5/16 and -7/16.
    component pr0 = PRelu(${BITS}, 5, 4, ${BITS});
    pr0.in <== p[0];
    po[0] <== pr0.out;
    component pr1 = PRelu(${BITS}, -7, 4, ${BITS});
    pr1.in <== p[1];
    po[1] <== pr1.out;
    // A 4-segment table: starts, slopes and intercepts at 2^-4.
    var S[4] = ${list(PWL.start)};
    var A[4] = ${list(PWL.slope)};
    var C[4] = ${list(PWL.intercept)};
    component pw0 = Pwl(4, ${BITS}, S, A, C, 4, ${BITS});
    pw0.in <== pw;
    pwo <== pw0.out;
    // The same check with the selector and the output claimed from outside (as a cheating prover would).
    component pck = PwlCheck(4, ${BITS}, S, A, C, 4, ${BITS});
    pck.in <== pc;
    for (var k = 0; k < 4; k++) { pck.sel[k] <== psel[k]; }
    pck.out === pcl;
}

component main = Harness();
`;

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const signed = (v: bigint): number => Number(v > P / 2n ? v - P : v);

describe('verity.circom templates (witness level)', () => {
  let wasm: string;
  const random = rng(3);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const half = 2 ** (BITS - 1);

  beforeAll(async () => {
    const dir = join(buildRoot, 'template-harness');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'harness.circom'), HARNESS);
    wasm = (await compileCircom({ circomFile: join(dir, 'harness.circom'), outDir: dir })).wasm;
  });

  function validInput() {
    // Rescale by 6 bits: inputs whose rounded quotient fits in BITS bits.
    const acc = () => int(-half * 64 + 64, (half - 1) * 64 - 64);
    return {
      r: [acc(), acc()],
      rr: [acc(), acc()],
      z: int(-half, half - 1),
      m: Array.from({ length: 5 }, () => int(-half, half - 1)),
      am: Array.from({ length: 6 }, () => int(-4, 4)), // small range: ties are common
      c: Array.from({ length: 30 }, () => int(-half, half - 1)),
      d: Array.from({ length: 400 }, () => int(-half, half - 1)),
      cs: BigInt('0x' + Array.from({ length: 31 }, () => int(0, 255).toString(16).padStart(2, '0')).join('')).toString(),
      rl: int(-half, half - 1),
      p: [int(-half, half - 1), int(-half, half - 1)],
      pw: int(-half, half - 1),
      ...pwlClaim(int(-half, half - 1)),
    };
  }

  /** PwlCheck's inputs for v as the evaluator computes it: the segment holding v, one-hot, and its output. */
  function pwlClaim(v: number) {
    const k = segmentOf(PWL.start, v);
    return { pc: v, psel: onehot(k), pcl: pwl(v) };
  }

  it('computes what the fixed-point evaluator computes, for 40 random inputs', async () => {
    for (let trial = 0; trial < 40; trial++) {
      const input = validInput();
      const w = await calculateWitness(wasm, input);
      // Outputs come first in the witness, after the constant 1: rq[2], rrq[2], zq, mo, ai, co, rlo, dco, po[2].
      const out = w.slice(1, 10).map(signed);
      const expected = [
        ...input.r.map((v) => roundShift(v, 6)),
        ...input.rr.map((v) => Math.max(0, roundShift(v, 6))),
        input.z,
        Math.max(...input.m),
        input.am.indexOf(Math.max(...input.am)),
      ];
      expect(out.slice(0, 7)).toEqual(expected);
      expect(w[8]).toBe(commitVector(input.c, BITS, COMMIT_DOMAIN.output, BigInt(input.cs)));
      expect(w[10]).toBe(commitVector(input.d, BITS, COMMIT_DOMAIN.input, BigInt(input.cs)));
      expect(out[8]).toBe(Math.max(0, input.rl));
      // po[2] follows dco.
      const prelu = (v: number, slope: number) => (v >= 0 ? v : roundShift(slope * v, 4));
      expect(w.slice(11, 13).map(signed)).toEqual([prelu(input.p[0]!, 5), prelu(input.p[1]!, -7)]);
      // pwo follows po[2].
      expect(signed(w[13]!)).toBe(pwl(input.pw));
    }
  });

  it('computes the piecewise-linear table at every segment edge and at the ends of the range', async () => {
    for (const v of [-half, half - 1, ...PWL.start.flatMap((s) => [s - 1, s, s + 1])].filter((v) => v >= -half && v < half)) {
      const w = await calculateWitness(wasm, { ...validInput(), pw: v, ...pwlClaim(v) });
      expect(signed(w[13]!)).toBe(pwl(v));
    }
  });

  it.each([
    ['an output off by one', { pcl: pwl(-50) + 1 }],
    ['the next segment, with the output its line gives', { psel: onehot(2), pcl: pwlAt(-50, 2) }],
    ['the previous segment, with the output its line gives', { psel: onehot(0), pcl: pwlAt(-50, 0) }],
    ['a selector that is not boolean (2, -1 sums to 1)', { psel: [0, 2, -1, 0] }],
    ['no segment selected', { psel: [0, 0, 0, 0], pcl: 0 }],
    ['two segments selected', { psel: [0, 1, 1, 0] }],
  ])('PwlCheck rejects %s', async (_name, patch) => {
    const input = { ...validInput(), ...pwlClaim(-50) };
    await expect(calculateWitness(wasm, input)).resolves.toBeDefined();
    await expect(calculateWitness(wasm, { ...input, ...patch })).rejects.toThrow(/Assert Failed|Error in template/);
  });

  it('hides the committed values: the same vector under two salts gives unrelated commitments', async () => {
    const input = validInput();
    const a = (await calculateWitness(wasm, input))[8];
    const b = (await calculateWitness(wasm, { ...input, cs: (BigInt(input.cs) + 1n).toString() }))[8];
    expect(a).not.toBe(b);
    // Neither is the unsalted hash of the values, nor the commitment under salt 0.
    expect(a).not.toBe(commitVector(input.c, BITS, COMMIT_DOMAIN.output, 0n));
  });

  it('rounds half up, including negative halves', async () => {
    const input = { ...validInput(), r: [32, -32], rr: [-33, 95] };
    const out = (await calculateWitness(wasm, input)).slice(1, 5).map(signed);
    expect(out).toEqual([1, 0, 0, 1]); // 0.5 → 1, -0.5 → 0, relu(-0.52) → 0, 1.48 → 1
  });

  it.each([
    ['a rescaled value that overflows its bits', { r: [half * 64, 0] }],
    ['an underflow', { rr: [-(half + 1) * 64, 0] }],
    ['an unshifted value out of range', { z: half }],
    ['a committed value out of range', { c: [...Array(29).fill(0), -half - 1] }],
    ['a relu input out of range', { rl: half }],
    ['a PRelu input out of range', { p: [-half - 1, 0] }],
    ['a piecewise-linear input out of range', { pw: half }],
  ])('fails the witness on %s', async (_name, patch) => {
    await expect(calculateWitness(wasm, { ...validInput(), ...patch })).rejects.toThrow(/Assert Failed|Error in template/);
  });
});
