import { Inject, Injectable } from '@nestjs/common';
import type { TransactionReceipt } from 'ethers';
import { DataSource, In } from 'typeorm';

import { createLogger } from '@verity/core';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';
import { MetricsService } from '../metrics/metrics.service';
import { BatchEntity } from './batch.entity';

/** InferenceMarket.RejectReason, in declaration order. */
const REJECT_REASONS = [
  'expired',
  'bad signature',
  'nonce used',
  'fee above maxFee',
  'insufficient balance',
  'zero reward',
  'value out of field',
  'job exists',
  'reward too large',
] as const;
/** Market job status `Open`. */
const MARKET_OPEN = 1n;

/**
 * Stage 2 of a job: accepted requests go to L2 in one `openJobs` transaction per batch (when `openBatchSize` are
 * waiting, or the oldest has waited `openBatchAgeMs`). The batch row is written before the transaction is sent and
 * finished from its receipt, so a restart completes what a crash interrupted; a request the market refuses because
 * it is already open (a second copy of a batch sent around a crash) is recognised as open, not rejected.
 */
@Injectable()
export class OpenBatcher {
  private readonly log = createLogger(OpenBatcher.name);

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
    private readonly metrics: MetricsService,
  ) {}

  async step(): Promise<{ opened: number; rejected: number }> {
    let result = { opened: 0, rejected: 0 };
    for (const batch of await this.dataSource.getRepository(BatchEntity).find({ where: { kind: 'open', status: 'pending' } }))
      result = add(result, await this.finish(batch));

    const jobs = await this.dataSource.getRepository(JobEntity).find({
      where: { status: 'accepted' },
      order: { createdAt: 'ASC' },
      take: this.config.workers.openBatchSize,
    });
    if (!jobs.length) return result;
    const waited = Date.now() - jobs[0]!.createdAt.getTime();
    if (jobs.length < this.config.workers.openBatchSize && waited < this.config.workers.openBatchAgeMs) return result;

    const batch = await this.dataSource.getRepository(BatchEntity).save({
      kind: 'open',
      status: 'pending',
      jobIds: jobs.map((j) => j.jobId),
    });
    return add(result, await this.finish(batch, jobs));
  }

  private async finish(batch: BatchEntity, loaded?: JobEntity[]): Promise<{ opened: number; rejected: number }> {
    const sender = this.chain.senderFor('l2');
    const { market } = this.chain.get();
    if (!batch.txId) {
      const jobs = loaded ?? (await this.dataSource.getRepository(JobEntity).findBy({ jobId: In(batch.jobIds) }));
      const byId = new Map(jobs.map((j) => [j.jobId, j]));
      const ordered = batch.jobIds.map((id) => byId.get(id)!).filter(Boolean);
      const data = market.interface.encodeFunctionData('openJobs', [
        ordered.map((j) => ({
          modelId: j.modelId,
          inputCommitment: j.inputCommitment,
          reward: j.reward,
          maxFee: j.maxFee,
          deadline: j.deadline,
          nonce: j.nonce,
          requester: j.requester,
        })),
        ordered.map((j) => j.signature),
      ]);
      const tx = await sender.send({ purpose: `openJobs batch ${batch.id}`, to: await market.getAddress(), data });
      await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { txId: tx.id });
      batch.txId = tx.id;
    }
    const receipt = await sender.waitConfirmed(batch.txId);
    return this.apply(batch, receipt);
  }

  private async apply(batch: BatchEntity, receipt: TransactionReceipt): Promise<{ opened: number; rejected: number }> {
    const { market } = this.chain.get();
    let opened = 0;
    let rejected = 0;
    if (receipt.status !== 1) {
      // The whole transaction failed (e.g. the market is paused): its jobs stay accepted for the next batch.
      await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { status: 'failed', error: 'openJobs reverted' });
      this.metrics.batches.inc({ kind: 'open', outcome: 'reverted' });
      this.log.warn({ batchId: batch.id, txHash: receipt.hash }, 'openJobs reverted, jobs stay accepted');
      return { opened, rejected };
    }
    const outcomes = new Map<string, { open: true } | { open: false; reason: string }>();
    for (const log of receipt.logs) {
      const parsed = (() => {
        try {
          return market.interface.parseLog(log);
        } catch {
          return null;
        }
      })();
      if (parsed?.name === 'JobOpened') outcomes.set(parsed.args.jobId.toString(), { open: true });
      if (parsed?.name === 'JobRejected')
        outcomes.set(parsed.args.jobId.toString(), {
          open: false,
          reason: REJECT_REASONS[Number(parsed.args.reason)] ?? 'rejected',
        });
    }
    await this.dataSource.transaction(async (manager) => {
      for (const jobId of batch.jobIds) {
        let outcome = outcomes.get(jobId);
        if (outcome && !outcome.open && (outcome.reason === 'job exists' || outcome.reason === 'nonce used')) {
          // Opened by an earlier copy of this batch (sent before a crash), or by anyone who relayed the request.
          const onChain = await market.job(jobId);
          const job = await manager.getRepository(JobEntity).findOneByOrFail({ jobId });
          if (onChain.status === MARKET_OPEN && onChain.requester.toLowerCase() === job.requester.toLowerCase())
            outcome = { open: true };
        }
        const current = await manager.getRepository(JobEntity).findOne({ where: { jobId }, select: { status: true } });
        if (!outcome || current?.status !== 'accepted') continue;
        if (outcome.open) {
          opened++;
          await transitionJob(manager, {
            jobId,
            from: ['accepted'],
            to: 'open',
            patch: { openTxHash: receipt.hash },
            details: { txHash: receipt.hash },
          });
        } else {
          rejected++;
          await transitionJob(manager, {
            jobId,
            from: ['accepted'],
            to: 'rejected',
            patch: { reason: `market refused the request: ${outcome.reason}`, openTxHash: receipt.hash },
            details: { txHash: receipt.hash, reason: outcome.reason },
          });
        }
      }
      await manager.update(BatchEntity, { id: batch.id }, { status: 'confirmed' });
    });
    this.metrics.batches.inc({ kind: 'open', outcome: 'confirmed' });
    this.log.info({ batchId: batch.id, txHash: receipt.hash, opened, rejected }, 'jobs opened on L2');
    return { opened, rejected };
  }
}

const add = (a: { opened: number; rejected: number }, b: { opened: number; rejected: number }) => ({
  opened: a.opened + b.opened,
  rejected: a.rejected + b.rejected,
});
