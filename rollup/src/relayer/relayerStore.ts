import { Pool, type PoolConfig } from 'pg';

import { createLogger } from '../logger';

/**
 * The relayer's durable state in Postgres: its L1 cursor and a record of every deposit it relayed.
 * Keyed by a stream id (L1 chain, genesis hash, portal) so a fresh devnet never inherits an old cursor.
 */
export type RelayedDeposit = {
  depositHash: string;
  l1BlockNumber: bigint;
  l1LogIndex: number;
  l1TxHash: string;
  l2TxHash: string;
};

const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS relayer_cursor (
     stream_id text PRIMARY KEY,
     l1_block_number bigint NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS relayed_deposit (
     deposit_hash text PRIMARY KEY,
     stream_id text NOT NULL,
     l1_block_number bigint NOT NULL,
     l1_log_index integer NOT NULL,
     l1_tx_hash text NOT NULL,
     l2_tx_hash text NOT NULL,
     relayed_at timestamptz NOT NULL DEFAULT now()
   )`,
];

export class RelayerStore {
  private readonly pool: Pool;
  private readonly log = createLogger(RelayerStore.name);

  constructor(connection: string | PoolConfig) {
    this.pool = new Pool(typeof connection === 'string' ? { connectionString: connection, max: 2 } : connection);
    // An idle client dropped by the server (restart, admin) must not crash the process; the pool reconnects.
    this.pool.on('error', (err) => this.log.warn({ err: err.message }, 'idle database connection lost'));
  }

  async migrate(): Promise<void> {
    // A lock so two relayers starting together do not race on CREATE TABLE.
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(7301)');
      for (const sql of MIGRATIONS) await client.query(sql);
    } finally {
      await client.query('SELECT pg_advisory_unlock(7301)').catch(() => undefined);
      client.release();
    }
  }

  async getCursor(streamId: string): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ l1_block_number: string }>(
      'SELECT l1_block_number FROM relayer_cursor WHERE stream_id = $1',
      [streamId],
    );
    return rows[0] ? BigInt(rows[0].l1_block_number) : undefined;
  }

  async setCursor(streamId: string, l1BlockNumber: bigint): Promise<void> {
    await this.pool.query(
      `INSERT INTO relayer_cursor (stream_id, l1_block_number) VALUES ($1, $2)
       ON CONFLICT (stream_id) DO UPDATE SET l1_block_number = EXCLUDED.l1_block_number, updated_at = now()`,
      [streamId, l1BlockNumber.toString()],
    );
  }

  async recordDeposit(streamId: string, deposit: RelayedDeposit): Promise<void> {
    await this.pool.query(
      `INSERT INTO relayed_deposit (deposit_hash, stream_id, l1_block_number, l1_log_index, l1_tx_hash, l2_tx_hash)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (deposit_hash) DO NOTHING`,
      [deposit.depositHash, streamId, deposit.l1BlockNumber.toString(), deposit.l1LogIndex, deposit.l1TxHash, deposit.l2TxHash],
    );
  }

  async countDeposits(streamId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM relayed_deposit WHERE stream_id = $1', [
      streamId,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
