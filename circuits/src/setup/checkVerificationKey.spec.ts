import type { VerificationKey } from 'snarkjs';

import { fq2, isInG2Subgroup, isOnTwist, mulG2, negG2, P, type G2Affine } from './bn254';
import { checkVerificationKey, G2_GENERATOR } from './checkVerificationKey';

const G: NonNullable<G2Affine> = {
  x: [BigInt(G2_GENERATOR[0][0]), BigInt(G2_GENERATOR[0][1])],
  y: [BigInt(G2_GENERATOR[1][0]), BigInt(G2_GENERATOR[1][1])],
};
const g2Json = (p: G2Affine): string[][] => [
  [p!.x[0].toString(), p!.x[1].toString()],
  [p!.y[0].toString(), p!.y[1].toString()],
  ['1', '0'],
];
const G1 = ['1', '2', '1'];

/** A structurally sound key (points with known discrete logs: fine for testing the checks, not for proving). */
function key(overrides: Partial<Record<keyof VerificationKey, unknown>> = {}): VerificationKey {
  return {
    protocol: 'groth16',
    curve: 'bn128',
    nPublic: 2,
    vk_alpha_1: G1,
    vk_beta_2: g2Json(mulG2(G, 7n)),
    vk_gamma_2: g2Json(G),
    vk_delta_2: g2Json(mulG2(G, 5n)),
    IC: [G1, G1, ['1', (P - 2n).toString(), '1']],
    ...overrides,
  } as unknown as VerificationKey;
}

describe('checkVerificationKey', () => {
  it('accepts a well-formed key', () => {
    expect(() => checkVerificationKey(key())).not.toThrow();
  });

  it('refuses δ = ±γ and δ = ±G (forgeable keys)', () => {
    expect(() => checkVerificationKey(key({ vk_delta_2: g2Json(G) }))).toThrow(/δ₂ = γ₂/);
    expect(() => checkVerificationKey(key({ vk_delta_2: g2Json(negG2(G)) }))).toThrow(/δ₂ = −γ₂/);
    const gamma = mulG2(G, 11n);
    expect(() => checkVerificationKey(key({ vk_gamma_2: g2Json(gamma), vk_delta_2: g2Json(negG2(gamma)) }))).toThrow(/δ₂ = −γ₂/);
    expect(() => checkVerificationKey(key({ vk_gamma_2: g2Json(gamma), vk_delta_2: g2Json(negG2(G)) }))).toThrow(
      /±the G2 generator/,
    );
  });

  it('refuses non-canonical coordinates (≥ p, leading zeros, hex, signs)', () => {
    const delta = g2Json(mulG2(G, 5n));
    const shifted = [[(BigInt(delta[0]![0]!) + P).toString(), delta[0]![1]!], delta[1]!, delta[2]!];
    expect(() => checkVerificationKey(key({ vk_delta_2: shifted }))).toThrow(/≥ the base field modulus/);
    for (const bad of ['01', '0x1', '-1', ' 1', '1e3', ''])
      expect(() => checkVerificationKey(key({ vk_alpha_1: [bad, '2', '1'] }))).toThrow(/not a canonical decimal/);
    expect(() => checkVerificationKey(key({ vk_alpha_1: [(1n + P).toString(), '2', '1'] }))).toThrow(/≥ the base field/);
  });

  it('refuses points off the curve, outside the G2 subgroup, or projective', () => {
    expect(() => checkVerificationKey(key({ vk_alpha_1: ['1', '3', '1'] }))).toThrow(/α₁ is not on the BN254 curve/);
    expect(() => checkVerificationKey(key({ IC: [G1, G1, ['2', '2', '1']] }))).toThrow(/IC\[2\] is not on the/);
    expect(() => checkVerificationKey(key({ vk_alpha_1: ['1', '2', '2'] }))).toThrow(/not in affine form/);
    const off = g2Json(G);
    off[1]![0] = (BigInt(off[1]![0]!) + 1n).toString();
    expect(() => checkVerificationKey(key({ vk_beta_2: off }))).toThrow(/β₂ is not on the BN254 twist/);
    // A twist point outside the order-r subgroup: the twist's x³ + b' hits a square for some small x.
    let outside: G2Affine;
    for (let x = 1n; !outside; x++) {
      const y = sqrtFq2(fq2.add(fq2.mul(fq2.mul([x, 0n], [x, 0n]), [x, 0n]), fq2.mul([3n, 0n], fq2.inv([9n, 1n]))));
      if (y) outside = { x: [x, 0n], y };
    }
    expect(isOnTwist(outside!)).toBe(true);
    expect(isInG2Subgroup(outside!)).toBe(false);
    expect(() => checkVerificationKey(key({ vk_delta_2: g2Json(outside) }))).toThrow(/δ₂ is not in the order-r subgroup/);
  });

  it('refuses a wrong IC length and a wrong protocol', () => {
    expect(() => checkVerificationKey(key({ nPublic: 3 }))).toThrow(/IC has 3 points for 3 public signals/);
    expect(() => checkVerificationKey(key({ protocol: 'plonk' }))).toThrow(/not a Groth16 key/);
  });
});

/** A square root in Fq2 (p ≡ 3 mod 4), or undefined if there is none; only the test needs it. */
function sqrtFq2(a: readonly [bigint, bigint]): readonly [bigint, bigint] | undefined {
  const pow = (b: bigint, e: bigint): bigint => {
    let r = 1n;
    for (b %= P; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
    return r;
  };
  const sqrtFq = (v: bigint): bigint | undefined => {
    const r = pow(v, (P + 1n) / 4n);
    return (r * r) % P === ((v % P) + P) % P ? r : undefined;
  };
  // (x + yu)² = a  ⇔  x² − y² = a0, 2xy = a1; with |a| = sqrt(a0² + a1²): x² = (a0 ± |a|)/2.
  const norm = sqrtFq((a[0] * a[0] + a[1] * a[1]) % P);
  if (norm === undefined) return undefined;
  const half = pow(2n, P - 2n);
  for (const n of [norm, P - norm]) {
    const x = sqrtFq((((a[0] + n) % P) * half) % P);
    if (x === undefined || x === 0n) continue;
    const y = (((a[1] * half) % P) * pow(x, P - 2n)) % P;
    const candidate = [x, y] as const;
    if (fq2.eq(fq2.mul(candidate, candidate), [((a[0] % P) + P) % P, ((a[1] % P) + P) % P])) return candidate;
  }
  return undefined;
}
