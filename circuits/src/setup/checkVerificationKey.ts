import { readFileSync } from 'node:fs';

import type { VerificationKey } from 'snarkjs';

import { InvalidInputError, WeakVerificationKeyError } from '../errors';
import { fq2, isInG2Subgroup, isOnG1, isOnTwist, negG2, P, type G1Affine, type G2Affine } from './bn254';

/** BN254's G2 generator, affine, in snarkjs's JSON layout ([[x.c0, x.c1], [y.c0, y.c1], [1, 0]]). */
export const G2_GENERATOR = [
  [
    '10857046999023057135944570762232829481370756359578518086990519993285655852781',
    '11559732032986387107991004021392285783925812861821192530917403151452391805634',
  ],
  [
    '8495653923123431417604973247489272438418190587263600148770280649306958101930',
    '4082367875863433681332203403145435568316851327593401208105741076214120093531',
  ],
] as const;

/** A base-field element as snarkjs writes it: a canonical decimal (no sign, no leading zeros) below p. */
function fieldElement(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(v))
    throw new WeakVerificationKeyError(`${what} has a coordinate that is not a canonical decimal`);
  const n = BigInt(v);
  // A coordinate ≥ p names the same point as n − p to most code but not to all of it (and not to a byte-for-byte
  // comparison), so it is refused rather than reduced.
  if (n >= P) throw new WeakVerificationKeyError(`${what} has a coordinate ≥ the base field modulus`);
  return n;
}

function affineG1(point: unknown, what: string): G1Affine {
  const p = point as unknown[];
  if (!Array.isArray(p) || p.length !== 3)
    throw new WeakVerificationKeyError(`${what} is not a G1 point in snarkjs's JSON layout`);
  if (p[2] !== '1') throw new WeakVerificationKeyError(`${what} is not in affine form (z ≠ 1)`);
  const g = { x: fieldElement(p[0], what), y: fieldElement(p[1], what) };
  if (!isOnG1(g)) throw new WeakVerificationKeyError(`${what} is not on the BN254 curve`);
  return g;
}

/** An affine G2 point of the order-r subgroup; refuses projective forms so equal points always compare equal. */
function affineG2(point: unknown, what: string): NonNullable<G2Affine> {
  const p = point as unknown[][];
  const ok = Array.isArray(p) && p.length === 3 && p.every((c) => Array.isArray(c) && c.length === 2);
  if (!ok) throw new WeakVerificationKeyError(`${what} is not a G2 point in snarkjs's JSON layout`);
  if (p[2]![0] !== '1' || p[2]![1] !== '0') throw new WeakVerificationKeyError(`${what} is not in affine form (z ≠ 1)`);
  const g = {
    x: [fieldElement(p[0]![0], what), fieldElement(p[0]![1], what)] as const,
    y: [fieldElement(p[1]![0], what), fieldElement(p[1]![1], what)] as const,
  };
  if (!isOnTwist(g)) throw new WeakVerificationKeyError(`${what} is not on the BN254 twist`);
  if (!isInG2Subgroup(g)) throw new WeakVerificationKeyError(`${what} is not in the order-r subgroup of G2`);
  return g;
}

const sameG2 = (a: G2Affine, b: G2Affine): boolean => a === b || (!!a && !!b && fq2.eq(a.x, b.x) && fq2.eq(a.y, b.y));

const GENERATOR: NonNullable<G2Affine> = {
  x: [BigInt(G2_GENERATOR[0][0]), BigInt(G2_GENERATOR[0][1])],
  y: [BigInt(G2_GENERATOR[1][0]), BigInt(G2_GENERATOR[1][1])],
};

/**
 * Refuses a Groth16 verifying key that accepts forged proofs. When δ₂ = γ₂ (what snarkjs's `newZKey` writes before
 * any phase-2 contribution: both are the generator), A = α₁, B = β₂, C = −Σ sᵢ·ICᵢ satisfies the pairing check for
 * any public signals; δ₂ = −γ₂ is the same forgery with C negated. So δ₂ must differ from ±γ₂ and from ±G (the
 * generator, whose discrete log everybody knows). γ₂ itself is the generator in every snarkjs key (snarkjs fixes
 * γ = 1 and randomizes only δ in phase 2); that is sound because every private term of the proof is divided by δ,
 * which nobody knows after an honest contribution. Every point must be canonical, affine, on its curve and (for
 * G2, whose cofactor is not 1) in the order-r subgroup.
 */
export function checkVerificationKey(vkey: VerificationKey): VerificationKey {
  // The subgroup checks cost ~0.2 s; a service verifies every result against the same few keys, so keys that
  // passed are remembered by content (not by object: a caller could mutate the object after the check).
  const fingerprint = JSON.stringify(vkey);
  if (checked.has(fingerprint)) return vkey;
  checkKeyPoints(vkey);
  if (checked.size >= 256) checked.clear();
  checked.add(fingerprint);
  return vkey;
}

const checked = new Set<string>();

function checkKeyPoints(vkey: VerificationKey): void {
  if (!vkey || vkey.protocol !== 'groth16' || vkey.curve !== 'bn128')
    throw new WeakVerificationKeyError('not a Groth16 key on bn128');
  affineG1(vkey.vk_alpha_1, 'α₁');
  affineG2(vkey.vk_beta_2, 'β₂');
  const gamma = affineG2(vkey.vk_gamma_2, 'γ₂');
  const delta = affineG2(vkey.vk_delta_2, 'δ₂');
  if (sameG2(delta, gamma))
    throw new WeakVerificationKeyError('δ₂ = γ₂: the setup had no phase-2 contribution, anyone can forge proofs');
  if (sameG2(delta, negG2(gamma))) throw new WeakVerificationKeyError('δ₂ = −γ₂: anyone can forge proofs');
  if (sameG2(delta, GENERATOR) || sameG2(delta, negG2(GENERATOR)))
    throw new WeakVerificationKeyError('δ₂ is ±the G2 generator: the setup had no phase-2 contribution');
  if (!Number.isSafeInteger(vkey.nPublic) || vkey.nPublic < 0 || !Array.isArray(vkey.IC) || vkey.IC.length !== vkey.nPublic + 1)
    throw new WeakVerificationKeyError(`IC has ${vkey.IC?.length} points for ${vkey.nPublic} public signals`);
  vkey.IC.forEach((point, i) => affineG1(point, `IC[${i}]`));
}

/** Reads a verification key file and checks it (see checkVerificationKey). */
export function loadVerificationKey(file: string): VerificationKey {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidInputError(`cannot read verification key ${file}`, { cause: err });
  }
  return checkVerificationKey(raw as VerificationKey);
}
