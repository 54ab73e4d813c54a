import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';

import { createLogger } from '@verity/core';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';

/** Any fixed 64-bit key: every sequencer sharing a database contends for the same one. */
const LEADER_LOCK_KEY = 7_302_2025;

/**
 * Elects the one process that runs the batchers: the holder of a PostgreSQL session advisory lock. The lock lives
 * as long as its connection, so it is held on a dedicated client (a pooled one would hand it around); a process
 * that dies or loses its connection frees it, and another replica takes over at its next attempt.
 */
@Injectable()
export class LeaderService implements OnApplicationShutdown {
  private readonly log = createLogger(LeaderService.name);
  private client?: Client;
  private leader = false;

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly metrics: MetricsService,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /** Tries to become (or checks it still is) the leader; returns whether it is. */
  async tryLead(): Promise<boolean> {
    if (!this.config.workers.leaderElection) {
      if (!this.leader) this.metrics.isLeader.set(1);
      this.leader = true;
      return true;
    }
    try {
      if (!this.client) {
        const client = new Client({ connectionString: this.config.database.url, connectionTimeoutMillis: 5_000 });
        client.on('error', (err) => this.lose(err));
        await client.connect();
        this.client = client;
      }
      if (!this.leader) {
        const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK_KEY]);
        if (rows[0]?.ok) {
          this.leader = true;
          this.metrics.isLeader.set(1);
          this.log.info({}, 'became the batching leader');
        }
      } else await this.client.query('SELECT 1');
    } catch (err) {
      this.lose(err);
    }
    return this.leader;
  }

  private lose(err: unknown): void {
    if (this.leader) this.log.warn({ err: String(err) }, 'lost the batching lock');
    this.leader = false;
    this.metrics.isLeader.set(0);
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.leader = false;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
