import * as snarkjs from 'snarkjs';
import type { Groth16Proof, VerificationKey } from 'snarkjs';

type G1 = {
  fromObject(o: bigint[]): unknown;
  add(a: unknown, b: unknown): unknown;
  neg(a: unknown): unknown;
  timesScalar(a: unknown, s: bigint): unknown;
  toAffine(a: unknown): unknown;
  toObject(a: unknown): bigint[];
};

/**
 * The forgery that works against any Groth16 key whose δ₂ equals γ₂ (a snarkjs zkey with no phase-2 contribution):
 * A = α₁, B = β₂, C = −(IC₀ + Σ sᵢ·ICᵢ). No witness is needed, the public signals are whatever the forger wants.
 * Used by the tests to show that honest keys reject it and weak keys are refused before they could accept it.
 */
export async function forgeGroth16Proof(vkey: VerificationKey, publicSignals: string[]): Promise<Groth16Proof> {
  const curve = (await snarkjs.curves.getCurveFromName('bn128')) as unknown as { G1: G1; terminate(): Promise<void> };
  const { G1 } = curve;
  const point = (o: string[]) => G1.fromObject(o.map((v) => BigInt(v)));
  let vkX = point(vkey.IC[0]!);
  publicSignals.forEach((s, i) => (vkX = G1.add(vkX, G1.timesScalar(point(vkey.IC[i + 1]!), BigInt(s)))));
  const affine = (p: unknown) => G1.toObject(G1.toAffine(p)).map((v) => v.toString());
  return {
    pi_a: affine(point(vkey.vk_alpha_1)),
    pi_b: vkey.vk_beta_2,
    pi_c: affine(G1.neg(vkX)),
    protocol: 'groth16',
    curve: 'bn128',
  };
}
