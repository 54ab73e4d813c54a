import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * requested: waiting for its prover's proof (until give_up_at); proven: the proof verified here; submitted: a settle
 * batch carries it to L1; settled: L1 accepted it; abandoned: never proven, or refused by L1 (its jobs settle singly).
 */
export type BatchProofStatus = 'requested' | 'proven' | 'submitted' | 'settled' | 'abandoned';

/** A request to one prover for one batch proof over jobs of one model it proved singly. */
@Entity({ name: 'batch_proofs' })
@Index('batch_proofs_status_idx', ['status', 'prover'])
export class BatchProofEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'model_id', type: 'numeric', precision: 78, scale: 0 }) modelId!: string;
  @Column({ type: 'text' }) prover!: string;
  /** K: the batch circuit's slot count (its registered key). */
  @Column({ name: 'batch_size', type: 'integer' }) batchSize!: number;
  /** In the order the batch hash lists them. */
  @Column({ name: 'job_ids', type: 'jsonb' }) jobIds!: string[];
  @Column({ type: 'text' }) status!: BatchProofStatus;
  @Column({ name: 'give_up_at', type: 'timestamptz' }) giveUpAt!: Date;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'leased_at', type: 'timestamptz', nullable: true }) leasedAt!: Date | null;
  @Column({ name: 'batch_hash', type: 'numeric', precision: 78, scale: 0, nullable: true }) batchHash!: string | null;
  @Column({ type: 'jsonb', nullable: true }) proof!: Record<string, unknown> | null;
  @Column({ name: 'public_signals', type: 'jsonb', nullable: true }) publicSignals!: string[] | null;
  @Column({ name: 'proven_at', type: 'timestamptz', nullable: true }) provenAt!: Date | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
