import { Pool, type PoolClient, type PoolConfig } from 'pg';

import { createLogger } from '@verity/core';

/**
 * The relayer's durable state in Postgres: its L1 cursor (with the hash of the block it points at), recent cursor
 * checkpoints to find the fork point after an L1 reorg, a record of every deposit it relayed (with its L1 block
 * hash), and the halted state. Keyed by a stream id (L1 chain, genesis hash, portal) so a fresh devnet never
 * inherits an old cursor.
 */
export type RelayedDeposit = {
  depositHash: string;
  l1BlockNumber: bigint;
  /** null only for rows written before block hashes were stored: such a deposit cannot be proven canonical. */
  l1BlockHash: string | null;
  l1LogIndex: number;
  l1TxHash: string;
  l2TxHash: string;
};

export type RelayerCursor = {
  l1BlockNumber: bigint;
  /** null for a cursor written before hashes were stored, or set by hand without one. */
  l1BlockHash: string | null;
};

export type RelayerCheckpoint = { l1BlockNumber: bigint; l1BlockHash: string };

/** Why a relayer stopped minting: the first relayed deposit found outside the canonical L1 chain. */
export type RelayerHalt = {
  reason: string;
  depositHash: string;
  l1BlockNumber: bigint;
  l1BlockHash: string | null;
  l1TxHash: string;
  haltedAt?: Date;
};

/**
 * Applied in order on every start; each is idempotent so an existing database is upgraded in place (columns are
 * added, never rewritten). Never edit a shipped entry: append a new one.
 */
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
  // Reorg detection: the hash of the block the cursor points at, and of the block each deposit came from.
  `ALTER TABLE relayer_cursor ADD COLUMN IF NOT EXISTS l1_block_hash text`,
  `ALTER TABLE relayed_deposit ADD COLUMN IF NOT EXISTS l1_block_hash text`,
  // Set when a halt names the deposit: after the operator clears the halt, it is not reported again.
  `ALTER TABLE relayed_deposit ADD COLUMN IF NOT EXISTS reorged_at timestamptz`,
  `CREATE INDEX IF NOT EXISTS relayed_deposit_stream_block ON relayed_deposit (stream_id, l1_block_number)`,
  `CREATE TABLE IF NOT EXISTS relayer_checkpoint (
     stream_id text NOT NULL,
     l1_block_number bigint NOT NULL,
     l1_block_hash text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (stream_id, l1_block_number)
   )`,
  `CREATE TABLE IF NOT EXISTS relayer_halt (
     stream_id text PRIMARY KEY,
     reason text NOT NULL,
     deposit_hash text NOT NULL,
     l1_block_number bigint NOT NULL,
     l1_block_hash text,
     l1_tx_hash text NOT NULL,
     halted_at timestamptz NOT NULL DEFAULT now()
   )`,
];

/** Cursor checkpoints kept per stream; a reorg deeper than all of them re-scans from genesis. */
export const DEFAULT_CHECKPOINT_HISTORY = 256;

