/**
 * Just enough BN254 (alt_bn128) arithmetic over bigints to validate a verification key's points: field and curve
 * membership, G2 subgroup membership, negation. Hand-rolled because the checks are a few lines of textbook formulas
 * and the curve libraries at hand (ffjavascript through snarkjs) are async, WASM-backed and not a dependency of
 * ours; speed does not matter here (a key is checked once when it is loaded).
 */

import { powMod } from '../field';

/** The base field modulus p. */
export const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
/** The group order r (the scalar field). */
export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const mod = (a: bigint): bigint => ((a % P) + P) % P;
const invFq = (a: bigint): bigint => powMod(a, P - 2n, P);

/** An element c0 + c1·u of Fq2 = Fq[u]/(u² + 1). */
export type Fq2 = readonly [bigint, bigint];

export const fq2 = {
  add: (a: Fq2, b: Fq2): Fq2 => [mod(a[0] + b[0]), mod(a[1] + b[1])],
  sub: (a: Fq2, b: Fq2): Fq2 => [mod(a[0] - b[0]), mod(a[1] - b[1])],
  mul: (a: Fq2, b: Fq2): Fq2 => [mod(a[0] * b[0] - a[1] * b[1]), mod(a[0] * b[1] + a[1] * b[0])],
  neg: (a: Fq2): Fq2 => [mod(-a[0]), mod(-a[1])],
  inv: (a: Fq2): Fq2 => {
    const norm = invFq(mod(a[0] * a[0] + a[1] * a[1]));
    return [mod(a[0] * norm), mod(-a[1] * norm)];
  },
  eq: (a: Fq2, b: Fq2): boolean => a[0] === b[0] && a[1] === b[1],
  isZero: (a: Fq2): boolean => a[0] === 0n && a[1] === 0n,
};

/** The twist's b' = 3 / (9 + u). */
const B2: Fq2 = fq2.mul([3n, 0n], fq2.inv([9n, 1n]));

/** An affine point; `undefined` is the point at infinity. */
export type G1Affine = { x: bigint; y: bigint };
export type G2Affine = { x: Fq2; y: Fq2 } | undefined;

export function isOnG1(p: G1Affine): boolean {
  return mod(p.y * p.y) === mod(p.x * p.x * p.x + 3n);
}

export function isOnTwist(p: NonNullable<G2Affine>): boolean {
  return fq2.eq(fq2.mul(p.y, p.y), fq2.add(fq2.mul(fq2.mul(p.x, p.x), p.x), B2));
}

export function negG2(p: G2Affine): G2Affine {
  return p && { x: p.x, y: fq2.neg(p.y) };
}

export function addG2(a: G2Affine, b: G2Affine): G2Affine {
  if (!a) return b;
  if (!b) return a;
  let slope: Fq2;
  if (fq2.eq(a.x, b.x)) {
    if (!fq2.eq(a.y, b.y) || fq2.isZero(a.y)) return undefined;
    const x2 = fq2.mul(a.x, a.x);
    slope = fq2.mul(fq2.add(fq2.add(x2, x2), x2), fq2.inv(fq2.add(a.y, a.y)));
  } else slope = fq2.mul(fq2.sub(b.y, a.y), fq2.inv(fq2.sub(b.x, a.x)));
  const x = fq2.sub(fq2.sub(fq2.mul(slope, slope), a.x), b.x);
  return { x, y: fq2.sub(fq2.mul(slope, fq2.sub(a.x, x)), a.y) };
}

export function mulG2(p: G2Affine, k: bigint): G2Affine {
  let result: G2Affine = undefined;
  let base = p;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = addG2(result, base);
    base = addG2(base, base);
  }
  return result;
}

/**
 * G2 over Fq2 has a large cofactor, so a point on the twist can still lie outside the order-r subgroup the pairing
 * is defined on; such points are how invalid-subgroup attacks on pairing checks start.
 */
export function isInG2Subgroup(p: NonNullable<G2Affine>): boolean {
  return isOnTwist(p) && mulG2(p, R) === undefined;
}
