import { InvalidArgumentError } from './errors';

export type ParseAmountErrorType = InvalidArgumentError;

/**
 * Parses a decimal token amount ("100", "0.25") into base units. Rejects signs, exponents, empty strings,
 * zero, and more fractional digits than the token has.
 */
export function parseAmount(input: string, decimals: number): bigint {
  const text = input.trim();
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new InvalidArgumentError(`invalid amount '${input}': expected a positive decimal number such as 100 or 0.5`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) throw new InvalidArgumentError(`invalid amount '${input}': at most ${decimals} decimal places`);
  const value = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (value <= 0n) throw new InvalidArgumentError(`invalid amount '${input}': must be greater than 0`);
  return value;
}

export function formatAmount(value: bigint, decimals: number): string {
  const base = 10n ** BigInt(decimals);
  const whole = value / base;
  const fraction = (value % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}