type DepositRow = {
  deposit_hash: string;
  l1_block_number: string;
  l1_block_hash: string | null;
  l1_log_index: number;
  l1_tx_hash: string;
  l2_tx_hash: string;
};

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

  async getCursor(streamId: string): Promise<RelayerCursor | undefined> {
    const { rows } = await this.pool.query<{ l1_block_number: string; l1_block_hash: string | null }>(
      'SELECT l1_block_number, l1_block_hash FROM relayer_cursor WHERE stream_id = $1',
      [streamId],
    );
    return rows[0] ? { l1BlockNumber: BigInt(rows[0].l1_block_number), l1BlockHash: rows[0].l1_block_hash } : undefined;
  }

  /**
   * Moves the cursor and records it as a checkpoint (when its hash is known), keeping the newest `history`
   * checkpoints. Checkpoints above the new cursor are dropped: a cursor set lower by hand makes them stale.
   */
  async setCursor(
    streamId: string,
    l1BlockNumber: bigint,
    l1BlockHash?: string,
    history: number = DEFAULT_CHECKPOINT_HISTORY,
  ): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO relayer_cursor (stream_id, l1_block_number, l1_block_hash) VALUES ($1, $2, $3)
         ON CONFLICT (stream_id) DO UPDATE
           SET l1_block_number = EXCLUDED.l1_block_number, l1_block_hash = EXCLUDED.l1_block_hash, updated_at = now()`,
        [streamId, l1BlockNumber.toString(), l1BlockHash ?? null],
      );
      await client.query('DELETE FROM relayer_checkpoint WHERE stream_id = $1 AND l1_block_number > $2', [
        streamId,
        l1BlockNumber.toString(),
      ]);
      if (!l1BlockHash) return;
      await client.query(
        `INSERT INTO relayer_checkpoint (stream_id, l1_block_number, l1_block_hash) VALUES ($1, $2, $3)
         ON CONFLICT (stream_id, l1_block_number) DO UPDATE SET l1_block_hash = EXCLUDED.l1_block_hash, created_at = now()`,
        [streamId, l1BlockNumber.toString(), l1BlockHash],
      );
      await client.query(
        `DELETE FROM relayer_checkpoint WHERE stream_id = $1 AND l1_block_number NOT IN (
           SELECT l1_block_number FROM relayer_checkpoint WHERE stream_id = $1 ORDER BY l1_block_number DESC LIMIT $2
         )`,
        [streamId, history],
      );
    });
  }

  /** Newest first. */
  async listCheckpoints(streamId: string): Promise<RelayerCheckpoint[]> {
    const { rows } = await this.pool.query<{ l1_block_number: string; l1_block_hash: string }>(
      'SELECT l1_block_number, l1_block_hash FROM relayer_checkpoint WHERE stream_id = $1 ORDER BY l1_block_number DESC',
      [streamId],
    );
    return rows.map((r) => ({ l1BlockNumber: BigInt(r.l1_block_number), l1BlockHash: r.l1_block_hash }));
  }

  /**
   * Written before the deposit is sent to L2, so a crash between the two still leaves a record for the reorg
   * check (which asks L2 whether the deposit was minted).
   */
  async recordDeposit(streamId: string, deposit: RelayedDeposit): Promise<void> {
    await this.pool.query(
      `INSERT INTO relayed_deposit
         (deposit_hash, stream_id, l1_block_number, l1_block_hash, l1_log_index, l1_tx_hash, l2_tx_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (deposit_hash) DO NOTHING`,
      [
        deposit.depositHash,
        streamId,
        deposit.l1BlockNumber.toString(),
        deposit.l1BlockHash,
        deposit.l1LogIndex,
        deposit.l1TxHash,
        deposit.l2TxHash,
      ],
    );
  }

  /** Deposits from L1 blocks above `l1BlockNumber`, except those a halt already reported. */
  async listDepositsAfter(streamId: string, l1BlockNumber: bigint): Promise<RelayedDeposit[]> {
    const { rows } = await this.pool.query<DepositRow>(
      `SELECT deposit_hash, l1_block_number, l1_block_hash, l1_log_index, l1_tx_hash, l2_tx_hash FROM relayed_deposit
       WHERE stream_id = $1 AND l1_block_number > $2 AND reorged_at IS NULL ORDER BY l1_block_number, l1_log_index`,
      [streamId, l1BlockNumber.toString()],
    );
    return rows.map((r) => ({
      depositHash: r.deposit_hash,
      l1BlockNumber: BigInt(r.l1_block_number),
      l1BlockHash: r.l1_block_hash,
      l1LogIndex: r.l1_log_index,
      l1TxHash: r.l1_tx_hash,
      l2TxHash: r.l2_tx_hash,
    }));
  }

  /**
   * After a reorg that minted nothing from the lost blocks: forgets the deposits recorded from them (never
   * minted, so the new chain's copies are relayed afresh) and moves the cursor back to the fork point, or removes
   * it (re-scan from genesis) when no checkpoint survived.
   */
  async rewind(streamId: string, forkPoint: RelayerCheckpoint | undefined, forgetDepositHashes: string[]): Promise<void> {
    await this.transaction(async (client) => {
      if (forgetDepositHashes.length > 0)
        await client.query('DELETE FROM relayed_deposit WHERE stream_id = $1 AND deposit_hash = ANY($2)', [
          streamId,
          forgetDepositHashes,
        ]);
      if (!forkPoint) {
        await client.query('DELETE FROM relayer_cursor WHERE stream_id = $1', [streamId]);
        await client.query('DELETE FROM relayer_checkpoint WHERE stream_id = $1', [streamId]);
        return;
      }
      await client.query(
        `UPDATE relayer_cursor SET l1_block_number = $2, l1_block_hash = $3, updated_at = now() WHERE stream_id = $1`,
        [streamId, forkPoint.l1BlockNumber.toString(), forkPoint.l1BlockHash],
      );
      await client.query('DELETE FROM relayer_checkpoint WHERE stream_id = $1 AND l1_block_number > $2', [
        streamId,
        forkPoint.l1BlockNumber.toString(),
      ]);
    });
  }

  /**
   * Persists the halt (the first one wins; a restarted relayer reads it back and mints nothing) and marks the
   * reorged-out minted deposits, so clearing the halt does not report them again.
   */
  async halt(streamId: string, halt: RelayerHalt, reorgedDepositHashes: string[]): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO relayer_halt (stream_id, reason, deposit_hash, l1_block_number, l1_block_hash, l1_tx_hash)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (stream_id) DO NOTHING`,
        [streamId, halt.reason, halt.depositHash, halt.l1BlockNumber.toString(), halt.l1BlockHash, halt.l1TxHash],
      );
      await client.query(
        'UPDATE relayed_deposit SET reorged_at = now() WHERE stream_id = $1 AND deposit_hash = ANY($2) AND reorged_at IS NULL',
        [streamId, reorgedDepositHashes],
      );
    });
  }

  async getHalt(streamId: string): Promise<RelayerHalt | undefined> {
    const { rows } = await this.pool.query<{
      reason: string;
      deposit_hash: string;
      l1_block_number: string;
      l1_block_hash: string | null;
      l1_tx_hash: string;
      halted_at: Date;
    }>(
      'SELECT reason, deposit_hash, l1_block_number, l1_block_hash, l1_tx_hash, halted_at FROM relayer_halt WHERE stream_id = $1',
      [streamId],
    );
    const r = rows[0];
    return r
      ? {
          reason: r.reason,
          depositHash: r.deposit_hash,
          l1BlockNumber: BigInt(r.l1_block_number),
          l1BlockHash: r.l1_block_hash,
          l1TxHash: r.l1_tx_hash,
          haltedAt: r.halted_at,
        }
      : undefined;
  }

  /** The operator's way out of a halt; returns whether there was one. */
  async clearHalt(streamId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM relayer_halt WHERE stream_id = $1', [streamId]);
    return (rowCount ?? 0) > 0;
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

  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
