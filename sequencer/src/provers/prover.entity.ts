import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A prover that proved control of its staked key by signing a challenge. */
@Entity({ name: 'provers' })
export class ProverEntity {
  /** Checksummed address. */
  @PrimaryColumn({ type: 'text' }) address!: string;
  /** Model ids it serves (empty: any). */
  @Column({ type: 'jsonb', default: [] }) models!: string[];
  @Column({ name: 'last_heartbeat_at', type: 'timestamptz' }) lastHeartbeatAt!: Date;
  @CreateDateColumn({ name: 'registered_at', type: 'timestamptz' }) registeredAt!: Date;
}
