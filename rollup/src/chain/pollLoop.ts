import type { Logger } from '../logger';
import { chainErrorSeverity, toChainError } from './toChainError';

export type PollLoopParameters = {
  name: string;
  log: Logger;
  intervalMs: number;
  step: () => Promise<unknown>;
  /** Called once when a critical error stops the loop. */
  onCritical?: (err: unknown) => void;
};

/**
 * Runs `step` every `intervalMs` until stopped: temporary (chain unreachable) errors are retried with a warning,
 * critical ones stop the loop. Steps never overlap, and `stop` waits for the one in flight.
 */
export class PollLoop {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly parameters: PollLoopParameters) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    const { log, name, step, intervalMs, onCritical } = this.parameters;
    const tick = async (): Promise<void> => {
      try {
        await step();
      } catch (err) {
        if (this.stopped) return;
        if (chainErrorSeverity(err) === 'critical') {
          log.error({ err: toChainError(err).message }, `${name} stopped`);
          this.stopped = true;
          onCritical?.(err);
          return;
        }
        log.warn({ err: toChainError(err).shortMessage }, `${name} step failed, retrying`);
      }
      if (!this.stopped) this.timer = setTimeout(() => (this.running = tick()), intervalMs);
    };
    this.running = tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
