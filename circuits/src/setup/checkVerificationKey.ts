import { readFileSync } from 'node:fs';

import type { VerificationKey } from 'snarkjs';

import { InvalidInputError, WeakVerificationKeyError } from '../errors';

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

type G2Json = string[][];

/** Affine G2 point as "x.c0,x.c1,y.c0,y.c1"; refuses projective forms so equal points always compare equal. */
function affineG2(point: unknown, what: string): string {
  const p = point as G2Json;
  const ok =
    Array.isArray(p) &&
    p.length === 3 &&
    p.every((c) => Array.isArray(c) && c.length === 2 && c.every((v) => typeof v === 'string' && /^[0-9]+$/.test(v)));
  if (!ok) throw new WeakVerificationKeyError(`${what} is not a G2 point in snarkjs's JSON layout`);
  if (p[2]![0] !== '1' || p[2]![1] !== '0') throw new WeakVerificationKeyError(`${what} is not in affine form (z ≠ 1)`);
  return [p[0]![0], p[0]![1], p[1]![0], p[1]![1]].map((v) => BigInt(v!).toString()).join(',');
}

const GENERATOR = G2_GENERATOR.flat().join(',');

/**
 * Refuses a Groth16 verifying key that accepts forged proofs. When δ₂ = γ₂ (what snarkjs's `newZKey` writes before
 * any phase-2 contribution: both are the generator), A = α₁, B = β₂, C = −Σ sᵢ·ICᵢ satisfies the pairing check for
 * any public signals. So δ₂ must differ from γ₂ and from the generator, and neither may be the point at infinity.
 * γ₂ itself is the generator in every snarkjs key (snarkjs fixes γ = 1 and randomizes only δ in phase 2); that is
 * sound because every private term of the proof is divided by δ, which nobody knows after an honest contribution.
 */
export function checkVerificationKey(vkey: VerificationKey): VerificationKey {
  if (!vkey || vkey.protocol !== 'groth16' || vkey.curve !== 'bn128')
    throw new WeakVerificationKeyError('not a Groth16 key on bn128');
  const delta = affineG2(vkey.vk_delta_2, 'δ₂');
  const gamma = affineG2(vkey.vk_gamma_2, 'γ₂');
  affineG2(vkey.vk_beta_2, 'β₂');
  if (delta === '0,0,0,0' || gamma === '0,0,0,0') throw new WeakVerificationKeyError('δ₂ or γ₂ is the point at infinity');
  if (delta === gamma)
    throw new WeakVerificationKeyError('δ₂ = γ₂: the setup had no phase-2 contribution, anyone can forge proofs');
  if (delta === GENERATOR) throw new WeakVerificationKeyError('δ₂ is the G2 generator: the setup had no phase-2 contribution');
  if (!Array.isArray(vkey.IC) || vkey.IC.length !== vkey.nPublic + 1)
    throw new WeakVerificationKeyError(`IC has ${vkey.IC?.length} points for ${vkey.nPublic} public signals`);
  return vkey;
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
