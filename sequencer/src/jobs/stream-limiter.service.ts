import { Inject, Injectable } from '@nestjs/common';

import { TooManyStreamsError } from '../common/errors';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';

/**
 * Counts the job event streams (SSE) open now, in all and per client address. A stream holds a socket and polls
 * Postgres until its job ends, which may be days away: without a bound, a few clients could hold them all.
 */
@Injectable()
export class StreamLimiterService {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(@Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig) {}

  /** Takes a slot for `address` or throws RATE_LIMITED; the returned release is idempotent. */
  acquire(address: string): () => void {
    const { maxStreams, maxStreamsPerIp } = this.config.jobs;
    const mine = this.byAddress.get(address) ?? 0;
    if (mine >= maxStreamsPerIp)
      throw new TooManyStreamsError(
        `${mine} event streams are open from your address (at most ${maxStreamsPerIp}): close one first`,
      );
    if (this.total >= maxStreams)
      throw new TooManyStreamsError(
        `this sequencer serves ${this.total} event streams already (at most ${maxStreams}): retry later`,
      );
    this.total++;
    this.byAddress.set(address, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    };
  }

  /** Streams open now (for tests and metrics). */
  open(): { total: number; addresses: number } {
    return { total: this.total, addresses: this.byAddress.size };
  }
}
