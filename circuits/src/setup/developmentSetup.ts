import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

import { InvalidInputError } from '../errors';
import { powMod } from '../field';
import { P, R } from './bn254';
import { bn128, fixedBaseMul, AFFINE_BYTES, SCALAR_BYTES } from './fixedBaseMul';
import { parseR1cs, type R1cs } from './parseR1cs';

export type DevelopmentSetupParameters = {
  r1cs: string;
  /** Where to write the proving key (snarkjs zkey, Groth16). */
  zkey: string;
  /** Worker threads for the curve arithmetic; the machine's cores by default. */
  threads?: number;
  onProgress?: (step: string) => void;
};

export type DevelopmentSetupReturnType = {
  domainSize: number;
  nVars: number;
  nPublic: number;
  nConstraints: number;
  seconds: number;
  /** Where the time went: parsing and field arithmetic, curve arithmetic, writing the file. */
  timings: { scalars: number; points: number; write: number };
};

export type DevelopmentSetupErrorType = InvalidInputError;

const mod = (a: bigint): bigint => ((a % R) + R) % R;
const pow = (base: bigint, exp: bigint): bigint => powMod(base, exp, R);
const inverse = (a: bigint): bigint => pow(a, R - 2n);

/** Uniform in [1, r): 512 bits of OS randomness reduced mod r (bias below 2^-250). */
function randomScalar(): bigint {
  for (;;) {
    const bytes = randomBytes(64);
    const x = BigInt(`0x${bytes.toString('hex')}`) % R;
    bytes.fill(0);
    if (x !== 0n) return x;
  }
}

/** Replaces each element by its inverse (Montgomery's trick: one exponentiation for the whole array). */
function invertAll(xs: bigint[]): void {
  const prefix = new Array<bigint>(xs.length);
  let acc = 1n;
  for (let i = 0; i < xs.length; i++) {
    prefix[i] = acc;
    acc = (acc * xs[i]!) % R;
  }
  let inv = inverse(acc);
  for (let i = xs.length - 1; i >= 0; i--) {
    const x = xs[i]!;
    xs[i] = (inv * prefix[i]!) % R;
    inv = (inv * x) % R;
  }
  prefix.fill(0n);
}

/**
 * L_j(τ) for the points p_i = shift·ω^i (i < count) of a multiplicative domain of size `size` with ω^count = 1:
 * L_j(x) = (x^size − 1)·p_j / (size·(x − p_j)), the closed form of ∏_{k≠j}(x − p_k)/(p_j − p_k).
 */
function lagrangeAt(tau: bigint, size: number, count: number, omega: bigint, shift: bigint): bigint[] {
  const points = new Array<bigint>(count);
  const denominators = new Array<bigint>(count);
  let p = shift;
  for (let i = 0; i < count; i++) {
    points[i] = p;
    denominators[i] = mod(tau - p);
    p = (p * omega) % R;
  }
  invertAll(denominators);
  const factor = (mod(pow(tau, BigInt(size)) - 1n) * inverse(BigInt(size))) % R;
  for (let i = 0; i < count; i++) denominators[i] = (((factor * points[i]!) % R) * denominators[i]!) % R;
  points.fill(0n);
  return denominators;
}

/** Scalars as the fixed-base workers take them: 32 bytes each, little-endian, standard form. */
function scalarBytes(xs: readonly bigint[], map: (x: bigint) => bigint = (x) => x): Uint8Array {
  const out = new Uint8Array(xs.length * SCALAR_BYTES);
  const view = new DataView(out.buffer);
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i < xs.length; i++) {
    let x = map(xs[i]!);
    for (let k = 0; k < 4; k++, x >>= 64n) view.setBigUint64(i * SCALAR_BYTES + k * 8, x & mask, true);
  }
  return out;
}

/** snarkjs's domain: the smallest power of two above constraints + public signals (one extra row per public). */
export function developmentDomainPower(r1cs: Pick<R1cs, 'nConstraints' | 'nPublic'>): number {
  return (r1cs.nConstraints + r1cs.nPublic).toString(2).length;
}

/**
 * A Groth16 proving key written straight from the circuit and toxic waste sampled on this machine — no powers of
 * tau, no phase 2. INSECURE, development only: the key is exactly as trustworthy as this process, and nothing
 * stops a dishonest one from keeping τ and forging proofs. Nothing secret is written anywhere; the byte buffers
 * that depend on the waste are zeroed after use (the bigints cannot be, they are dropped).
 *
 * What it computes, in the layout snarkjs 0.7.6 reads (`zkey new` + one contribution, without the transcript):
 * with L_c the Lagrange basis of the domain ω^c (size n, snarkjs's roots) and A_s, B_s, C_s the QAP polynomials
 * (A_s(τ) = Σ_c a_{c,s}·L_c(τ), plus one row L_{m+s} per public signal s ≤ nPublic, as snarkjs adds them):
 * A = [A_s(τ)]₁, B1 = [B_s(τ)]₁, B2 = [B_s(τ)]₂, IC = [(β·A_s + α·B_s + C_s)(τ)/γ]₁ for public s, C = the same
 * over δ for the others, and H_i = [L'_{2i+1}(τ)/δ]₁ with L' the Lagrange basis of the domain of size 2n: snarkjs's
 * prover evaluates A·B − C on the odd points of that domain (a coset of the first), where it equals h·Z, so
 * Σ (hZ)(ω'^{2i+1})·L'_{2i+1}(τ) = h(τ)·Z(τ). Every Lagrange value comes from its closed form with one batched
 * inversion; the points are fixed-base products of the generators (fixedBaseMul).
 */
