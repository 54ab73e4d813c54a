import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

import type { JobStatus } from './job-status';

/** One status change of a job: the audit trail, and what the SSE stream replays. */
@Entity({ name: 'job_events' })
@Index('job_events_job_idx', ['jobId', 'id'])
export class JobEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'job_id', type: 'numeric', precision: 78, scale: 0 }) jobId!: string;
  @Column({ type: 'text' }) status!: JobStatus;
  /** Ids and hashes that came with the change (tx hash, batch id, prover), never private data. */
  @Column({ type: 'jsonb', default: {} }) details!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
