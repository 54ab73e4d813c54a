export type BackoffDelayParameters = {
  /** Failures in a row so far, counting the one just seen (1 for the first). */
  consecutiveFailures: number;
  /** Delay after the first failure. */
  baseMs: number;
  /** The delay never grows past this. */
  maxMs: number;
};

export type BackoffDelayReturnType = number;

/**
 * Capped exponential back-off: `baseMs`, then twice that per further failure, at most `maxMs`. A chain that is down
 * for an hour then costs a request every `maxMs`, not a log line every poll interval.
 *
 * @example backoffDelay({ consecutiveFailures: 3, baseMs: 500, maxMs: 30_000 }) // 2000
 */
export function backoffDelay(parameters: BackoffDelayParameters): BackoffDelayReturnType {
  const { consecutiveFailures, baseMs, maxMs } = parameters;
  // Cap the exponent first: 2 ** 1100 is Infinity, and a long outage must not overflow into NaN.
  const exponent = Math.min(Math.max(consecutiveFailures, 1) - 1, 30);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
