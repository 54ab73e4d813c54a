import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A registration challenge (token_hash null, not yet answered) or a session (token_hash set). Tokens are stored as
 * sha256 hashes: a database leak does not hand out sessions.
 */
@Entity({ name: 'prover_sessions' })
@Index('prover_sessions_token_uq', ['tokenHash'], { unique: true })
export class ProverSessionEntity {
  /** The challenge: 32 random bytes, hex; single use. */
  @PrimaryColumn({ type: 'text' }) challenge!: string;
  @Column({ type: 'text' }) address!: string;
  @Column({ name: 'token_hash', type: 'text', nullable: true }) tokenHash!: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
