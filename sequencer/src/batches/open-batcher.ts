import { Inject, Injectable } from '@nestjs/common';
import { isError, type TransactionReceipt } from 'ethers';
import { DataSource, In } from 'typeorm';

import { decodeRevert } from '@verity/contracts';
import { ContractRevertedError, createLogger } from '@verity/core';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';
import { MetricsService } from '../metrics/metrics.service';
import { BatchEntity } from './batch.entity';
import { encodeOpenRequest, UnencodableOpenRequestError, type EncodeOpenRequestReturnType } from './encodeOpenRequest';

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
 * it is already open (a second copy of a batch sent around a crash) is recognised as open, not rejected. A request
 * whose stored form cannot be encoded is rejected alone; a batch L2 would revert (a paused market) is not sent, and
 * one that was never sent and now would revert is abandoned, its jobs still accepted for the next round.
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

    const candidates = await this.dataSource.getRepository(JobEntity).find({
      where: { status: 'accepted' },
      order: { createdAt: 'ASC' },
      take: this.config.workers.openBatchSize,
    });
    if (!candidates.length) return result;
    const waited = Date.now() - candidates[0]!.createdAt.getTime();
    if (candidates.length < this.config.workers.openBatchSize && waited < this.config.workers.openBatchAgeMs) return result;

    const { jobs, encoded, rejected } = await this.encode(candidates);
    result = add(result, { opened: 0, rejected });
    if (!jobs.length) return result;
    const { market } = this.chain.get();
    try {
      await market.openJobs.staticCall(
        encoded.map((e) => e.request),
        encoded.map((e) => e.signature),
        { from: this.chain.senderFor('l2').address },
      );
    } catch (err) {
      // The whole call would revert (a paused market): nothing is sent, the jobs wait for the next round.
      if (!isError(err, 'CALL_EXCEPTION')) throw err;
      this.log.warn({ error: decodeRevert(err, market.interface) ?? 'no reason' }, 'openJobs would revert; jobs stay accepted');
      return result;
    }

    const batch = await this.dataSource.getRepository(BatchEntity).save({
      kind: 'open',
      status: 'pending',
      jobIds: jobs.map((j) => j.jobId),
    });
    return add(result, await this.finish(batch, jobs));
  }

  /** The jobs whose request encodes, in order; each one that does not is rejected on its own. */
  private async encode(
    candidates: JobEntity[],
  ): Promise<{ jobs: JobEntity[]; encoded: EncodeOpenRequestReturnType[]; rejected: number }> {
    const jobs: JobEntity[] = [];
    const encoded: EncodeOpenRequestReturnType[] = [];
    let rejected = 0;
    for (const job of candidates) {
      try {
        encoded.push(encodeOpenRequest(job));
        jobs.push(job);
      } catch (err) {
        if (!(err instanceof UnencodableOpenRequestError)) throw err;
        rejected++;
        await this.dataSource.transaction((manager) =>
          transitionJob(manager, {
            jobId: job.jobId,
            from: ['accepted'],
            to: 'rejected',
            patch: { reason: 'its stored request cannot be encoded for the market' },
            details: { reason: 'unencodable request' },
          }),
        );
        this.log.warn({ jobId: job.jobId }, 'request cannot be encoded; opening the others without it');
      }
    }
    return { jobs, encoded, rejected };
  }

  private async finish(batch: BatchEntity, loaded?: JobEntity[]): Promise<{ opened: number; rejected: number }> {
    const sender = this.chain.senderFor('l2');
    const { market } = this.chain.get();
    let rejected = 0;
    if (!batch.txId) {
      // Never sent (a crash, or a send that failed): only the jobs still waiting, encoded again.
      const stored = loaded ?? (await this.dataSource.getRepository(JobEntity).findBy({ jobId: In(batch.jobIds) }));
      const byId = new Map(stored.map((j) => [j.jobId, j]));
      const waiting = batch.jobIds.map((id) => byId.get(id)).filter((j): j is JobEntity => j?.status === 'accepted');
      const { encoded, rejected: refused } = await this.encode(waiting);
      rejected = refused;
      if (!encoded.length) {
        await this.close(batch, 'no job of the batch is waiting to be opened');
        return { opened: 0, rejected };
      }
      const data = market.interface.encodeFunctionData('openJobs', [
        encoded.map((e) => e.request),
        encoded.map((e) => e.signature),
      ]);
      let tx;
      try {
        tx = await sender.sendOnce({ purpose: `openJobs batch ${batch.id}`, to: await market.getAddress(), data });
      } catch (err) {
        // L2 would revert it now: abandoned, its jobs stay accepted for a new batch. Anything else (no funds, no
        // chain) leaves it pending for the next round.
        if (!(err instanceof ContractRevertedError)) throw err;
        await this.close(batch, `openJobs would revert: ${decodeRevert(err.cause, market.interface) ?? 'no reason'}`);
        return { opened: 0, rejected };
      }
      await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { txId: tx.id });
      batch.txId = tx.id;
    }
    const receipt = await sender.waitConfirmed(batch.txId);
    return add({ opened: 0, rejected }, await this.apply(batch, receipt));
  }

  /** Marks a batch that was never sent failed; its jobs are still `accepted`. */
  private async close(batch: BatchEntity, error: string): Promise<void> {
    await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { status: 'failed', error });
    this.metrics.batches.inc({ kind: 'open', outcome: 'abandoned' });
    this.log.warn({ batchId: batch.id, error }, 'open batch abandoned before it was sent; its jobs stay accepted');
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
