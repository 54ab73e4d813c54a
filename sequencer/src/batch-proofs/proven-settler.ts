import { Injectable } from '@nestjs/common';
import { isError, type TransactionReceipt } from 'ethers';
import { DataSource, In } from 'typeorm';

import { decodeRevert, toSolidityProof, type SnarkjsProof } from '@verity/contracts';
import { ContractRevertedError, createLogger } from '@verity/core';
import { BatchEntity, type SettledJobTuple } from '../batches/batch.entity';
import { markJobsSettled, settledBatchId } from '../batches/settle-receipt';
import { ChainService } from '../chain/chain.service';
import { JobEntity } from '../jobs/job.entity';
import { MetricsService } from '../metrics/metrics.service';
import { abandonBatchProof } from './abandon-batch-proof';
import { BatchProofEntity } from './batch-proof.entity';

/**
 * Stage 6, batch-proof path: each proven batch proof goes to L1 in one `settleProvenBatch` (one verification for
 * all its jobs; L1 carries only the count and the batch hash, and the L2 market recomputes the hash from its own job
 * records at release). Simulated first: a proof L1 refuses (its key no longer active, its model deactivated) gives
 * the request up and its jobs settle singly. Like single settlement, the settle batch row (path 'proven', with the
 * job tuples the release repeats) is written before sending and finished from the receipt, so a crash loses nothing.
 */
@Injectable()
export class ProvenSettler {
  private readonly log = createLogger(ProvenSettler.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
    private readonly metrics: MetricsService,
  ) {}

  async step(): Promise<{ settled: number }> {
    let settled = 0;
    const batches = this.dataSource.getRepository(BatchEntity);
    for (const batch of await batches.find({ where: { kind: 'settle', path: 'proven', status: 'pending' } }))
      settled += await this.finish(batch);

    for (const request of await this.dataSource
      .getRepository(BatchProofEntity)
      .find({ where: { status: 'proven' }, order: { id: 'ASC' } })) {
      const refusal = await this.simulate(request);
      if (refusal) {
        await this.giveUp(request, `L1 refused the batch proof: ${refusal}`);
        continue;
      }
      const jobs = await this.dataSource.getRepository(JobEntity).findBy({ jobId: In(request.jobIds) });
      const byId = new Map(jobs.map((j) => [j.jobId, j]));
      const tuples: SettledJobTuple[] = request.jobIds.map((jobId) => {
        const j = byId.get(jobId)!;
        return {
          modelId: j.modelId,
          inputCommitment: j.inputCommitment,
          outputCommitment: j.outputCommitment!,
          jobId,
          prover: j.prover!,
        };
      });
      const batch = await this.dataSource.transaction(async (manager) => {
        const saved = await manager.save(BatchEntity, {
          kind: 'settle' as const,
          path: 'proven' as const,
          status: 'pending' as const,
          jobIds: request.jobIds,
          settledJobs: tuples,
          batchProofId: request.id,
        });
        await manager.update(JobEntity, { batchProofId: request.id, status: 'batched' }, { settleBatchId: saved.id });
        await manager.update(BatchProofEntity, { id: request.id, status: 'proven' }, { status: 'submitted' });
        return saved;
      });
      settled += await this.finish(batch);
    }
    return { settled };
  }

  /** settleProvenBatch's arguments for a proven request. */
  private args(request: BatchProofEntity) {
    return [
      request.modelId,
      request.batchSize,
      request.jobIds.length,
      request.batchHash!,
      toSolidityProof(request.proof as unknown as SnarkjsProof),
    ] as const;
  }

  /** The error L1 would refuse the batch with, or undefined if it would settle. */
  private async simulate(request: BatchProofEntity): Promise<string | undefined> {
    const { settlement } = this.chain.get();
    try {
      await settlement.settleProvenBatch.staticCall(...this.args(request), { from: this.chain.senderFor('l1').address });
      return undefined;
    } catch (err) {
      // No answer (the node is down): the next round tries again. A revert, with or without a reason, is L1's no.
      if (!isError(err, 'CALL_EXCEPTION')) throw err;
      if (!err.data || err.data === '0x') return 'a revert without a reason';
      try {
        return settlement.interface.parseError(err.data)?.name ?? `an unknown revert ${err.data.slice(0, 10)}`;
      } catch {
        return `an unknown revert ${err.data.slice(0, 10)}`;
      }
    }
  }

  private async finish(batch: BatchEntity): Promise<number> {
    const sender = this.chain.senderFor('l1');
    const { settlement } = this.chain.get();
    const request = await this.dataSource.getRepository(BatchProofEntity).findOneByOrFail({ id: batch.batchProofId! });
    if (!batch.txId) {
      const data = settlement.interface.encodeFunctionData('settleProvenBatch', [...this.args(request)]);
      let tx;
      try {
        tx = await sender.sendOnce({ purpose: `settleProvenBatch batch ${batch.id}`, to: await settlement.getAddress(), data });
      } catch (err) {
        if (!(err instanceof ContractRevertedError)) throw err;
        return this.fail(
          batch,
          request,
          `settleProvenBatch would revert: ${decodeRevert(err.cause, settlement.interface) ?? 'no reason'}`,
        );
      }
      await this.dataSource.getRepository(BatchEntity).update({ id: batch.id }, { txId: tx.id });
      batch.txId = tx.id;
    }
    const receipt = await sender.waitConfirmed(batch.txId);
    if (receipt.status !== 1) return this.fail(batch, request, 'settleProvenBatch reverted');
    return this.apply(batch, request, receipt);
  }

  /** The batch never settles: failed, the request given up, its jobs back to `proven` to settle singly. */
  private async fail(batch: BatchEntity, request: BatchProofEntity, error: string): Promise<number> {
    await this.dataSource.transaction(async (manager) => {
      await abandonBatchProof(manager, request, error);
      await manager.update(BatchEntity, { id: batch.id }, { status: 'failed', error });
    });
    this.metrics.batches.inc({ kind: 'settle', outcome: 'reverted' });
    this.log.warn({ batchId: batch.id, batchProofId: request.id, error }, 'batch proof not settled; its jobs settle singly');
    return 0;
  }

  private async giveUp(request: BatchProofEntity, error: string): Promise<void> {
    await this.dataSource.transaction((manager) => abandonBatchProof(manager, request, error));
    this.log.warn({ batchProofId: request.id, error }, 'batch proof refused by L1; its jobs settle singly');
  }

  private async apply(batch: BatchEntity, request: BatchProofEntity, receipt: TransactionReceipt): Promise<number> {
    const { settlement } = this.chain.get();
    const l1BatchId = settledBatchId(settlement, receipt, 'ProvenBatchSettled');
    await this.dataSource.transaction(async (manager) => {
      await markJobsSettled(manager, { jobIds: batch.jobIds, l1BatchId, receipt, details: { batchProofId: request.id } });
      await manager.update(BatchEntity, { id: batch.id }, { status: 'confirmed', l1BatchId });
      await manager.update(BatchProofEntity, { id: request.id }, { status: 'settled' });
    });
    this.metrics.batches.inc({ kind: 'settle', outcome: 'confirmed' });
    this.log.info(
      {
        batchId: batch.id,
        l1BatchId,
        batchProofId: request.id,
        jobCount: batch.jobIds.length,
        gasUsed: receipt.gasUsed.toString(),
      },
      'batch proof settled on L1',
    );
    return batch.jobIds.length;
  }
}
