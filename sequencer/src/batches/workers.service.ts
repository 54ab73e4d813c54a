import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

import { createLogger, PollLoop, type PollLoopHealth } from '@verity/core';
import { chainErrorSeverity, toChainError } from '@verity/contracts';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { ProvenSettler } from '../batch-proofs/proven-settler';
import { LeaderService } from './leader.service';
import { OpenBatcher } from './open-batcher';
import { RefundBatcher } from './refund-batcher';
import { ReleaseBatcher } from './release-batcher';
import { SettleBatcher } from './settle-batcher';

export type WorkersHealth = { leader: boolean; loops: Record<string, PollLoopHealth> };

/**
 * Runs the batchers (open on L2, settle on L1 singly or with batch proofs, release on L2, expire and refund) on a poll loop each, in the process
 * that holds the leader lock only. A process that gains leadership first re-broadcasts whatever its predecessor
 * signed but did not see confirmed, then finishes the batches left pending.
 */
@Injectable()
export class WorkersService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger(WorkersService.name);
  private loops: Record<string, PollLoop> = {};
  private resumed = false;

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly leader: LeaderService,
    private readonly chain: ChainService,
    private readonly opener: OpenBatcher,
    private readonly settler: SettleBatcher,
    private readonly releaser: ReleaseBatcher,
    private readonly refunder: RefundBatcher,
    private readonly provenSettler: ProvenSettler,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workers.enabled) return;
    const whenLeading = (step: () => Promise<unknown>) => async () => {
      if (!(await this.leader.tryLead())) {
        this.resumed = false;
        return;
      }
      if (!this.resumed) {
        await this.chain.senderFor('l2').resume();
        await this.chain.senderFor('l1').resume();
        this.resumed = true;
      }
      await step();
    };
    const classify = (err: unknown) => {
      const error = toChainError(err);
      return { error, severity: chainErrorSeverity(error) };
    };
    const steps: Record<string, () => Promise<unknown>> = {
      opener: () => this.opener.step(),
      settler: () => this.settler.step(),
      provenSettler: () => this.provenSettler.step(),
      releaser: () => this.releaser.step(),
      refunder: () => this.refunder.step(),
    };
    for (const [name, step] of Object.entries(steps)) {
      this.loops[name] = new PollLoop({
        name,
        log: this.log,
        intervalMs: this.config.workers.pollIntervalMs,
        step: whenLeading(step),
        classify,
      });
      this.loops[name].start();
    }
    this.log.info({ loops: Object.keys(steps) }, 'batchers started (they act while this process leads)');
  }

  health(): WorkersHealth {
    return {
      leader: this.leader.isLeader,
      loops: Object.fromEntries(Object.entries(this.loops).map(([name, loop]) => [name, loop.health()])),
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(Object.values(this.loops).map((loop) => loop.stop()));
  }
}
