import { bn254 } from '@noble/curves/bn254';

/**
 * snarkjs JSON (decimal strings, G2 as [c0, c1]) ⇄ the Solidity structs of Groth16.sol (G2 in the EIP-197 precompile
 * order, imaginary part first). One place for the swap: getting it wrong makes every proof fail, or a key mismatch.
 */
export type SnarkjsG1 = string[];
export type SnarkjsG2 = string[][];
export type SnarkjsVerificationKey = {
  vk_alpha_1: SnarkjsG1;
  vk_beta_2: SnarkjsG2;
  vk_gamma_2: SnarkjsG2;
  vk_delta_2: SnarkjsG2;
  IC: SnarkjsG1[];
};
export type SnarkjsProof = { pi_a: SnarkjsG1; pi_b: SnarkjsG2; pi_c: SnarkjsG1 };

export type SolidityG1 = { x: bigint; y: bigint };
export type SolidityG2 = { x: [bigint, bigint]; y: [bigint, bigint] };
export type SolidityVerifyingKey = {
  alpha1: SolidityG1;
  beta2: SolidityG2;
  gamma2: SolidityG2;
  delta2: SolidityG2;
  ic: SolidityG1[];
};
export type SolidityProof = { a: [bigint, bigint]; b: [[bigint, bigint], [bigint, bigint]]; c: [bigint, bigint] };

const g1 = (p: SnarkjsG1): SolidityG1 => ({ x: BigInt(p[0]!), y: BigInt(p[1]!) });
const g2 = (p: SnarkjsG2): SolidityG2 => ({
  x: [BigInt(p[0]![1]!), BigInt(p[0]![0]!)],
  y: [BigInt(p[1]![1]!), BigInt(p[1]![0]!)],
});

export function toSolidityVerifyingKey(vkey: SnarkjsVerificationKey): SolidityVerifyingKey {
  return {
    alpha1: g1(vkey.vk_alpha_1),
    beta2: g2(vkey.vk_beta_2),
    gamma2: g2(vkey.vk_gamma_2),
    delta2: g2(vkey.vk_delta_2),
    ic: vkey.IC.map(g1),
  };
}

export function toSolidityProof(proof: SnarkjsProof): SolidityProof {
  const b = g2(proof.pi_b);
  return {
    a: [BigInt(proof.pi_a[0]!), BigInt(proof.pi_a[1]!)],
    b: [b.x, b.y],
    c: [BigInt(proof.pi_c[0]!), BigInt(proof.pi_c[1]!)],
  };
}

/** Whether two keys are the same points (e.g. what a sequencer was given vs what L1 has registered). */
export function sameVerifyingKey(a: SolidityVerifyingKey, b: SolidityVerifyingKey): boolean {
  const flat = (k: SolidityVerifyingKey) =>
    [
      k.alpha1.x,
      k.alpha1.y,
      ...k.beta2.x,
      ...k.beta2.y,
      ...k.gamma2.x,
      ...k.gamma2.y,
      ...k.delta2.x,
      ...k.delta2.y,
      ...k.ic.flatMap((p) => [p.x, p.y]),
    ]
      .map(String)
      .join(',');
  return flat(a) === flat(b);
}

/** The inverse of toSolidityVerifyingKey: a key as the registry returns it, in snarkjs's JSON layout. */
export function fromSolidityVerifyingKey(vk: {
  alpha1: { x: bigint; y: bigint };
  beta2: { x: readonly bigint[]; y: readonly bigint[] };
  gamma2: { x: readonly bigint[]; y: readonly bigint[] };
  delta2: { x: readonly bigint[]; y: readonly bigint[] };
  ic: readonly { x: bigint; y: bigint }[];
}): SnarkjsVerificationKey & { protocol: 'groth16'; curve: 'bn128'; nPublic: number } {
  const g1 = (p: { x: bigint; y: bigint }) => [p.x.toString(), p.y.toString(), '1'];
  const g2 = (p: { x: readonly bigint[]; y: readonly bigint[] }) => [
    [p.x[1]!.toString(), p.x[0]!.toString()],
    [p.y[1]!.toString(), p.y[0]!.toString()],
    ['1', '0'],
  ];
  return {
    protocol: 'groth16',
    curve: 'bn128',
    nPublic: vk.ic.length - 1,
    vk_alpha_1: g1(vk.alpha1),
    vk_beta_2: g2(vk.beta2),
    vk_gamma_2: g2(vk.gamma2),
    vk_delta_2: g2(vk.delta2),
    IC: vk.ic.map(g1),
  };
}

/** Words of a batch key as ModelRegistry stores it: α(2), β(4), γ(4), δ(4), IC0 + modelId·IC1 (2), IC2(2), IC3(2). */
const BATCH_KEY_WORDS = 20;

/**
 * The words ModelRegistry.registerBatchKey stores for `vk` under model `modelId`: the model id is a constant of
 * every batch proof of that model, so the registry folds IC0 + modelId·IC1 once (bn254 G1, here with @noble/curves)
 * and keeps IC2, IC3 (count, batchHash). Compared against `storedKeyWords` to tell whether a batch key file is the
 * one registered on L1.
 */
export function batchKeyWords(vk: SolidityVerifyingKey, modelId: bigint): bigint[] {
  if (vk.ic.length !== 4) throw new Error(`a batch key has 4 IC points, this one ${vk.ic.length}`);
  const point = (p: SolidityG1) => bn254.ProjectivePoint.fromAffine({ x: p.x, y: p.y });
  const folded = point(vk.ic[0]!).add(point(vk.ic[1]!).multiplyUnsafe(modelId)).toAffine();
  return [
    vk.alpha1.x,
    vk.alpha1.y,
    ...vk.beta2.x,
    ...vk.beta2.y,
    ...vk.gamma2.x,
    ...vk.gamma2.y,
    ...vk.delta2.x,
    ...vk.delta2.y,
    folded.x,
    folded.y,
    ...vk.ic.slice(2).flatMap((p) => [p.x, p.y]),
  ];
}

/** The batch key words held in a ModelRegistry key contract's code (a STOP byte, then the words); [] if too short. */
export function storedBatchKeyWords(code: string): bigint[] {
  const hex = code.replace(/^0x/, '');
  if (hex.length < 2 + BATCH_KEY_WORDS * 64) return [];
  return Array.from({ length: BATCH_KEY_WORDS }, (_, i) => BigInt('0x' + hex.slice(2 + i * 64, 2 + (i + 1) * 64)));
}
