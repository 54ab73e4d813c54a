import { Injectable } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';

import { ContractRevertedError, createLogger } from '@verity/core';
import { ChainService } from '../chain/chain.service';
import type { JobStatus } from '../jobs/job-status';
import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';

/** InferenceMarket.JobStatus. */
const MARKET_STATUS = { None: 0n, Open: 1n, Released: 2n, Refunded: 3n } as const;
/** Jobs whose escrow may still be open on L2 and that no later stage will close. */
const REFUNDABLE: readonly JobStatus[] = ['open', 'proving', 'proven', 'failed'];

/**
 * Stage 9: a job past its deadline is never worked on again. Accepted but never opened: expired (no escrow was
 * taken). Open on L2 but not settled, or failed with its escrow still open: the market lets anyone refund it after
 * deadline + refundDelay, and the sequencer does so on the requester's behalf. Jobs already settled on L1 are left
 * to their release. Whatever the market says happened instead (refunded or released by someone else) is recorded,
 * so no job is looked at forever.
 */
@Injectable()
export class RefundBatcher {
  private readonly log = createLogger(RefundBatcher.name);
  private refundDelay?: bigint;
  /**
   * Failed jobs whose escrow the market paid out to a prover: nothing left to refund and no status to move to.
   * Final on chain, so remembered for the life of the process and left out of the query (no starvation).
   */
  private readonly closed = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
  ) {}

  async step(): Promise<{ expired: number; refunded: number; closed: number }> {
    // Chain time, not this machine's clock: the market decides by block timestamps.
    const { market, l2 } = this.chain.get();
    const now = (await l2.getBlock('latest'))?.timestamp ?? Math.floor(Date.now() / 1000);
    const repo = this.dataSource.getRepository(JobEntity);
    let expired = 0;
    for (const job of await repo.find({ where: { status: 'accepted', deadline: LessThan(String(now)) }, take: 256 })) {
      await this.dataSource.transaction((m) =>
        transitionJob(m, {
          jobId: job.jobId,
          from: ['accepted'],
          to: 'expired',
          patch: { reason: 'the deadline passed before it was opened' },
        }),
      );
      expired++;
    }

    this.refundDelay ??= await market.refundDelay();
    const due = await repo
      .createQueryBuilder('j')
      .where('j.status IN (:...statuses)', { statuses: REFUNDABLE })
      .andWhere('j.deadline < :due', { due: String(BigInt(now) - this.refundDelay) })
      .andWhere('NOT (j.job_id = ANY(CAST(:closed AS numeric[])))', { closed: [...this.closed] })
      .orderBy('j.deadline', 'ASC')
      .take(32)
      .getMany();
    let refunded = 0;
    let closed = 0;
    const sender = this.chain.senderFor('l2');
    for (const job of due) {
      const onChain = await market.job(job.jobId);
      let txHash: string | null = null;
      if (onChain.status === MARKET_STATUS.Open) {
        let tx;
        try {
          tx = await sender.send({
            purpose: `refund ${job.jobId}`,
            to: await market.getAddress(),
            data: market.interface.encodeFunctionData('refund', [job.jobId]),
          });
        } catch (err) {
          // Closed by someone a moment ago: the next round reads what happened.
          if (err instanceof ContractRevertedError) continue;
          throw err;
        }
        const receipt = await sender.waitConfirmed(tx.id);
        if (receipt.status !== 1) continue;
        txHash = receipt.hash;
      } else if (onChain.status === MARKET_STATUS.Released) {
        closed++;
        await this.releasedElsewhere(job, onChain.prover, onChain.outputCommitment.toString());
        continue;
      } else if (onChain.status !== MARKET_STATUS.Refunded) {
        // Never opened on L2 (no escrow to return): nothing to do, ever.
        closed++;
        if (job.status === 'failed') this.closed.add(job.jobId);
        else await this.fail(job, 'the market has no escrow for it');
        continue;
      }
      await this.dataSource.transaction((m) =>
        transitionJob(m, {
          jobId: job.jobId,
          from: [job.status],
          to: 'refunded',
          patch: {
            refundTxHash: txHash,
            reason:
              job.status === 'failed'
                ? `${job.reason ?? 'failed'}; escrow refunded`
                : 'the deadline passed before it was settled',
            leaseProver: null,
            leaseExpiresAt: null,
          },
          details: { txHash },
        }),
      );
      refunded++;
      this.log.info({ jobId: job.jobId, txHash }, 'job refunded to its requester');
    }
    return { expired, refunded, closed };
  }

  /**
   * The market paid the job's escrow to a prover outside this sequencer (anyone may settle a valid proof on L1 and
   * release it). Released here only if it paid the very result this sequencer holds; otherwise failed.
   */
  private async releasedElsewhere(job: JobEntity, prover: string, outputCommitment: string): Promise<void> {
    if (job.status === 'failed') {
      this.closed.add(job.jobId);
      return;
    }
    const ours =
      job.status === 'proven' && job.prover?.toLowerCase() === prover.toLowerCase() && job.outputCommitment === outputCommitment;
    if (ours)
      await this.dataSource.transaction((m) =>
        transitionJob(m, {
          jobId: job.jobId,
          from: ['proven'],
          to: 'released',
          patch: { reason: null },
          details: { reason: 'released on L2 outside this sequencer', prover },
        }),
      );
    else await this.fail(job, `released on L2 outside this sequencer, to prover ${prover}`, { prover });
    this.log.warn({ jobId: job.jobId, prover, status: ours ? 'released' : 'failed' }, 'job was released on L2 by someone else');
  }

  private async fail(job: JobEntity, reason: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.dataSource.transaction((m) =>
      transitionJob(m, {
        jobId: job.jobId,
        from: [job.status],
        to: 'failed',
        patch: { reason, leaseProver: null, leaseExpiresAt: null },
        details: { reason, ...details },
      }),
    );
  }
}
