import { Client } from 'pg';

import { dropDatabase, ensureDatabase } from '@verity/core';
import { RelayerStore } from './relayerStore';

/** The real local Postgres (STYLE: repositories are tested against it), one throwaway database for this file. */
const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const url = `${SERVER}/verity_store_spec_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
const STREAM = '900:0xgenesis:0xportal';
const hash = (n: number) => '0x' + n.toString(16).padStart(64, '0');

/** The schema as the first release of the relayer created it, before reorg detection. */
const RELEASE_1_SCHEMA = [
  `CREATE TABLE relayer_cursor (
     stream_id text PRIMARY KEY,
     l1_block_number bigint NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE relayed_deposit (
     deposit_hash text PRIMARY KEY,
     stream_id text NOT NULL,
     l1_block_number bigint NOT NULL,
     l1_log_index integer NOT NULL,
     l1_tx_hash text NOT NULL,
     l2_tx_hash text NOT NULL,
     relayed_at timestamptz NOT NULL DEFAULT now()
   )`,
];

describe('RelayerStore', () => {
  let store: RelayerStore;

  beforeAll(async () => {
    await ensureDatabase(url);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      for (const sql of RELEASE_1_SCHEMA) await client.query(sql);
      await client.query(`INSERT INTO relayer_cursor (stream_id, l1_block_number) VALUES ($1, 42)`, [STREAM]);
      await client.query(
        `INSERT INTO relayed_deposit (deposit_hash, stream_id, l1_block_number, l1_log_index, l1_tx_hash, l2_tx_hash)
         VALUES ($1, $2, 40, 3, $3, $1)`,
        [hash(0xd0), STREAM, hash(0x70)],
      );
    } finally {
      await client.end();
    }
    store = new RelayerStore(url);
  });
  afterAll(async () => {
    await store?.close();
    await dropDatabase(url);
  });

  it('upgrades a database of the first release in place, keeping its cursor and deposits', async () => {
    await store.migrate();
    await store.migrate(); // idempotent: every start runs it
    expect(await store.getCursor(STREAM)).toEqual({ l1BlockNumber: 42n, l1BlockHash: null });
    expect(await store.listDepositsAfter(STREAM, 0n)).toEqual([
      {
        depositHash: hash(0xd0),
        l1BlockNumber: 40n,
        l1BlockHash: null,
        l1LogIndex: 3,
        l1TxHash: hash(0x70),
        l2TxHash: hash(0xd0),
      },
    ]);
    expect(await store.listCheckpoints(STREAM)).toEqual([]);
    expect(await store.getHalt(STREAM)).toBeUndefined();
  });

  it('keeps the newest checkpoints, and drops those above a cursor moved back by hand', async () => {
    for (const n of [43, 44, 45, 46, 47]) await store.setCursor(STREAM, BigInt(n), hash(n), 3);
    expect(await store.listCheckpoints(STREAM)).toEqual([
      { l1BlockNumber: 47n, l1BlockHash: hash(47) },
      { l1BlockNumber: 46n, l1BlockHash: hash(46) },
      { l1BlockNumber: 45n, l1BlockHash: hash(45) },
    ]);
    await store.setCursor(STREAM, 45n);
    expect(await store.getCursor(STREAM)).toEqual({ l1BlockNumber: 45n, l1BlockHash: null });
    expect((await store.listCheckpoints(STREAM)).map((c) => c.l1BlockNumber)).toEqual([45n]);
  });

  it('rewinds to a fork point, forgetting deposits that were never minted', async () => {
    await store.setCursor(STREAM, 50n, hash(50));
    await store.recordDeposit(STREAM, {
      depositHash: hash(0xd1),
      l1BlockNumber: 48n,
      l1BlockHash: hash(48),
      l1LogIndex: 0,
      l1TxHash: hash(0x71),
      l2TxHash: hash(0xd1),
    });
    await store.rewind(STREAM, { l1BlockNumber: 45n, l1BlockHash: hash(45) }, [hash(0xd1)]);
    expect(await store.getCursor(STREAM)).toEqual({ l1BlockNumber: 45n, l1BlockHash: hash(45) });
    expect((await store.listCheckpoints(STREAM)).map((c) => c.l1BlockNumber)).toEqual([45n]);
    expect((await store.listDepositsAfter(STREAM, 0n)).map((d) => d.depositHash)).toEqual([hash(0xd0)]);

    await store.rewind(STREAM, undefined, []);
    expect(await store.getCursor(STREAM)).toBeUndefined();
    expect(await store.listCheckpoints(STREAM)).toEqual([]);
  });

  it('persists a halt (the first one wins) until it is cleared, and does not report its deposits again', async () => {
    const halt = {
      reason: 'deposit reorged out',
      depositHash: hash(0xd0),
      l1BlockNumber: 40n,
      l1BlockHash: null,
      l1TxHash: hash(0x70),
    };
    await store.halt(STREAM, halt, [hash(0xd0)]);
    await store.halt(STREAM, { ...halt, reason: 'a later one' }, []);
    const reopened = new RelayerStore(url);
    try {
      expect(await reopened.getHalt(STREAM)).toMatchObject(halt);
      expect(await reopened.listDepositsAfter(STREAM, 0n)).toEqual([]);
      expect(await reopened.clearHalt(STREAM)).toBe(true);
      expect(await reopened.clearHalt(STREAM)).toBe(false);
    } finally {
      await reopened.close();
    }
    expect(await store.getHalt(STREAM)).toBeUndefined();
    expect(await store.countDeposits(STREAM)).toBe(1);
  });
});
