import * as poseidonLite from 'poseidon-lite';

import { commitVector, COMMIT_DOMAIN, packValues } from './commitVector';

const lite = poseidonLite as unknown as Record<string, (inputs: bigint[]) => bigint>;

/** The commitment as the circuit defines it, with the textbook Poseidon of poseidon-lite and nothing remembered. */
function reference(values: number[], bits: number, domain: bigint, salt: bigint): bigint {
  const elements = packValues(values, bits);
  let h = BigInt(values.length);
  for (let start = 0; start < elements.length; start += 14) {
    const chunk = elements.slice(start, start + 14);
    h = lite[`poseidon${2 + chunk.length}`]!([h, domain, ...chunk]);
  }
  return lite.poseidon3!([domain, salt, h]);
}

describe('commitVector', () => {
  it('equals the reference for short and long vectors, committed once or again', () => {
    const short = [3, -4, 100, 0];
    const long = Array.from({ length: 700 }, (_, i) => (i % 255) - 127);
    for (const [values, bits] of [
      [short, 16],
      [long, 8],
    ] as const)
      for (const salt of [1n, 2n, 1n])
        expect(commitVector(values, bits, COMMIT_DOMAIN.input, salt)).toBe(reference(values, bits, COMMIT_DOMAIN.input, salt));
  });

  it('tells domains, widths and lengths apart when a vector is committed again', () => {
    const c = commitVector([1, 2], 8, COMMIT_DOMAIN.input, 7n);
    expect(commitVector([1, 2], 8, COMMIT_DOMAIN.output, 7n)).not.toBe(c);
    expect(commitVector([1, 2], 16, COMMIT_DOMAIN.input, 7n)).not.toBe(c);
    expect(commitVector([1, 2, 0], 8, COMMIT_DOMAIN.input, 7n)).not.toBe(c);
    expect(commitVector(Int8Array.from([1, 2]), 8, COMMIT_DOMAIN.input, 7n)).toBe(c);
  });
});
