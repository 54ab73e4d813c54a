import { Inject, Injectable } from '@nestjs/common';
import { isError, type TransactionReceipt } from 'ethers';
import { DataSource, In, Not } from 'typeorm';

import { decodeRevert } from '@verity/contracts';
import { ContractRevertedError, createLogger } from '@verity/core';
import { BatchProofPlanner } from '../batch-proofs/batch-proof-planner';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';
import { MetricsService } from '../metrics/metrics.service';
import { BatchEntity } from './batch.entity';
import { encodeSettleJob, UnencodableSettleJobError, type EncodeSettleJobReturnType } from './encodeSettleJob';
import { markJobsSettled, settledBatchId } from './settle-receipt';
import { settleBatchCapacity } from './settleBatchCapacity';

/** Reverts that blame one job by index: drop it and settle the rest. */
const PER_JOB_ERRORS = new Set(['InvalidProof', 'ModelNotActive', 'ModelNotRegistered', 'SignalOutOfField', 'ZeroProver']);

/**
 * Stage 6: proven jobs (those no batch proof is asked for: see BatchProofPlanner) go to L1 in one `settleBatch` per batch (size, calldata bytes or age trigger), one pairing
 * check for all of them. Each job's calldata is encoded on its own first: a job whose stored proof cannot be encoded
 * fails alone. Then the batch is simulated: a job L1 would refuse (its proof, its model) is marked failed and the
 * rest retried without it, so one bad job never blocks the others. The batch row (with the exact job tuples, which
 * the L2 release must repeat) is written before sending and finished from the receipt; a batch that was never sent
 * and no longer can be (L1 would revert it now) is abandoned, its jobs back to `proven` for the next round.
 */
