import { randomBytes } from 'node:crypto';

import * as poseidonLite from 'poseidon-lite';

import { FIELD_MODULUS } from '../field';
import { poseidon } from './poseidon';

/** poseidon-lite computes the textbook permutation (full matrix every round): the reference for each arity. */
const reference = poseidonLite as unknown as Record<string, (inputs: bigint[]) => bigint>;
const element = () => BigInt('0x' + randomBytes(32).toString('hex')) % FIELD_MODULUS;

describe('poseidon', () => {
  it('matches circomlib’s test vectors', () => {
    expect(poseidon([1n, 2n])).toBe(0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
    expect(poseidon([1n, 2n, 3n, 4n])).toBe(0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465n);
  });

  it('equals the textbook permutation for every arity from 1 to 16, zero and p - 1 included', () => {
    for (let n = 1; n <= 16; n++)
      for (const inputs of [
        Array.from({ length: n }, element),
        Array.from({ length: n }, () => 0n),
        Array.from({ length: n }, () => FIELD_MODULUS - 1n),
      ])
        expect(poseidon(inputs)).toBe(reference[`poseidon${n}`]!(inputs));
  });

  it('takes inputs modulo the field', () => {
    const x = element();
    expect(poseidon([x + FIELD_MODULUS, 5n])).toBe(poseidon([x, 5n]));
  });

  it('refuses no input and more than 16', () => {
    expect(() => poseidon([])).toThrow(/1 to 16 inputs/);
    expect(() => poseidon(Array.from({ length: 17 }, () => 1n))).toThrow(/1 to 16 inputs/);
  });
});
