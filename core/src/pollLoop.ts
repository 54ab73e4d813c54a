import { backoffDelay } from './backoffDelay';
import { BaseError, ServiceHaltedError } from './errors/base';
import type { Logger } from './logger';

/** How a loop reads a failure: the typed error it stands for, and whether it is a known transient. */
export type ClassifyError = (err: unknown) => { error: BaseError; severity: 'temporary' | 'critical' };

/** Without a classifier every failure is typed as is (or INTERNAL) and logged as an error. */
const classifyAsCritical: ClassifyError = (err) => ({
  error:
    err instanceof BaseError
      ? err
      : new BaseError('INTERNAL', 'unexpected error', { details: err instanceof Error ? err.message : String(err), cause: err }),
  severity: 'critical',
});

export type PollLoopParameters = {
  name: string;
  log: Logger;
  intervalMs: number;
  step: () => Promise<unknown>;
  /** Delay before the first retry after a failure; it doubles with each failure in a row. Defaults to `intervalMs`. */
  backoffMs?: number;
  /** Cap of the retry delay (default 30 s). */
  maxBackoffMs?: number;
  /** Types each failure and says whether it is transient (chain loops pass toChainError's reading). */
  classify?: ClassifyError;
  /** Called once when a deliberate halt (a ServiceHaltedError thrown by `step`) ends the loop. */
  onHalt?: (err: ServiceHaltedError) => void;
};

/** What a service reports to its process (and the process to its operator) about its loop. */
export type PollLoopHealth = {
  healthy: boolean;
  /** A deliberate halt ended the loop: only an operator starts it again. */
  halted: boolean;
  /** Failed steps since the last successful one. */
  consecutiveFailures: number;
  /** One line saying why the loop is unhealthy; absent while healthy. */
  reason?: string;
  /** The latest failure, kept after a recovery so an operator can see what happened. */
  lastError?: { code: string; message: string };
};

export const HEALTHY: PollLoopHealth = Object.freeze({ healthy: true, halted: false, consecutiveFailures: 0 });

const DEFAULT_MAX_BACKOFF_MS = 30_000;

/**
 * Runs `step` every `intervalMs` until stopped. No chain or database error ends the loop: a service that stops
 * on an RPC hiccup (or on a malformed output it cannot parse) leaves its post unguarded, as a challenger that
 * stops lets a fake output finalize. Every failure is logged (a warning when it is a known transient, an error
 * otherwise, since a human should look), retried with capped exponential back-off, and reported through `health()`
 * until a step succeeds again. Only a ServiceHaltedError, which a service throws on purpose, ends the loop.
 * Steps never overlap, and `stop` waits for the one in flight.
 */
export class PollLoop {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private started = false;
  private stopped = false;
  private halt?: ServiceHaltedError;
  private consecutiveFailures = 0;
  private lastError?: BaseError;

  constructor(private readonly parameters: PollLoopParameters) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  health(): PollLoopHealth {
    const lastError = this.lastError ? { code: this.lastError.code, message: this.lastError.shortMessage } : undefined;
    if (this.halt)
      return {
        healthy: false,
        halted: true,
        consecutiveFailures: this.consecutiveFailures,
        reason: `halted: ${this.halt.details ?? this.halt.shortMessage}`,
        lastError,
      };
    if (this.consecutiveFailures > 0)
      return {
        healthy: false,
        halted: false,
        consecutiveFailures: this.consecutiveFailures,
        reason: `${this.consecutiveFailures} failed step(s) in a row, last: ${lastError?.code}: ${lastError?.message}`,
        lastError,
      };
    return lastError ? { ...HEALTHY, lastError } : HEALTHY;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { log, name, step, intervalMs, onHalt } = this.parameters;
    const tick = async (): Promise<void> => {
      let delayMs = intervalMs;
      try {
        await step();
        if (this.consecutiveFailures > 0)
          log.info({ loop: name, consecutiveFailures: this.consecutiveFailures }, 'step succeeded again, loop healthy');
        this.consecutiveFailures = 0;
      } catch (err) {
        // A step cut short by shutdown is not a failure worth reporting.
        if (this.stopped) return;
        if (err instanceof ServiceHaltedError) {
          this.halt = err;
          this.lastError = err;
          this.stopped = true;
          log.error({ loop: name, code: err.code, details: err.details }, 'loop halted until an operator acts');
          onHalt?.(err);
          return;
        }
        this.consecutiveFailures++;
        const { error: chainError, severity } = (this.parameters.classify ?? classifyAsCritical)(err);
        this.lastError = chainError;
        delayMs = backoffDelay({
          consecutiveFailures: this.consecutiveFailures,
          baseMs: this.parameters.backoffMs ?? intervalMs,
          maxMs: this.parameters.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
        });
        const fields = {
          loop: name,
          code: chainError.code,
          err: chainError.shortMessage,
          details: chainError.details,
          consecutiveFailures: this.consecutiveFailures,
          retryInMs: delayMs,
        };
        if (severity === 'temporary') log.warn(fields, 'step failed, retrying');
        else log.error(fields, 'step failed, retrying');
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.running = tick()), delayMs);
    };
    this.running = tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
