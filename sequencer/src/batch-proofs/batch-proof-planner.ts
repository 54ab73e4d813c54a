import { Inject, Injectable } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';

import { createLogger } from '@verity/core';
import { JobInvalidTransitionError } from '../common/errors';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';
import { ModelsService } from '../models/models.service';
import { ProverEntity } from '../provers/prover.entity';
import { abandonBatchProof } from './abandon-batch-proof';
import { BatchProofEntity } from './batch-proof.entity';

export type PlanBatchProofsReturnType = {
  requested: number;
  abandoned: number;
  /** Proven jobs kept back for a batch proof still to come: single settlement must leave them alone this round. */
  holding: Set<string>;
};

/**
 * Decides, for every proven job, whether it settles through a batch proof: a job of a model with a usable batch
 * key (ModelsService.usableBatchSizes) whose prover is alive and whose deadline leaves room for the age, the lease
 * window, the proof timeout and the margin. Per (model, prover), the largest K such jobs become a request at once
 * (size trigger); fewer wait until the oldest has waited SEQUENCER_BATCH_PROOF_AGE_MS (age trigger), then become one
 * request for the smallest K that holds them if there are at least SEQUENCER_BATCH_PROOF_MIN_JOBS, else settle
 * singly. A prover has one open request at a time (it proves one at a time; a second would only time out). A request
 * not leased within the lease window, or leased and not proven within the timeout, is abandoned: its jobs settle
 * singly. Runs inside the settle loop, just before single settlement picks its jobs, so the two never race.
 */
@Injectable()
export class BatchProofPlanner {
  private readonly log = createLogger(BatchProofPlanner.name);

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly models: ModelsService,
  ) {}

  async step(): Promise<PlanBatchProofsReturnType> {
    const holding = new Set<string>();
    const { enabled, ageMs, minJobs, leaseWindowMs, timeoutMs, deadlineMarginSeconds } = this.config.batchProofs;
    let abandoned = 0;
    for (const request of await this.dataSource
      .getRepository(BatchProofEntity)
      .find({ where: { status: 'requested', giveUpAt: LessThan(new Date()) } })) {
      const why = request.leasedAt ? 'no proof before its timeout' : 'its prover did not take it';
      const jobs = await this.dataSource.transaction((m) => abandonBatchProof(m, request, why));
      if (jobs.length) abandoned++;
      this.log.warn(
        { batchProofId: request.id, prover: request.prover, jobs: jobs.length, why },
        'batch proof given up; its jobs settle singly',
      );
    }
    if (!enabled) return { requested: 0, abandoned, holding };

    const proven = await this.dataSource.getRepository(JobEntity).find({
      where: { status: 'proven', settleSingly: false },
      select: { jobId: true, modelId: true, prover: true, provenAt: true, deadline: true },
      order: { provenAt: 'ASC', jobId: 'ASC' },
    });
    if (!proven.length) return { requested: 0, abandoned, holding };
    const now = Date.now();
    const latestDeadline = now / 1000 + (ageMs + leaseWindowMs + timeoutMs) / 1000 + deadlineMarginSeconds;
    const alive = await this.aliveProvers();
    const busy = await this.busyProvers();
    const sizes = new Map<string, number[]>();
    const groups = new Map<string, { modelId: string; prover: string; sizes: number[]; jobs: JobEntity[] }>();
    for (const job of proven) {
      if (!sizes.has(job.modelId)) sizes.set(job.modelId, await this.models.usableBatchSizes(job.modelId).catch(() => []));
      const usable = sizes.get(job.modelId)!;
      // No batch key, a prover that stopped beating, or too close to its deadline: settled singly as before.
      if (!usable.length || !job.prover || !alive.has(job.prover) || Number(job.deadline) <= latestDeadline) continue;
      const key = `${job.modelId}/${job.prover}`;
      const group = groups.get(key) ?? { modelId: job.modelId, prover: job.prover, sizes: usable, jobs: [] };
      group.jobs.push(job);
      groups.set(key, group);
    }

    let requested = 0;
    for (const group of groups.values()) {
      const { jobs, sizes: usable } = group;
      const largest = usable[usable.length - 1]!;
      const aged = now - jobs[0]!.provenAt!.getTime() >= ageMs;
      if (busy.has(group.prover) || (jobs.length < largest && !aged)) {
        // Waiting for more jobs, or for the prover's open request: single settlement leaves them alone.
        for (const j of jobs) holding.add(j.jobId);
        continue;
      }
      if (jobs.length < Math.min(minJobs, largest)) {
        await this.settleSingly(jobs);
        continue;
      }
      const batch = jobs.slice(0, largest);
      const size = usable.find((K) => K >= batch.length)!;
      const made = await this.request({ ...group, size }, batch);
      requested += made;
      busy.add(group.prover);
      for (const j of jobs.slice(made ? batch.length : 0)) holding.add(j.jobId);
    }
    return { requested, abandoned, holding };
  }

  /** Provers whose heartbeat is recent: only they will be asked (a silent one would only delay its jobs). */
  private async aliveProvers(): Promise<Set<string>> {
    const since = new Date(Date.now() - this.config.provers.heartbeatTimeoutSeconds * 1000);
    const rows = await this.dataSource
      .getRepository(ProverEntity)
      .createQueryBuilder('p')
      .select('p.address', 'address')
      .where('p.last_heartbeat_at > :since', { since })
      .getRawMany<{ address: string }>();
    return new Set(rows.map((r) => r.address));
  }

  /** Provers with a request still open: they get no second one until it is proven or given up. */
  private async busyProvers(): Promise<Set<string>> {
    const rows = await this.dataSource
      .getRepository(BatchProofEntity)
      .createQueryBuilder('b')
      .select('DISTINCT b.prover', 'prover')
      .where(`b.status = 'requested'`)
      .getRawMany<{ prover: string }>();
    return new Set(rows.map((r) => r.prover));
  }

  /** One request for `jobs` (in order), its jobs `batched` with it; 0 if a job moved meanwhile (next round). */
  private async request(group: { modelId: string; prover: string; size: number }, jobs: JobEntity[]): Promise<number> {
    try {
      const request = await this.dataSource.transaction(async (manager) => {
        const saved = await manager.save(BatchProofEntity, {
          modelId: group.modelId,
          prover: group.prover,
          batchSize: group.size,
          jobIds: jobs.map((j) => j.jobId),
          status: 'requested' as const,
          // Until a prover leases it; the lease then gives it the full timeout (BatchProofsService.lease).
          giveUpAt: new Date(Date.now() + this.config.batchProofs.leaseWindowMs),
        });
        for (const job of jobs)
          await transitionJob(manager, {
            jobId: job.jobId,
            from: ['proven'],
            to: 'batched',
            patch: { batchProofId: saved.id },
            details: { batchProofId: saved.id },
          });
        return saved;
      });
      this.log.info(
        { batchProofId: request.id, modelId: group.modelId, prover: group.prover, jobs: jobs.length, size: group.size },
        'batch proof requested',
      );
      return 1;
    } catch (err) {
      if (err instanceof JobInvalidTransitionError) return 0;
      throw err;
    }
  }

  private async settleSingly(jobs: JobEntity[]): Promise<void> {
    await this.dataSource.getRepository(JobEntity).update(
      jobs.map((j) => j.jobId),
      { settleSingly: true },
    );
  }
}
