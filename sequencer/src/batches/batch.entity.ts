import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type BatchKind = 'open' | 'settle' | 'release' | 'refund';
export type BatchStatus = 'pending' | 'confirmed' | 'failed';
/** How a settle batch is proven on L1, and so how it is released on L2: RLC over single proofs, or one batch proof. */
export type BatchPath = 'rlc' | 'proven';

/** One transaction's worth of jobs: opened on L2, settled on L1, released or refunded on L2. */
@Entity({ name: 'batches' })
@Index('batches_kind_status_idx', ['kind', 'status'])
export class BatchEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) kind!: BatchKind;
  @Column({ type: 'text' }) status!: BatchStatus;
  @Column({ type: 'text', default: 'rlc' }) path!: BatchPath;
  @Column({ name: 'job_ids', type: 'jsonb' }) jobIds!: string[];
  /** For path 'proven': the batch proof it carries (batch_proofs.id). */
  @Column({ name: 'batch_proof_id', type: 'bigint', nullable: true }) batchProofId!: string | null;
  /** The chain transaction that carries it (chain_txs.id). */
  @Column({ name: 'tx_id', type: 'bigint', nullable: true }) txId!: string | null;
  /** For settle and release batches: InferenceSettlement's batch id. */
  @Column({ name: 'l1_batch_id', type: 'numeric', precision: 78, scale: 0, nullable: true }) l1BatchId!: string | null;
  /** For settle batches: the exact job tuples settled, in order (releaseBatch must repeat them). */
  @Column({ name: 'settled_jobs', type: 'jsonb', nullable: true }) settledJobs!: SettledJobTuple[] | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** InferenceSettlement.Job / InferenceMarket.Job, as decimal strings. */
export type SettledJobTuple = {
  modelId: string;
  inputCommitment: string;
  outputCommitment: string;
  jobId: string;
  prover: string;
};