export async function developmentSetup(parameters: DevelopmentSetupParameters): Promise<DevelopmentSetupReturnType> {
  const started = performance.now();
  const progress = parameters.onProgress ?? (() => undefined);
  const r1cs = parseR1cs(readFileSync(parameters.r1cs));
  const { nVars, nPublic, nConstraints } = r1cs;
  const power = developmentDomainPower(r1cs);
  const n = 2 ** power;
  const { Fr } = await bn128();
  if (power + 1 > Fr.s) throw new InvalidInputError(`circuit too large for BN254's FFT domains (2^${power})`);
  const omega = Fr.toObject(Fr.w[power]!);
  const omega2 = Fr.toObject(Fr.w[power + 1]!);
  if ((omega2 * omega2) % R !== omega || pow(omega, BigInt(n)) !== 1n) throw new Error('unexpected roots of unity');

  progress(`INSECURE development setup (2^${power}): sampling toxic waste on this machine, development only`);
  let tau = randomScalar();
  while (pow(tau, BigInt(2 * n)) === 1n) tau = randomScalar();
  let [alpha, beta, gamma, delta] = [randomScalar(), randomScalar(), randomScalar(), randomScalar()];

  progress('INSECURE development setup: QAP at τ');
  const lagrange = lagrangeAt(tau, n, n, omega, 1n);
  const a = new Array<bigint>(nVars).fill(0n);
  const b = new Array<bigint>(nVars).fill(0n);
  const c = new Array<bigint>(nVars).fill(0n);
  const coefficients = coefficientSection(r1cs, lagrange, [a, b, c]);
  for (let s = 0; s <= nPublic; s++) a[s] = (a[s]! + lagrange[nConstraints + s]!) % R;
  const deltaInverse = inverse(delta);
  const gammaInverse = inverse(gamma);
  const k = a.map((as, s) => (beta * as + alpha * b[s]! + c[s]!) % R);
  const ic = scalarBytes(k.slice(0, nPublic + 1), (x) => (x * gammaInverse) % R);
  const cs = scalarBytes(k.slice(nPublic + 1), (x) => (x * deltaInverse) % R);
  const h = lagrangeAt(tau, 2 * n, n, omega, omega2);
  const hs = scalarBytes(h, (x) => (x * deltaInverse) % R);
  const as = scalarBytes(a);
  const bs = scalarBytes(b);
  const bs2 = bs.slice();
  const header1 = scalarBytes([alpha, beta, delta]);
  const header2 = scalarBytes([beta, gamma, delta]);
  for (const xs of [lagrange, a, b, c, k, h]) xs.fill(0n);
  tau = alpha = beta = gamma = delta = 0n;
  const scalarsDone = performance.now();

  progress(`INSECURE development setup: ${4 * nVars + n} G1 and ${nVars} G2 fixed-base products`);
  const pool = await fixedBaseMul({ expected: { 1: 3 * nVars + n, 2: nVars }, threads: parameters.threads });
  let points: Uint8Array[];
  try {
    // The costly G2 products first, so the G1 chunks fill in around them.
    points = await Promise.all([
      pool.multiply(2, bs2),
      pool.multiply(2, header2),
      pool.multiply(1, header1),
      pool.multiply(1, ic),
      pool.multiply(1, as),
      pool.multiply(1, bs),
      pool.multiply(1, cs),
      pool.multiply(1, hs),
    ]);
  } finally {
    await pool.terminate();
  }
  const [pB2, pHeader2, pHeader1, pIc, pA, pB1, pC, pH] = points as [Uint8Array, ...Uint8Array[]];
  const pointsDone = performance.now();

  progress('INSECURE development setup: writing the proving key');
  const u32 = (x: number) => {
    const buf = Buffer.alloc(4);
    buf.writeUInt32LE(x);
    return buf;
  };
  const le32 = (x: bigint) => Buffer.from(scalarBytes([x]));
  const g1 = (buf: Uint8Array, i: number) => buf.subarray(i * AFFINE_BYTES[1], (i + 1) * AFFINE_BYTES[1]);
  const g2 = (buf: Uint8Array, i: number) => buf.subarray(i * AFFINE_BYTES[2], (i + 1) * AFFINE_BYTES[2]);
  const groth16Header = Buffer.concat([
    u32(32),
    le32(P),
    u32(32),
    le32(R),
    u32(nVars),
    u32(nPublic),
    u32(n),
    g1(pHeader1!, 0), // α₁
    g1(pHeader1!, 1), // β₁
    g2(pHeader2!, 0), // β₂
    g2(pHeader2!, 1), // γ₂
    g1(pHeader1!, 2), // δ₁
    g2(pHeader2!, 2), // δ₂
  ]);
  const pointSections: [number, Uint8Array][] = [
    [3, pIc!],
    [5, pA!],
    [6, pB1!],
    [7, pB2],
    [8, pC!],
    [9, pH!],
  ];
  // No phase-2 transcript: snarkjs's circuit hash slot carries a digest of this key's points instead.
  const hash = createHash('blake2b512');
  for (const [, data] of pointSections) hash.update(data);
  const sections: [number, Uint8Array][] = [
    [1, u32(1)],
    [2, groth16Header],
    [4, coefficients],
    ...pointSections,
    [10, Buffer.concat([hash.digest(), u32(0)])],
  ];
  const parts: Uint8Array[] = [Buffer.from('zkey', 'latin1'), u32(1), u32(sections.length)];
  for (const [type, data] of sections) {
    const head = Buffer.alloc(12);
    head.writeUInt32LE(type, 0);
    head.writeBigUInt64LE(BigInt(data.length), 4);
    parts.push(head, data);
  }
  const tmp = `${parameters.zkey}.${process.pid}.dev`;
  try {
    writeFileSync(tmp, Buffer.concat(parts));
    renameSync(tmp, parameters.zkey);
  } finally {
    rmSync(tmp, { force: true });
  }
  const done = performance.now();
  return {
    domainSize: n,
    nVars,
    nPublic,
    nConstraints,
    seconds: (done - started) / 1000,
    timings: {
      scalars: (scalarsDone - started) / 1000,
      points: (pointsDone - scalarsDone) / 1000,
      write: (done - pointsDone) / 1000,
    },
  };
}

