import { Injectable } from '@nestjs/common';
import { isError, type TransactionReceipt } from 'ethers';
import { DataSource } from 'typeorm';

import { decodeRevert } from '@verity/contracts';
import { ContractRevertedError, createLogger } from '@verity/core';
import { ChainService } from '../chain/chain.service';
import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';
import { MetricsService } from '../metrics/metrics.service';
import { BatchEntity } from './batch.entity';

/** A settled batch as the market records it: relayed from L1 yet, and released yet. */
type OnL2 = { recorded: boolean; released: boolean };

/** InferenceMarket.JobStatus. */
const MARKET_STATUS = { None: 0n, Open: 1n, Released: 2n, Refunded: 3n } as const;
const SKIP_REASONS = ['the job was not open', 'the proven terms differ from the signed request'] as const;

/**
 * Stage 7: once the L1 → L2 message of a settled batch has landed (the market has its hash), the sequencer sends
 * `releaseBatch` (RLC path) or `releaseProvenBatch` (batch-proof path: the market recomputes the batch hash from its
 * own job records) with the exact jobs L1 settled, and the market pays each prover. The release is
 * permissionless and idempotent on chain (a batch releases once), so after a crash the market's own records tell
 * what already happened. A release L2 would revert is not sent (no row); a pending one that was never sent is
 * checked against the market first (someone else may have released the batch) and given up if it would revert.
 */
@Injectable()
export class ReleaseBatcher {
  private readonly log = createLogger(ReleaseBatcher.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
    private readonly metrics: MetricsService,
  ) {}

