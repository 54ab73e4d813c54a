import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThan } from 'typeorm';

import { createLogger } from '@verity/core';
import { ChainService } from '../chain/chain.service';
import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';

const MARKET_OPEN = 1n;
const MARKET_REFUNDED = 3n;

/**
 * Stage 9: a job past its deadline is never worked on again. Accepted but never opened: expired (no escrow was
 * taken). Open on L2 but not settled: the market lets anyone refund it after deadline + refundDelay, and the
 * sequencer does so on the requester's behalf. Jobs already settled on L1 are left to their release.
 */
@Injectable()
export class RefundBatcher {
  private readonly log = createLogger(RefundBatcher.name);
  private refundDelay?: bigint;

  constructor(
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
  ) {}

  async step(): Promise<{ expired: number; refunded: number }> {
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
    const due = await repo.find({
      where: { status: In(['open', 'proving', 'proven']), deadline: LessThan(String(BigInt(now) - this.refundDelay)) },
      take: 32,
    });
    let refunded = 0;
    const sender = this.chain.senderFor('l2');
    for (const job of due) {
      const onChain = await market.job(job.jobId);
      let txHash: string | null = null;
      if (onChain.status === MARKET_OPEN) {
        const tx = await sender.send({
          purpose: `refund ${job.jobId}`,
          to: await market.getAddress(),
          data: market.interface.encodeFunctionData('refund', [job.jobId]),
        });
        const receipt = await sender.waitConfirmed(tx.id);
        if (receipt.status !== 1) continue;
        txHash = receipt.hash;
      } else if (onChain.status !== MARKET_REFUNDED) continue;
      await this.dataSource.transaction((m) =>
        transitionJob(m, {
          jobId: job.jobId,
          from: ['open', 'proving', 'proven'],
          to: 'refunded',
          patch: {
            refundTxHash: txHash,
            reason: 'the deadline passed before it was settled',
            leaseProver: null,
            leaseExpiresAt: null,
          },
          details: { txHash },
        }),
      );
      refunded++;
      this.log.info({ jobId: job.jobId, txHash }, 'job refunded to its requester');
    }
    return { expired, refunded };
  }
}
