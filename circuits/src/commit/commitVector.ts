import { randomBytes } from 'node:crypto';

import { poseidon } from './poseidon';

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
 * A fresh blinding salt: 248 bits from the OS (31 bytes, always below the field modulus), as a decimal string.
 * The requester makes the input's salt, the prover the output's; salts travel with the data, never on chain.
 */
export function randomSalt(): string {
  return BigInt('0x' + randomBytes(31).toString('hex')).toString();
}

/**
 * Hiding Poseidon commitment to a vector of small signed integers, the same one the circuit computes:
 * h = length; for each chunk of up to 14 packed elements: h = Poseidon(2 + k)(h, domain, chunk of k); then
 * commitment = Poseidon3(domain, salt, h). A short vector costs a Poseidon3, not a Poseidon16 (intake computes this
 * for every request). Hand-rolled because circomlib offers Poseidon up to 16 inputs only. The caller range-checks the
 * values (the circuit does, see checkOpening).
 */
export function commitVector(values: ArrayLike<number>, bits: number, domain: bigint, salt: bigint): bigint {
  return poseidon([domain, salt, vectorHash(values, bits, domain)]);
}

function vectorHash(values: ArrayLike<number>, bits: number, domain: bigint): bigint {
  const elements = packValues(values, bits);
  let h = BigInt(values.length);
  for (let start = 0; start < elements.length; start += 14) {
    const chunk = elements.slice(start, start + 14);
    h = poseidon([h, domain, ...chunk]);
  }
  return h;
}
