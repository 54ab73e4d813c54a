import { InvalidInputError } from '../errors';
import { R } from './bn254';

/** A circom r1cs file, as the Groth16 setup needs it: sizes, and the constraints as raw little-endian entries. */
export type R1cs = {
  /** Wires, the constant 1 (wire 0) included; snarkjs's `nVars`. */
  nVars: number;
  /** Public outputs + public inputs (wires 1..nPublic); snarkjs's `nPublic`. */
  nPublic: number;
  nConstraints: number;
  /** The constraints section: per constraint, for A, B, C: a count, then (wire u32, coefficient 32 bytes LE). */
  constraints: Uint8Array;
};

export type ParseR1csErrorType = InvalidInputError;

const MAGIC = 'r1cs';

/**
 * Reads a circom r1cs (version 1) over BN254's scalar field. Hand-rolled rather than snarkjs's r1csfile: that one
 * is async, builds an ffjavascript curve, and turns every coefficient into a field object, while the development
 * setup only walks the constraints once as raw little-endian bytes.
 */
export function parseR1cs(bytes: Uint8Array): R1cs {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== MAGIC)
    throw new InvalidInputError('not an r1cs file');
  const nSections = view.getUint32(8, true);
  const sections = new Map<number, { at: number; size: number }>();
  let at = 12;
  for (let i = 0; i < nSections; i++) {
    if (at + 12 > bytes.length) throw new InvalidInputError('r1cs file is truncated');
    const type = view.getUint32(at, true);
    const size = Number(view.getBigUint64(at + 4, true));
    if (!sections.has(type)) sections.set(type, { at: at + 12, size });
    at += 12 + size;
  }
  if (at > bytes.length) throw new InvalidInputError('r1cs file is truncated');
  const header = sections.get(1);
  const body = sections.get(2);
  if (!header || !body) throw new InvalidInputError('r1cs file lacks its header or constraints section');
  const h = header.at;
  const n8 = view.getUint32(h, true);
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(bytes[h + 4 + i]!);
  if (n8 !== 32 || prime !== R) throw new InvalidInputError('r1cs is not over the BN254 scalar field');
  const o = h + 4 + n8;
  return {
    nVars: view.getUint32(o, true),
    nPublic: view.getUint32(o + 4, true) + view.getUint32(o + 8, true),
    // o + 12: private inputs; o + 16: labels (u64)
    nConstraints: view.getUint32(o + 24, true),
    constraints: bytes.subarray(body.at, body.at + body.size),
  };
}
