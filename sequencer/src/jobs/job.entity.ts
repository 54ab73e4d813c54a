import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

import type { JobStatus } from './job-status';

/** A numeric(78,0) column: uint256 values travel as decimal strings, never as lossy JS numbers. */
const UINT = { type: 'numeric', precision: 78, scale: 0 } as const;

/** An accepted job: the signed request, its private input and everything that happened to it since. */
@Entity({ name: 'jobs' })
@Index('jobs_status_created_idx', ['status', 'createdAt'])
@Index('jobs_requester_nonce_uq', ['requester', 'nonce'], { unique: true })
export class JobEntity {
  /** The market's job id: the EIP-712 digest of the request modulo the BN254 field (decimal). */
  @PrimaryColumn({ name: 'job_id', ...UINT })
  jobId!: string;

  @Column({ type: 'text' }) requester!: string;
  @Column({ name: 'model_id', ...UINT }) modelId!: string;
  @Column({ name: 'input_commitment', ...UINT }) inputCommitment!: string;
  @Column(UINT) reward!: string;
  @Column({ name: 'max_fee', ...UINT }) maxFee!: string;
  /** The protocol fee at intake (reward · feeBps / 10,000). */
  @Column(UINT) fee!: string;
  /** Unix seconds. */
  @Column({ type: 'bigint' }) deadline!: string;
  @Column(UINT) nonce!: string;
  @Column({ type: 'text' }) signature!: string;

  /** The requester's float input and blinding salt: private, never returned by the API. */
  @Column({ type: 'jsonb' }) input!: number[];
  @Column({ name: 'input_salt', type: 'text' }) inputSalt!: string;
  /** sha256 of the requester's access token (the token itself is returned once, at intake). */
  @Column({ name: 'access_token_hash', type: 'text' }) accessTokenHash!: string;
  @Column({ name: 'correlation_id', type: 'text' }) correlationId!: string;

  @Column({ type: 'text' }) status!: JobStatus;
  /** Why the job ended badly (rejected, expired, failed), in a few words. */
  @Column({ type: 'text', nullable: true }) reason!: string | null;

  @Column({ name: 'open_tx_hash', type: 'text', nullable: true }) openTxHash!: string | null;
  @Column({ name: 'lease_prover', type: 'text', nullable: true }) leaseProver!: string | null;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true }) leaseExpiresAt!: Date | null;
  @Column({ type: 'integer', default: 0 }) attempts!: number;

  @Column({ type: 'text', nullable: true }) prover!: string | null;
  /** The output opening (integers, argmax, scale, values, salt): private to the requester. */
  @Column({ type: 'jsonb', nullable: true }) output!: Record<string, unknown> | null;
  @Column({ name: 'output_commitment', ...UINT, nullable: true }) outputCommitment!: string | null;
  @Column({ type: 'jsonb', nullable: true }) proof!: Record<string, unknown> | null;
  @Column({ name: 'public_signals', type: 'jsonb', nullable: true }) publicSignals!: string[] | null;
  @Column({ name: 'proven_at', type: 'timestamptz', nullable: true }) provenAt!: Date | null;

  /** The batch proof this job waits for (status `batched` until it is proven, or given up). */
  @Column({ name: 'batch_proof_id', type: 'bigint', nullable: true }) batchProofId!: string | null;
  /** Settle with its own proof (RLC batch): no batch proof will be asked for it (again). */
  @Column({ name: 'settle_singly', type: 'boolean', default: false }) settleSingly!: boolean;
  @Column({ name: 'settle_batch_id', type: 'bigint', nullable: true }) settleBatchId!: string | null;
  @Column({ name: 'settle_tx_hash', type: 'text', nullable: true }) settleTxHash!: string | null;
  /** The InferenceSettlement batch id on L1. */
  @Column({ name: 'l1_batch_id', ...UINT, nullable: true }) l1BatchId!: string | null;
  @Column({ name: 'release_tx_hash', type: 'text', nullable: true }) releaseTxHash!: string | null;
  @Column({ name: 'refund_tx_hash', type: 'text', nullable: true }) refundTxHash!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
