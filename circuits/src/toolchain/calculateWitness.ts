import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type WitnessCalculator = { calculateWitness(input: Record<string, unknown>, sanityCheck: boolean): Promise<bigint[]> };

const calculators = new Map<string, Promise<WitnessCalculator>>();

/**
 * The full witness of a compiled circuit for `input`, via the witness calculator circom generated next to the
 * wasm. Throws when any `===` in the circuit fails: the circuit-level "expect fail".
 */
export async function calculateWitness(wasmFile: string, input: Record<string, unknown>): Promise<bigint[]> {
  let calculator = calculators.get(wasmFile);
  if (!calculator) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- circom's generated loader, a build output
    const builder = require(join(wasmFile, '..', 'witness_calculator.js')) as (code: Buffer) => Promise<WitnessCalculator>;
    calculator = builder(readFileSync(wasmFile));
    calculators.set(wasmFile, calculator);
  }
  return (await calculator).calculateWitness(input, true);
}
