import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ChainTxStatus = 'signed' | 'sent' | 'confirmed' | 'reverted' | 'replaced';

/**
 * A transaction the sequencer signed. The signed bytes are written before they are broadcast, so a process killed
 * at any point restarts by re-broadcasting the very same transaction (same nonce, same hash): nothing is sent twice.
 */
@Entity({ name: 'chain_txs' })
@Index('chain_txs_sender_nonce_uq', ['chainId', 'sender', 'nonce'], { unique: true })
@Index('chain_txs_status_idx', ['status'])
export class ChainTxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'chain_id', type: 'integer' }) chainId!: number;
  @Column({ type: 'text' }) sender!: string;
  @Column({ type: 'bigint' }) nonce!: string;
  @Column({ type: 'text' }) purpose!: string;
  @Column({ name: 'raw_tx', type: 'text' }) rawTx!: string;
  @Column({ name: 'tx_hash', type: 'text' }) txHash!: string;
  @Column({ type: 'text' }) status!: ChainTxStatus;
  @Column({ name: 'block_number', type: 'bigint', nullable: true }) blockNumber!: string | null;
  @Column({ name: 'gas_used', type: 'bigint', nullable: true }) gasUsed!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
