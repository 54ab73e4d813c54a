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
 * key (ModelsService.usableBatchSize) whose prover is alive and whose deadline leaves room for the age, the proof
 * timeout and the margin. Per (model, prover), every K such jobs become a request at once (size trigger); fewer
 * wait until the oldest has waited SEQUENCER_BATCH_PROOF_AGE_MS (age trigger), then become one request if there are
 * at least SEQUENCER_BATCH_PROOF_MIN_JOBS of them, else settle singly. A request not proven by its give-up time is
 * abandoned: its jobs settle singly. Runs inside the settle loop, just before single settlement picks its jobs,
 * so the two never race for one job.
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
    const { enabled, ageMs, minJobs, timeoutMs, deadlineMarginSeconds } = this.config.batchProofs;
    let abandoned = 0;
    for (const request of await this.dataSource
      .getRepository(BatchProofEntity)
      .find({ where: { status: 'requested', giveUpAt: LessThan(new Date()) } })) {
      const jobs = await this.dataSource.transaction((m) => abandonBatchProof(m, request, 'no proof before its timeout'));
      if (jobs.length) abandoned++;
      this.log.warn(
        { batchProofId: request.id, prover: request.prover, jobs: jobs.length },
        'batch proof timed out; its jobs settle singly',
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
    const latestDeadline = now / 1000 + (ageMs + timeoutMs) / 1000 + deadlineMarginSeconds;
    const alive = await this.aliveProvers();
    const sizes = new Map<string, number | undefined>();
    const groups = new Map<string, { modelId: string; prover: string; size: number; jobs: JobEntity[] }>();
    for (const job of proven) {
      if (!sizes.has(job.modelId)) sizes.set(job.modelId, await this.models.usableBatchSize(job.modelId).catch(() => undefined));
      const size = sizes.get(job.modelId);
      // No batch key, a prover that stopped beating, or too close to its deadline: settled singly as before.
      if (!size || !job.prover || !alive.has(job.prover) || Number(job.deadline) <= latestDeadline) continue;
      const key = `${job.modelId}/${job.prover}`;
      const group = groups.get(key) ?? { modelId: job.modelId, prover: job.prover, size, jobs: [] };
      group.jobs.push(job);
      groups.set(key, group);
    }

    let requested = 0;
    for (const group of groups.values()) {
      const { jobs, size } = group;
      while (jobs.length >= size) requested += await this.request(group, jobs.splice(0, size));
      if (!jobs.length) continue;
      if (now - jobs[0]!.provenAt!.getTime() < ageMs) for (const j of jobs) holding.add(j.jobId);
      else if (jobs.length >= Math.min(minJobs, size)) requested += await this.request(group, jobs);
      else await this.settleSingly(jobs);
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
          giveUpAt: new Date(Date.now() + this.config.batchProofs.timeoutMs),
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
