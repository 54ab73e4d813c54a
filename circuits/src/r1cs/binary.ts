import { FIELD_MODULUS as R } from '../field';

/**
 * The iden3 binary containers snarkjs reads: r1cs (version 1) and wtns (version 2). Each is a 4-byte magic, a
 * version, a section count, then sections of (type u32, size u64, bytes). Field elements are 32 bytes little-endian
 * in normal (not Montgomery) form.
 */
export const u32 = (x: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(x);
  return b;
};

export const u64 = (x: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(x));
  return b;
};

const MASK64 = (1n << 64n) - 1n;

/** Writes x mod r as 32 little-endian bytes at `offset`. */
export function writeFieldElement(target: Buffer, offset: number, x: bigint): void {
  let v = x >= 0n && x < R ? x : ((x % R) + R) % R;
  for (let w = 0; w < 4; w++, v >>= 64n) target.writeBigUInt64LE(v & MASK64, offset + 8 * w);
}

export const fieldElement = (x: bigint): Buffer => {
  const b = Buffer.alloc(32);
  writeFieldElement(b, 0, x);
  return b;
};

/** The prime itself (fieldElement would reduce it to 0). */
export const primeBytes = (): Buffer => {
  const b = Buffer.alloc(32);
  let v = R;
  for (let w = 0; w < 4; w++, v >>= 64n) b.writeBigUInt64LE(v & MASK64, 8 * w);
  return b;
};

export const section = (type: number, data: Buffer): Buffer => Buffer.concat([u32(type), u64(data.length), data]);

export const container = (magic: 'r1cs' | 'wtns', version: number, sections: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(magic, 'latin1'), u32(version), u32(sections.length), ...sections]);

export type R1csHeader = {
  nWires: number;
  nPublicOutputs: number;
  nPublicInputs: number;
  nPrivateInputs: number;
  nConstraints: number;
};

/** An r1cs file: header, constraints (already encoded), and the identity wire → label map. */
export function encodeR1cs(header: R1csHeader, constraints: Buffer | Buffer[]): Buffer {
  const head = Buffer.concat([
    u32(32),
    primeBytes(),
    u32(header.nWires),
    u32(header.nPublicOutputs),
    u32(header.nPublicInputs),
    u32(header.nPrivateInputs),
    u64(header.nWires), // labels
    u32(header.nConstraints),
  ]);
  const labels = Buffer.alloc(8 * header.nWires);
  for (let i = 0; i < header.nWires; i++) labels.writeBigUInt64LE(BigInt(i), 8 * i);
  const body = Array.isArray(constraints) ? Buffer.concat(constraints) : constraints;
  return container('r1cs', 1, [section(1, head), section(2, body), section(3, labels)]);
}

/** A witness file: every wire's value, the constant 1 first. */
export function encodeWtns(values: readonly bigint[]): Buffer {
  const data = Buffer.alloc(32 * values.length);
  for (let i = 0; i < values.length; i++) writeFieldElement(data, 32 * i, values[i]!);
  return container('wtns', 2, [section(1, Buffer.concat([u32(32), primeBytes(), u32(values.length)])), section(2, data)]);
}
