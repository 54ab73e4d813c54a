import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

import { JobInvalidTransitionError } from '../common/errors';
import { JobEventEntity } from './job-event.entity';
import { JOB_TRANSITIONS, type JobStatus } from './job-status';
import { JobEntity } from './job.entity';

export type TransitionJobParameters = {
  jobId: string;
  /** The statuses the job may be in now; the update is conditional on one of them (optimistic concurrency). */
  from: readonly JobStatus[];
  to: JobStatus;
  /** Other columns to set in the same update. */
  patch?: Partial<Omit<JobEntity, 'jobId' | 'status'>>;
  /** Recorded with the event: ids and hashes only, never private data. */
  details?: Record<string, unknown>;
};

/**
 * The one function that changes a job's status (STYLE.md): checks the move against JOB_TRANSITIONS, applies it only
 * if the job is still in an expected status (so two workers can never both move it), and appends the event that the
 * SSE stream and the audit trail read. Run it inside the caller's transaction.
 */
export async function transitionJob(manager: EntityManager, parameters: TransitionJobParameters): Promise<void> {
  const { jobId, from, to } = parameters;
  for (const f of from) if (!JOB_TRANSITIONS[f].includes(to)) throw new JobInvalidTransitionError(jobId, to, f);
  const result = await manager
    .createQueryBuilder()
    .update(JobEntity)
    .set({ ...(parameters.patch ?? {}), status: to } as QueryDeepPartialEntity<JobEntity>)
    .where('job_id = :jobId AND status IN (:...from)', { jobId, from })
    .execute();
  if (result.affected !== 1) {
    const current = await manager.getRepository(JobEntity).findOne({ where: { jobId }, select: { status: true } });
    throw new JobInvalidTransitionError(jobId, to, current?.status);
  }
  await manager.insert(JobEventEntity, { jobId, status: to, details: (parameters.details ?? {}) as never });
}