@Injectable()
export class SettleBatcher {
  private readonly log = createLogger(SettleBatcher.name);

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
    private readonly metrics: MetricsService,
    private readonly planner: BatchProofPlanner,
  ) {}

  async step(): Promise<{ settled: number; failed: number }> {
    let settled = 0;
    let failed = 0;
    for (const batch of await this.dataSource
      .getRepository(BatchEntity)
      .find({ where: { kind: 'settle', path: 'rlc', status: 'pending' } }))
      settled += await this.finish(batch);

    // The batch-proof planner goes first: it takes the jobs a batch proof will settle, and names those it still
    // waits to batch; single settlement leaves both alone.
    const { holding } = await this.planner.step();
    const candidates = await this.dataSource.getRepository(JobEntity).find({
      where: { status: 'proven', ...(holding.size ? { jobId: Not(In([...holding])) } : {}) },
      order: { provenAt: 'ASC' },
      take: this.config.workers.settleBatchSize,
    });
    if (!candidates.length) return { settled, failed };
    const waited = Date.now() - (candidates[0]!.provenAt?.getTime() ?? 0);
    if (candidates.length < this.config.workers.settleBatchSize && waited < this.config.workers.settleBatchAgeMs)
      return { settled, failed };

    // A stored proof that cannot be encoded fails its own job, never the batch.
    const encoded = new Map<string, EncodeSettleJobReturnType>();
    let jobs: JobEntity[] = [];
    for (const job of candidates) {
      try {
        encoded.set(job.jobId, encodeSettleJob(job));
        jobs.push(job);
      } catch (err) {
        if (!(err instanceof UnencodableSettleJobError)) throw err;
        failed++;
        await this.fail(job, err.shortMessage);
        this.log.warn({ jobId: job.jobId, error: err.shortMessage }, 'job cannot be settled; settling the others without it');
      }
    }
    jobs = jobs.slice(0, settleBatchCapacity({ maxBytes: this.config.workers.settleBatchMaxBytes }));

    // Simulate until L1 would accept the whole batch, dropping each job it blames.
    for (;;) {
      if (!jobs.length) return { settled, failed };
      const blamed = await this.simulate(jobs.map((j) => encoded.get(j.jobId)!));
      if (blamed === undefined) break;
      const job = jobs[blamed.index]!;
      failed++;
      await this.fail(job, `L1 refused it: ${blamed.error}`, { reason: blamed.error });
      this.log.warn({ jobId: job.jobId, error: blamed.error }, 'L1 would refuse this job; settling the others without it');
      jobs = jobs.filter((_, i) => i !== blamed.index);
    }

    const tuples = jobs.map((j) => encoded.get(j.jobId)!.tuple);
    const batch = await this.dataSource.transaction(async (manager) => {
      const saved = await manager.save(BatchEntity, {
        kind: 'settle' as const,
        status: 'pending' as const,
        jobIds: jobs.map((j) => j.jobId),
        settledJobs: tuples,
      });
      for (const j of jobs)
        await transitionJob(manager, {
          jobId: j.jobId,
          from: ['proven'],
          to: 'batched',
          patch: { settleBatchId: saved.id },
          details: { batchId: saved.id },
        });
      return saved;
    });
    settled += await this.finish(batch);
    return { settled, failed };
  }

  private async fail(job: JobEntity, reason: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.dataSource.transaction((manager) =>
      transitionJob(manager, { jobId: job.jobId, from: ['proven'], to: 'failed', patch: { reason }, details }),
    );
  }

  /** The index and error name of the first job L1 would refuse, or undefined if the batch would settle. */
  private async simulate(jobs: EncodeSettleJobReturnType[]): Promise<{ index: number; error: string } | undefined> {
    const { settlement } = this.chain.get();
    try {
      await settlement.settleBatch.staticCall(
        jobs.map((j) => j.tuple),
        jobs.map((j) => j.proof),
        { from: this.chain.senderFor('l1').address },
      );
      return undefined;
    } catch (err) {
      if (!isError(err, 'CALL_EXCEPTION') || !err.data) throw err;
      const parsed = settlement.interface.parseError(err.data);
      if (parsed && PER_JOB_ERRORS.has(parsed.name)) return { index: Number(parsed.args[0]), error: parsed.name };
      throw err;
    }
  }

  private async finish(batch: BatchEntity): Promise<number> {
    const sender = this.chain.senderFor('l1');
    const { settlement } = this.chain.get();
    if (!batch.txId) {
      // Never sent (a crash, or a send that failed): encoded again from the jobs as they are stored now.
      const jobs = await this.dataSource.getRepository(JobEntity).findBy({ jobId: In(batch.jobIds) });
      const byId = new Map(jobs.map((j) => [j.jobId, j]));
      const proofs = [];
      for (const id of batch.jobIds) {
        const job = byId.get(id);
        if (job?.status !== 'batched' || job.settleBatchId !== batch.id) return this.abandon(batch, `job ${id} left the batch`);
        try {
          proofs.push(encodeSettleJob(job).proof);
        } catch (err) {
          if (!(err instanceof UnencodableSettleJobError)) throw err;
          return this.abandon(batch, err.shortMessage);
        }
      }
      const data = settlement.interface.encodeFunctionData('settleBatch', [batch.settledJobs!, proofs]);
      let tx;
      try {
        tx = await sender.sendOnce({ purpose: `settleBatch batch ${batch.id}`, to: await settlement.getAddress(), data });
      } catch (err) {
        // L1 would revert it now (a job it refuses): the next round simulates again and drops that job. Anything
        // else (no funds, no chain) leaves the batch pending for the next round.
        if (!(err instanceof ContractRevertedError)) throw err;
        return this.abandon(batch, `settleBatch would revert: ${decodeRevert(err.cause, settlement.interface) ?? 'no reason'}`);
      }
      await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { txId: tx.id });
      batch.txId = tx.id;
    }
    const receipt = await sender.waitConfirmed(batch.txId);
    return this.apply(batch, receipt);
  }

  /** Gives up a batch that was never sent: failed, its jobs back to `proven` for the next round. */
  private async abandon(batch: BatchEntity, error: string): Promise<number> {
    await this.dataSource.transaction(async (manager) => {
      const jobs = await manager.getRepository(JobEntity).findBy({ settleBatchId: batch.id, status: 'batched' });
      for (const job of jobs)
        await transitionJob(manager, {
          jobId: job.jobId,
          from: ['batched'],
          to: 'proven',
          patch: { settleBatchId: null },
          details: { reason: 'settlement abandoned before it was sent' },
        });
      await manager.update(BatchEntity, { id: batch.id }, { status: 'failed', error });
    });
    this.metrics.batches.inc({ kind: 'settle', outcome: 'abandoned' });
    this.log.warn({ batchId: batch.id, error }, 'settle batch abandoned before it was sent; its jobs will be retried');
    return 0;
  }

  private async apply(batch: BatchEntity, receipt: TransactionReceipt): Promise<number> {
    const { settlement } = this.chain.get();
    if (receipt.status !== 1) {
      // The jobs go back to `proven`: the next round simulates again and drops whatever L1 refuses now.
      await this.dataSource.transaction(async (manager) => {
        for (const jobId of batch.jobIds)
          await transitionJob(manager, {
            jobId,
            from: ['batched'],
            to: 'proven',
            patch: { settleBatchId: null },
            details: { reason: 'settlement reverted' },
          });
        await manager.update(BatchEntity, { id: batch.id }, { status: 'failed', error: 'settleBatch reverted' });
      });
      this.metrics.batches.inc({ kind: 'settle', outcome: 'reverted' });
      this.log.warn({ batchId: batch.id, txHash: receipt.hash }, 'settleBatch reverted; jobs will be retried');
      return 0;
    }
    const l1BatchId = settledBatchId(settlement, receipt, 'BatchSettled');
    await this.dataSource.transaction(async (manager) => {
      await markJobsSettled(manager, { jobIds: batch.jobIds, l1BatchId, receipt });
      await manager.update(BatchEntity, { id: batch.id }, { status: 'confirmed', l1BatchId });
    });
    this.metrics.batches.inc({ kind: 'settle', outcome: 'confirmed' });
    this.log.info(
      { batchId: batch.id, l1BatchId, jobCount: batch.jobIds.length, txHash: receipt.hash, gasUsed: receipt.gasUsed.toString() },
      'batch settled on L1',
    );
    return batch.jobIds.length;
  }
}
