import { poseidon16 } from 'poseidon-lite';

/** Domain tags: an input and an output commitment can never be equal by construction. */
export const COMMIT_DOMAIN = { input: 1n, output: 2n } as const;

/** Values per field element when packing `bits`-bit integers (252 bits used, below the 254-bit field). */
export const valuesPerElement = (bits: number): number => Math.floor(252 / bits);

/** Packs signed `bits`-bit integers (offset by 2^(bits-1) to be non-negative) into field elements, little-end first. */
export function packValues(values: ArrayLike<number>, bits: number): bigint[] {
  const per = valuesPerElement(bits);
  const offset = 1n << BigInt(bits - 1);
  const out: bigint[] = [];
  for (let start = 0; start < values.length; start += per) {
    let e = 0n;
    for (let t = Math.min(per, values.length - start) - 1; t >= 0; t--)
      e = (e << BigInt(bits)) + BigInt(values[start + t]!) + offset;
    out.push(e);
  }
  return out;
}

/**
 * Poseidon commitment to a vector of small signed integers, the same one the circuit computes:
 * h = 0; for each chunk of 14 packed elements: h = Poseidon16(h, domain, chunk…, 0-padded); with the vector
 * length bound in by the first absorb. Hand-rolled because circomlib offers Poseidon up to 16 inputs only.
 */
export function commitVector(values: ArrayLike<number>, bits: number, domain: bigint): bigint {
  const elements = packValues(values, bits);
  let h = BigInt(values.length);
  for (let start = 0; start < elements.length; start += 14) {
    const chunk = elements.slice(start, start + 14);
    while (chunk.length < 14) chunk.push(0n);
    h = poseidon16([h, domain, ...chunk]);
  }
  return h;
}
