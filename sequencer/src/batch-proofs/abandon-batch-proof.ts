import type { EntityManager } from 'typeorm';

import { JobEntity } from '../jobs/job.entity';
import { transitionJob } from '../jobs/transition-job';
import { BatchProofEntity } from './batch-proof.entity';

/**
 * Gives a batch proof request up (never proven in time, returned by its prover, or refused by L1): its jobs go back
 * to `proven`, marked to settle singly with their own proofs, so no job waits on a batch proof twice. Run it inside
 * the caller's transaction.
 */
export async function abandonBatchProof(manager: EntityManager, request: BatchProofEntity, reason: string): Promise<string[]> {
  // Under the row lock, and only from the status the caller saw: a proof accepted meanwhile is not thrown away.
  const current = await manager
    .getRepository(BatchProofEntity)
    .findOne({ where: { id: request.id }, select: { id: true, status: true }, lock: { mode: 'pessimistic_write' } });
  if (current?.status !== request.status) return [];
  const jobs = await manager.getRepository(JobEntity).findBy({ batchProofId: request.id, status: 'batched' });
  for (const job of jobs)
    await transitionJob(manager, {
      jobId: job.jobId,
      from: ['batched'],
      to: 'proven',
      patch: { batchProofId: null, settleBatchId: null, settleSingly: true },
      details: { reason: `batch proof ${request.id} given up: ${reason}` },
    });
  await manager.update(BatchProofEntity, { id: request.id }, { status: 'abandoned', error: reason });
  return jobs.map((j) => j.jobId);
}