/** R² mod r, R = 2^256: snarkjs stores each coefficient pre-multiplied so its Montgomery prover reads it directly. */
const R2 = pow(2n, 512n);

/**
 * One pass over the constraints: accumulates A_s(τ), B_s(τ), C_s(τ) into `acc` and returns the zkey's
 * coefficients section (every A and B entry, plus A's public-signal rows, as (matrix, constraint, signal, c·R²)).
 */
function coefficientSection(r1cs: R1cs, lagrange: readonly bigint[], acc: [bigint[], bigint[], bigint[]]): Uint8Array {
  const { constraints, nConstraints, nPublic, nVars } = r1cs;
  const view = new DataView(constraints.buffer, constraints.byteOffset, constraints.byteLength);
  const ENTRY = 4 + SCALAR_BYTES;
  // Count the A and B entries first so the section is written in place.
  let count = 0;
  for (let c = 0, at = 0; c < nConstraints; c++)
    for (let m = 0; m < 3; m++) {
      const entries = view.getUint32(at, true);
      if (m < 2) count += entries;
      at += 4 + entries * ENTRY;
      if (at > constraints.length) throw new RangeError('r1cs constraints section is truncated');
    }
  count += nPublic + 1;
  const SIZE = 12 + SCALAR_BYTES;
  const out = new Uint8Array(4 + count * SIZE);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, count, true);
  let written = 0;
  const mask = (1n << 64n) - 1n;
  const put = (m: number, c: number, s: number, coefficient: bigint) => {
    const o = 4 + written++ * SIZE;
    outView.setUint32(o, m, true);
    outView.setUint32(o + 4, c, true);
    outView.setUint32(o + 8, s, true);
    let x = (coefficient * R2) % R;
    for (let k = 0; k < 4; k++, x >>= 64n) outView.setBigUint64(o + 12 + k * 8, x & mask, true);
  };
  let at = 0;
  for (let c = 0; c < nConstraints; c++) {
    const l = lagrange[c]!;
    for (let m = 0; m < 3; m++) {
      const entries = view.getUint32(at, true);
      at += 4;
      const target = acc[m]!;
      for (let e = 0; e < entries; e++, at += ENTRY) {
        const s = view.getUint32(at, true);
        if (s >= nVars) throw new RangeError(`r1cs constraint ${c} names wire ${s} of ${nVars}`);
        const coefficient =
          view.getBigUint64(at + 4, true) |
          (view.getBigUint64(at + 12, true) << 64n) |
          (view.getBigUint64(at + 20, true) << 128n) |
          (view.getBigUint64(at + 28, true) << 192n);
        target[s] = (target[s]! + (coefficient === 1n ? l : coefficient * l)) % R;
        if (m < 2) put(m, c, s, coefficient);
      }
    }
  }
  for (let s = 0; s <= nPublic; s++) put(0, nConstraints + s, s, 1n);
  return out;
}
