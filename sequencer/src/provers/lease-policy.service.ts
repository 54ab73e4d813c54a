import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { createLogger } from '@verity/core';
import { ProverHeartbeatLapsedError, ProverLeaseLimitError, ProverNotStakedError, UnauthorizedError } from '../common/errors';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { ModelsService } from '../models/models.service';
import { ProverEntity } from './prover.entity';

/**
 * Who may lease, and what: checked on every lease, before the queue is touched.
 * - The prover's heartbeat is recent (SEQUENCER_PROVER_HEARTBEAT_TIMEOUT_SECONDS): a prover that went quiet gets no
 *   new work until it beats again (its session alone is not enough).
 * - It is still staked: ProverRegistry.isActive on L2, trusted for SEQUENCER_PROVER_STAKE_CACHE_MS (a prover that
 *   unstaked after registering stops leasing within that time).
 * - It holds fewer than SEQUENCER_PROVER_MAX_LEASES live leases, so one key cannot take the whole queue and sit on
 *   it. Leases of one prover are taken one at a time in this process, so two concurrent calls cannot both pass.
 * - Only models that may still settle are offered (see ModelsService.leasableModels).
 */
@Injectable()
export class LeasePolicyService {
  private readonly log = createLogger(LeasePolicyService.name);
  private readonly stake = new Map<string, { at: number; active: boolean }>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
    private readonly models: ModelsService,
  ) {}

  /**
   * Runs `lease` with the model ids `prover` may lease now (of those it asked for; none: all), one call per prover
   * at a time. Throws if the prover may not lease; undefined when no model it serves may be leased.
   */
  async lease<T>(
    prover: string,
    requested: string[],
    lease: (models: string[]) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    return this.oneAtATime(prover, async () => {
      await this.checkProver(prover);
      const models = await this.models.leasableModels(requested);
      // An empty list would mean "any model" to the queue: nothing to lease instead.
      if (models.length === 0) return undefined;
      return lease(models);
    });
  }

  /**
   * Throws unless `prover` may take one more lease now (heartbeat, stake, and unless `leaseCap` is false, the cap on
   * job leases: a batch proof request is not a job lease).
   */
  async checkProver(prover: string, options: { leaseCap?: boolean } = {}): Promise<void> {
    const row = await this.dataSource.getRepository(ProverEntity).findOneBy({ address: prover });
    if (!row) throw new UnauthorizedError('this prover is not registered: POST /v1/provers/register');
    const timeoutSeconds = this.config.provers.heartbeatTimeoutSeconds;
    if (Date.now() - row.lastHeartbeatAt.getTime() > timeoutSeconds * 1000)
      throw new ProverHeartbeatLapsedError(prover, timeoutSeconds);
    if (!(await this.isStaked(prover))) throw new ProverNotStakedError(prover);
    if (options.leaseCap === false) return;
    const [held] = await this.dataSource.query<{ count: string }[]>(
      `SELECT count(*)::text AS count FROM jobs WHERE status = 'proving' AND lease_prover = $1 AND lease_expires_at > now()`,
      [prover],
    );
    if (Number(held?.count ?? 0) >= this.config.provers.maxLeases)
      throw new ProverLeaseLimitError(prover, this.config.provers.maxLeases);
  }

  /** ProverRegistry.isActive, cached briefly (a failed read is not cached: it throws, the lease is refused). */
  private async isStaked(prover: string): Promise<boolean> {
    const hit = this.stake.get(prover);
    if (hit && Date.now() - hit.at < this.config.provers.stakeCacheMs) return hit.active;
    const active = await this.chain.get().proverRegistry.isActive(prover);
    this.stake.set(prover, { at: Date.now(), active });
    if (!active) this.log.info({ prover }, 'prover no longer staked: lease refused');
    return active;
  }

  private async oneAtATime<T>(prover: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(prover) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.queues.set(prover, settled);
    void settled.then(() => {
      if (this.queues.get(prover) === settled) this.queues.delete(prover);
    });
    return run;
  }
}
