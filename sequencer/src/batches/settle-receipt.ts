import type { Interface, TransactionReceipt } from 'ethers';
import type { EntityManager } from 'typeorm';

import { transitionJob } from '../jobs/transition-job';

/** The batch id InferenceSettlement assigned in a settle receipt (its `event` log's `batchId`), or null if absent. */
export function settledBatchId(
  settlement: { interface: Interface },
  receipt: TransactionReceipt,
  event: 'BatchSettled' | 'ProvenBatchSettled',
): string | null {
  for (const log of receipt.logs) {
    try {
      const parsed = settlement.interface.parseLog(log);
      if (parsed?.name === event) return (parsed.args.batchId as bigint).toString();
    } catch {
      // not a settlement event
    }
  }
  return null;
}

/** A settle batch's jobs, `batched` → `settled` under L1 batch `l1BatchId` (inside the caller's transaction). */
export async function markJobsSettled(
  manager: EntityManager,
  parameters: {
    jobIds: readonly string[];
    l1BatchId: string | null;
    receipt: TransactionReceipt;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  const { l1BatchId, receipt } = parameters;
  for (const jobId of parameters.jobIds)
    await transitionJob(manager, {
      jobId,
      from: ['batched'],
      to: 'settled',
      patch: { l1BatchId, settleTxHash: receipt.hash },
      details: { txHash: receipt.hash, l1BatchId, ...parameters.details },
    });
}
