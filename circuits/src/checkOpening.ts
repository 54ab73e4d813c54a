import { COMMIT_DOMAIN, commitVector } from './commit/commitVector';
import { OpeningInvalidError } from './errors';
import { toField } from './field';
import { size } from './ir/types';
import type { InferenceOutput } from './proveInference';
import { quantizeInput } from './quantize/evaluateQuantized';
import type { ModelInterface } from './quantize/types';

type Model = { program: ModelInterface };

/** A value the circuit could have committed to: an integer inside the signed `bits`-bit range. */
function checkInRange(field: string, v: unknown, bits: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new OpeningInvalidError(field, `is ${String(v)}, not an integer`);
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  if (v < lo || v > hi) throw new OpeningInvalidError(field, `= ${v} is outside the ${bits}-bit range [${lo}, ${hi}]`);
  return v;
}

function commitmentOf(field: string, v: bigint | string): bigint {
  try {
    return toField(v, field);
  } catch {
    throw new OpeningInvalidError(field, `'${String(v)}' is not a field element`);
  }
}

export type CheckOutputOpeningParameters = {
  model: Model;
  /** The opening as received (parsed JSON): every field is checked, nothing is trusted. */
  output: Partial<Record<keyof InferenceOutput, unknown>>;
  /** The output commitment (public signal 2 of the proof). */
  commitment: bigint | string;
};

/**
 * Checks an output opening exactly as the circuit constrains it, so a file that merely hashes to the commitment
 * cannot carry other numbers: every integer inside its bit range (otherwise two out-of-range values can trade
 * 2^bits between packed neighbours and keep the hash), the argmax the circuit's rule picks (lowest index on ties),
 * decoded floats equal to integers / 2^scale, and the salted commitment equal. Throws OpeningInvalidError naming
 * the field.
 */
export function checkOutputOpening(parameters: CheckOutputOpeningParameters): InferenceOutput {
  const { program } = parameters.model;
  const o = parameters.output;
  const n = size(program.outputShape);
  if (!Array.isArray(o.integers) || o.integers.length !== n)
    throw new OpeningInvalidError('output.integers', `must be an array of ${n} integers`);
  const integers = o.integers.map((v, i) => checkInRange(`output.integers[${i}]`, v, program.outputBits));
  let best = 0;
  for (let i = 1; i < n; i++) if (integers[i]! > integers[best]!) best = i;
  if (o.argmax !== best)
    throw new OpeningInvalidError('output.argmax', `is ${String(o.argmax)}, but the largest output is at index ${best}`);
  if (o.scale !== undefined && o.scale !== program.outputScale)
    throw new OpeningInvalidError('output.scale', `is ${String(o.scale)}, the model's output scale is ${program.outputScale}`);
  if (o.values !== undefined) {
    if (!Array.isArray(o.values) || o.values.length !== n)
      throw new OpeningInvalidError('output.values', `must be an array of ${n} numbers`);
    o.values.forEach((v, i) => {
      const expected = integers[i]! / 2 ** program.outputScale;
      if (v !== expected)
        throw new OpeningInvalidError(
          `output.values[${i}]`,
          `is ${String(v)}, but integers[${i}] / 2^${program.outputScale} = ${expected}`,
        );
    });
  }
  if (typeof o.salt !== 'string' && typeof o.salt !== 'bigint')
    throw new OpeningInvalidError('output.salt', 'is missing (the opening needs the prover’s blinding salt)');
  const salt = commitmentOf('output.salt', o.salt);
  const expected = commitmentOf('output commitment', parameters.commitment);
  const actual = commitVector([...integers, best], program.outputBits, COMMIT_DOMAIN.output, salt);
  if (actual !== expected) throw new OpeningInvalidError('output', 'does not match the output commitment');
  return {
    integers,
    argmax: best,
    scale: program.outputScale,
    values: integers.map((v) => v / 2 ** program.outputScale),
    salt: salt.toString(),
  };
}

export type CheckInputOpeningParameters = {
  model: Model;
  /** The float input as the requester sent it. */
  input: unknown;
  salt: unknown;
  /** The input commitment (public signal 1 of the proof, the one the requester signed). */
  commitment: bigint | string;
};

/** Checks that a float input and salt open the input commitment (the input is range-checked as for proving). */
export function checkInputOpening(parameters: CheckInputOpeningParameters): void {
  const { program } = parameters.model;
  if (!Array.isArray(parameters.input)) throw new OpeningInvalidError('input', 'must be an array of numbers');
  const xq = quantizeInput(program, parameters.input as number[]);
  if (typeof parameters.salt !== 'string' && typeof parameters.salt !== 'bigint')
    throw new OpeningInvalidError('input salt', 'is missing');
  const salt = commitmentOf('input salt', parameters.salt);
  const expected = commitmentOf('input commitment', parameters.commitment);
  if (commitVector(xq, program.inputBits, COMMIT_DOMAIN.input, salt) !== expected)
    throw new OpeningInvalidError('input', 'does not match the input commitment');
}
