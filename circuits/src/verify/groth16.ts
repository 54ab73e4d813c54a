import * as snarkjs from 'snarkjs';
import type { Groth16Proof, VerificationKey } from 'snarkjs';

import { FIELD_MODULUS } from '../field';
import { P } from '../setup/bn254';

/** The parts of ffjavascript's bn128 curve this verifier calls (synchronous, on this thread's WebAssembly). */
type Field = {
  mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  inv(a: Uint8Array): Uint8Array;
  eq(a: Uint8Array, b: Uint8Array): boolean;
};
type Group = {
  fromObject(a: bigint[] | bigint[][]): Uint8Array;
  isValid(a: Uint8Array): boolean;
  isZero(a: Uint8Array): boolean;
  neg(a: Uint8Array): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  timesScalar(a: Uint8Array, s: Uint8Array | bigint | number): Uint8Array;
  toJacobian(a: Uint8Array): Uint8Array;
};
type Curve = {
  G1: Group;
  G2: Group;
  Gt: Field;
  Fr: { n8: number };
  prepareG1(p: Uint8Array): Uint8Array;
  prepareG2(q: Uint8Array): Uint8Array;
  millerLoop(p: Uint8Array, q: Uint8Array): Uint8Array;
  finalExponentiation(x: Uint8Array): Uint8Array;
};

/** A verification key with its fixed parts precomputed: γ and δ prepared for Miller loops, e(α, β)⁻¹ in Gt. */
type PreparedKey = { ic: Uint8Array[]; gamma: Uint8Array; delta: Uint8Array; alphaBetaInv: Uint8Array };

const prepared = new WeakMap<VerificationKey, PreparedKey>();

const big = (xs: unknown): bigint[] => (xs as string[]).map((x) => BigInt(x));
const big2 = (xs: unknown): bigint[][] => (xs as string[][]).map(big);

/** A canonical base-field coordinate, as a decimal string (what the L1 precompiles accept). */
const coordinate = (x: unknown): x is string => typeof x === 'string' && /^[0-9]{1,78}$/.test(x) && BigInt(x) < P;

/**
 * The proof as the L1 verifier reads it: affine points (z = 1; calldata carries x and y only), every coordinate
 * canonical. snarkjs would accept z ≠ 1 and coordinates past p, which the chain then reads differently or refuses.
 */
function wellFormed(proof: Groth16Proof): boolean {
  const { pi_a: a, pi_b: b, pi_c: c } = proof as { pi_a: unknown; pi_b: unknown; pi_c: unknown };
  const g1 = (p: unknown) => Array.isArray(p) && p.length === 3 && coordinate(p[0]) && coordinate(p[1]) && p[2] === '1';
  const f2 = (x: unknown) => Array.isArray(x) && x.length === 2 && coordinate(x[0]) && coordinate(x[1]);
  const g2 = (p: unknown) =>
    Array.isArray(p) && p.length === 3 && f2(p[0]) && f2(p[1]) && Array.isArray(p[2]) && p[2][0] === '1' && p[2][1] === '0';
  return g1(a) && g2(b) && g1(c);
}

function prepare(curve: Curve, vkey: VerificationKey): PreparedKey {
  let key = prepared.get(vkey);
  if (key) return key;
  const alpha = curve.G1.fromObject(big(vkey.vk_alpha_1));
  const beta = curve.G2.fromObject(big2(vkey.vk_beta_2));
  key = {
    ic: (vkey.IC as string[][]).map((p) => curve.G1.fromObject(big(p))),
    gamma: curve.prepareG2(curve.G2.toJacobian(curve.G2.fromObject(big2(vkey.vk_gamma_2)))),
    delta: curve.prepareG2(curve.G2.toJacobian(curve.G2.fromObject(big2(vkey.vk_delta_2)))),
    alphaBetaInv: curve.Gt.inv(
      curve.finalExponentiation(
        curve.millerLoop(curve.prepareG1(curve.G1.toJacobian(alpha)), curve.prepareG2(curve.G2.toJacobian(beta))),
      ),
    ),
  };
  prepared.set(vkey, key);
  return key;
}

const R_BYTES = (() => {
  const out = new Uint8Array(32);
  let r = FIELD_MODULUS;
  for (let i = 0; i < 32; i++, r >>= 8n) out[i] = Number(r & 0xffn);
  return out;
})();

/**
 * Groth16 verification over BN254, the equation snarkjs checks: e(-A, B) · e(IC(signals), γ) · e(C, δ) · e(α, β) = 1,
 * with e(α, β) and the prepared γ, δ computed once per key, three Miller loops and one final exponentiation per
 * proof, on this thread (snarkjs hands each of its four Miller loops to a worker thread, which costs more than the
 * loops themselves on a small machine). Stricter than snarkjs where the L1 precompile is: B must lie in the order-r
 * subgroup of G2 (snarkjs only checks the curve equation), and A, C may not be the point at infinity (no honest
 * proof has them). The caller checks the key (checkVerificationKey) and that each signal is a canonical field
 * element. Hand-rolled over ffjavascript's pairing primitives: snarkjs offers no prepared-key verifier.
 */
export async function verifyGroth16(vkey: VerificationKey, publicSignals: string[], proof: Groth16Proof): Promise<boolean> {
  const curve = (await snarkjs.curves.getCurveFromName('bn128')) as unknown as Curve;
  if (publicSignals.length + 1 !== vkey.IC.length || !wellFormed(proof)) return false;
  const key = prepare(curve, vkey);
  const A = curve.G1.fromObject(big(proof.pi_a.slice(0, 2)));
  const B = curve.G2.fromObject(big2(proof.pi_b.slice(0, 2)));
  const C = curve.G1.fromObject(big(proof.pi_c.slice(0, 2)));
  if (!curve.G1.isValid(A) || !curve.G1.isValid(C) || !curve.G2.isValid(B)) return false;
  if (curve.G1.isZero(A) || curve.G1.isZero(C) || curve.G2.isZero(B)) return false;
  // BN254's G1 has cofactor 1; G2's twist does not, so B's order is checked: r·B = O.
  if (!curve.G2.isZero(curve.G2.timesScalar(B, R_BYTES))) return false;
  let cpub = key.ic[0]!;
  publicSignals.forEach((s, i) => {
    const v = BigInt(s);
    if (v !== 0n) cpub = curve.G1.add(cpub, curve.G1.timesScalar(key.ic[i + 1]!, v));
  });
  // ffjavascript's prepare functions take Jacobian points (as its own pairingEq passes them).
  const loop = (p: Uint8Array, preparedQ: Uint8Array) => curve.millerLoop(curve.prepareG1(curve.G1.toJacobian(p)), preparedQ);
  let acc = curve.Gt.mul(loop(curve.G1.neg(A), curve.prepareG2(curve.G2.toJacobian(B))), loop(C, key.delta));
  // e(O, γ) = 1: a combination of the signals at infinity contributes nothing.
  if (!curve.G1.isZero(cpub)) acc = curve.Gt.mul(acc, loop(cpub, key.gamma));
  return curve.Gt.eq(curve.finalExponentiation(acc), key.alphaBetaInv);
}
