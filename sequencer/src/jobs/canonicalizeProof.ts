import { BN254_P } from '@verity/circuits';

import { ValidationError } from '../common/errors';

/** A Groth16 proof in the one encoding the sequencer stores and settles: snarkjs's JSON, canonical. */
export type CanonicalGroth16Proof = {
  pi_a: [string, string, '1'];
  pi_b: [[string, string], [string, string], ['1', '0']];
  pi_c: [string, string, '1'];
  protocol: 'groth16';
  curve: 'bn128';
};

export type CanonicalizeProofParameters = unknown;
export type CanonicalizeProofReturnType = CanonicalGroth16Proof;
export type CanonicalizeProofErrorType = ValidationError;

const DECIMAL = /^(0|[1-9][0-9]{0,76})$/;
const KEYS = new Set(['pi_a', 'pi_b', 'pi_c', 'protocol', 'curve']);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function coordinate(value: unknown, path: string): string {
  if (typeof value !== 'string' || !DECIMAL.test(value) || BigInt(value) >= BN254_P)
    throw new ValidationError(
      `${path} must be a decimal string of a BN254 base field element (no sign, no leading zeros, below p), got ${describe(value)}`,
    );
  return value;
}

function tuple(value: unknown, length: number, path: string): unknown[] {
  if (!Array.isArray(value) || value.length !== length)
    throw new ValidationError(`${path} must be an array of exactly ${length} entries, got ${describe(value)}`);
  return value;
}

function g1(value: unknown, path: string): [string, string, '1'] {
  const [x, y, z] = tuple(value, 3, path);
  const point: [string, string] = [coordinate(x, `${path}[0]`), coordinate(y, `${path}[1]`)];
  if (z !== '1') throw new ValidationError(`${path}[2] must be "1" (affine point), got ${describe(z)}`);
  return [...point, '1'];
}

function g2(value: unknown, path: string): [[string, string], [string, string], ['1', '0']] {
  const [x, y, z] = tuple(value, 3, path);
  const pair = (v: unknown, p: string): [string, string] => {
    const [c0, c1] = tuple(v, 2, p);
    return [coordinate(c0, `${p}[0]`), coordinate(c1, `${p}[1]`)];
  };
  const point: [[string, string], [string, string]] = [pair(x, `${path}[0]`), pair(y, `${path}[1]`)];
  const [z0, z1] = tuple(z, 2, `${path}[2]`);
  if (z0 !== '1' || z1 !== '0') throw new ValidationError(`${path}[2] must be ["1","0"] (affine point), got ${describe(z)}`);
  return [...point, ['1', '0']];
}

/** A short, safe rendering of what was received, for the error message. */
function describe(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `an array of ${v.length}` : typeof v;
  return s.length > 90 ? `${s.slice(0, 90)}…` : s;
}

/**
 * The one encoding a Groth16 proof may have here. snarkjs accepts many spellings of one proof (coordinates ≥ p
 * reduced modulo p, hex strings, extra array entries, extra keys), but L1 does not: InferenceSettlement refuses a
 * coordinate ≥ p, and a proof that cannot be encoded breaks the settlement batch it sits in. So only the exact
 * shape passes (pi_a[3], pi_b[3][2], pi_c[3] with z = "1" / ["1","0"], canonical decimals below p, protocol
 * `groth16` and curve `bn128` when given, nothing else), and the caller stores the re-serialized result.
 * Throws ValidationError naming the first wrong field.
 */
export function canonicalizeProof(proof: CanonicalizeProofParameters): CanonicalizeProofReturnType {
  if (!isPlainObject(proof)) throw new ValidationError('proof must be a JSON object (snarkjs Groth16 proof)');
  for (const key of Object.keys(proof))
    if (!KEYS.has(key))
      throw new ValidationError(
        `proof.${key.slice(0, 40)} is not a field of a Groth16 proof (allowed: pi_a, pi_b, pi_c, protocol, curve)`,
      );
  if (proof.protocol !== undefined && proof.protocol !== 'groth16')
    throw new ValidationError(`proof.protocol must be "groth16", got ${describe(proof.protocol)}`);
  if (proof.curve !== undefined && proof.curve !== 'bn128')
    throw new ValidationError(`proof.curve must be "bn128", got ${describe(proof.curve)}`);
  return {
    pi_a: g1(proof.pi_a, 'proof.pi_a'),
    pi_b: g2(proof.pi_b, 'proof.pi_b'),
    pi_c: g1(proof.pi_c, 'proof.pi_c'),
    protocol: 'groth16',
    curve: 'bn128',
  };
}

/** Whether two canonical proofs are the same points (independent of key order, e.g. after a jsonb round trip). */
export function sameProof(a: CanonicalGroth16Proof, b: CanonicalGroth16Proof): boolean {
  const flat = (p: CanonicalGroth16Proof) => JSON.stringify([p.pi_a, p.pi_b, p.pi_c]);
  return flat(a) === flat(b);
}

/** Whether a stored proof (jsonb: keys reordered) is `proof`; a row stored before canonicalization may not parse. */
export function storedProofEquals(stored: Record<string, unknown>, proof: CanonicalGroth16Proof): boolean {
  try {
    return sameProof(canonicalizeProof(stored), proof);
  } catch {
    return false;
  }
}