  async step(): Promise<{ released: number }> {
    let released = 0;
    const repo = this.dataSource.getRepository(BatchEntity);
    for (const batch of await repo.find({ where: { kind: 'release', status: 'pending' } })) released += await this.finish(batch);

    const { market } = this.chain.get();
    // Settled batches whose jobs are still `settled` here: their release has not been applied yet.
    const waiting = await repo
      .createQueryBuilder('b')
      .where(`b.kind = 'settle' AND b.status = 'confirmed'`)
      .andWhere(`EXISTS (SELECT 1 FROM jobs j WHERE j.settle_batch_id = b.id AND j.status = 'settled')`)
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM batches r WHERE r.kind = 'release' AND r.status = 'pending' AND r.l1_batch_id = b.l1_batch_id)`,
      )
      .orderBy('b.id', 'ASC')
      .getMany();
    for (const settled of waiting) {
      const onL2 = await this.onL2(settled);
      if (!onL2.recorded) continue; // the message has not been relayed yet
      if (onL2.released) {
        released += await this.reconcile(settled.jobIds, undefined);
        continue;
      }
      try {
        await this.chain.get().l2.call({ ...(await this.releaseCall(settled)), from: this.chain.senderFor('l2').address });
      } catch (err) {
        // A paused market, for one: nothing is recorded, the next round tries again.
        if (!isError(err, 'CALL_EXCEPTION')) throw err;
        this.log.warn(
          { l1BatchId: settled.l1BatchId, error: decodeRevert(err, market.interface) ?? 'no reason' },
          'releaseBatch would revert; not sent',
        );
        continue;
      }
      const release = await repo.save({
        kind: 'release' as const,
        path: settled.path,
        status: 'pending' as const,
        jobIds: settled.jobIds,
        l1BatchId: settled.l1BatchId,
        settledJobs: settled.settledJobs,
      });
      released += await this.finish(release);
    }
    return { released };
  }

  private async onL2(batch: BatchEntity): Promise<OnL2> {
    const { market } = this.chain.get();
    if (batch.path === 'proven') {
      const recorded = await market.provenBatch(batch.l1BatchId!);
      return { recorded: recorded.jobCount !== 0n, released: recorded.released };
    }
    const recorded = await market.settledBatch(batch.l1BatchId!);
    return { recorded: recorded.hash !== '0x' + '00'.repeat(32), released: recorded.released };
  }

  /** The release transaction's target and calldata: the jobs exactly as L1 settled them, in order. */
  private async releaseCall(batch: BatchEntity): Promise<{ to: string; data: string }> {
    const { market } = this.chain.get();
    const data =
      batch.path === 'proven'
        ? market.interface.encodeFunctionData('releaseProvenBatch', [
            batch.l1BatchId!,
            batch.settledJobs!.map((j) => ({ jobId: j.jobId, prover: j.prover, outputCommitment: j.outputCommitment })),
          ])
        : market.interface.encodeFunctionData('releaseBatch', [batch.l1BatchId!, batch.settledJobs!]);
    return { to: await market.getAddress(), data };
  }

  private async finish(batch: BatchEntity): Promise<number> {
    const sender = this.chain.senderFor('l2');
    const { market } = this.chain.get();
    if (!batch.txId) {
      // Never sent (a crash, or a send that failed): anyone may have released the batch since.
      if ((await this.onL2(batch)).released)
        return this.giveUp(batch, 'released on L2 by another sender before this release was sent');
      let tx;
      try {
        tx = await sender.sendOnce({
          purpose: `release batch ${batch.id} (L1 batch ${batch.l1BatchId})`,
          ...(await this.releaseCall(batch)),
        });
      } catch (err) {
        // L2 would revert it now: given up, and tried afresh next round. Anything else (no funds, no chain) leaves
        // it pending for the next round.
        if (!(err instanceof ContractRevertedError)) throw err;
        return this.giveUp(batch, `releaseBatch would revert: ${decodeRevert(err.cause, market.interface) ?? 'no reason'}`);
      }
      await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { txId: tx.id });
      batch.txId = tx.id;
    }
    const receipt = await sender.waitConfirmed(batch.txId);
    if (receipt.status !== 1) {
      // Already released by someone else (or a paused market): the market's records decide what each job is.
      await this.dataSource
        .getRepository(BatchEntity)
        .update({ id: batch.id }, { status: 'failed', error: 'releaseBatch reverted' });
      this.metrics.batches.inc({ kind: 'release', outcome: 'reverted' });
      if ((await this.onL2(batch)).released) return this.reconcile(batch.jobIds, undefined);
      return 0;
    }
    const n = await this.reconcile(batch.jobIds, receipt);
    await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { status: 'confirmed' });
    this.metrics.batches.inc({ kind: 'release', outcome: 'confirmed' });
    this.log.info({ l1BatchId: batch.l1BatchId, txHash: receipt.hash, released: n }, 'batch released on L2');
    return n;
  }

  /** Marks a release that was never sent failed; if the batch is released anyway, its jobs follow the market. */
  private async giveUp(batch: BatchEntity, error: string): Promise<number> {
    await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { status: 'failed', error });
    this.metrics.batches.inc({ kind: 'release', outcome: 'abandoned' });
    this.log.warn({ batchId: batch.id, l1BatchId: batch.l1BatchId, error }, 'release abandoned before it was sent');
    return (await this.onL2(batch)).released ? this.reconcile(batch.jobIds, undefined) : 0;
  }

  /** Moves each `settled` job to what the market says it is now (released, refunded, or skipped). */
  private async reconcile(jobIds: string[], receipt: TransactionReceipt | undefined): Promise<number> {
    const { market } = this.chain.get();
    const skipped = new Map<string, string>();
    for (const log of receipt?.logs ?? []) {
      try {
        const e = market.interface.parseLog(log);
        if (e?.name === 'JobReleaseSkipped')
          skipped.set(e.args.jobId.toString(), SKIP_REASONS[Number(e.args.reason)] ?? 'skipped');
      } catch {
        // not a market event
      }
    }
    let released = 0;
    for (const jobId of jobIds) {
      const job = await this.dataSource.getRepository(JobEntity).findOneBy({ jobId });
      if (job?.status !== 'settled') continue;
      const onChain = await market.job(jobId);
      await this.dataSource.transaction(async (manager) => {
        if (
          onChain.status === MARKET_STATUS.Released &&
          onChain.prover.toLowerCase() === job.prover?.toLowerCase() &&
          onChain.outputCommitment.toString() === job.outputCommitment
        ) {
          released++;
          await transitionJob(manager, {
            jobId,
            from: ['settled'],
            to: 'released',
            patch: { releaseTxHash: receipt?.hash ?? null },
            details: { txHash: receipt?.hash },
          });
        } else if (onChain.status === MARKET_STATUS.Refunded)
          await transitionJob(manager, {
            jobId,
            from: ['settled'],
            to: 'refunded',
            patch: { reason: 'refunded on L2 before its release landed' },
            details: {},
          });
        else
          await transitionJob(manager, {
            jobId,
            from: ['settled'],
            to: 'failed',
            patch: { reason: `release skipped: ${skipped.get(jobId) ?? 'paid to another prover'}` },
            details: { reason: skipped.get(jobId) },
          });
      });
    }
    return released;
  }
}
