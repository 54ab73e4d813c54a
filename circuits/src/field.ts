import { InvalidInputError } from './errors';

/** BN254 scalar field modulus: every public signal, salt and job id is an element of this field. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** base^exp mod m by square-and-multiply (m prime in every use: a^(m-2) is then the inverse of a). */
export function powMod(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = ((base % m) + m) % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/**
 * Parses a field element given as a bigint or a decimal / 0x-hex string. Strict on purpose: `BigInt('')` is 0 and
 * `BigInt(' 7 ')` is 7, so an empty or padded string would otherwise silently become a valid value.
 */
export function toField(value: bigint | string, what: string): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) v = BigInt(value);
  else throw new InvalidInputError(`${what} '${String(value)}' is not an integer (decimal or 0x hex)`);
  if (v < 0n || v >= FIELD_MODULUS) throw new InvalidInputError(`${what} must lie in [0, field modulus)`);
  return v;
}
