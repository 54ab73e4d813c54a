import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: jobs and their events, provers and sessions, batches, signed chain transactions, models. */
export class Init1764115200000 implements MigrationInterface {
  name = 'Init1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        job_id numeric(78,0) PRIMARY KEY,
        requester text NOT NULL,
        model_id numeric(78,0) NOT NULL,
        input_commitment numeric(78,0) NOT NULL,
        reward numeric(78,0) NOT NULL,
        max_fee numeric(78,0) NOT NULL,
        fee numeric(78,0) NOT NULL,
        deadline bigint NOT NULL,
        nonce numeric(78,0) NOT NULL,
        signature text NOT NULL,
        input jsonb NOT NULL,
        input_salt text NOT NULL,
        access_token_hash text NOT NULL,
        correlation_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('accepted','open','proving','proven','batched','settled','released',
                                               'rejected','expired','refunded','failed')),
        reason text,
        open_tx_hash text,
        lease_prover text,
        lease_expires_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        prover text,
        output jsonb,
        output_commitment numeric(78,0),
        proof jsonb,
        public_signals jsonb,
        proven_at timestamptz,
        settle_batch_id bigint,
        settle_tx_hash text,
        l1_batch_id numeric(78,0),
        release_tx_hash text,
        refund_tx_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX jobs_status_created_idx ON jobs (status, created_at)`);
    await q.query(`CREATE UNIQUE INDEX jobs_requester_nonce_uq ON jobs (requester, nonce)`);
    await q.query(`CREATE INDEX jobs_l1_batch_idx ON jobs (l1_batch_id) WHERE l1_batch_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE job_events (
        id bigserial PRIMARY KEY,
        job_id numeric(78,0) NOT NULL REFERENCES jobs (job_id),
        status text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX job_events_job_idx ON job_events (job_id, id)`);
    await q.query(`
      CREATE TABLE provers (
        address text PRIMARY KEY,
        models jsonb NOT NULL DEFAULT '[]',
        last_heartbeat_at timestamptz NOT NULL,
        registered_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE prover_sessions (
        challenge text PRIMARY KEY,
        address text NOT NULL,
        token_hash text,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX prover_sessions_token_uq ON prover_sessions (token_hash)`);
    await q.query(`
      CREATE TABLE chain_txs (
        id bigserial PRIMARY KEY,
        chain_id integer NOT NULL,
        sender text NOT NULL,
        nonce bigint NOT NULL,
        purpose text NOT NULL,
        raw_tx text NOT NULL,
        tx_hash text NOT NULL,
        status text NOT NULL CHECK (status IN ('signed','sent','confirmed','reverted','replaced')),
        block_number bigint,
        gas_used bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX chain_txs_sender_nonce_uq ON chain_txs (chain_id, sender, nonce)`);
    await q.query(`CREATE INDEX chain_txs_status_idx ON chain_txs (status)`);
    await q.query(`
      CREATE TABLE batches (
        id bigserial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('open','settle','release','refund')),
        status text NOT NULL CHECK (status IN ('pending','confirmed','failed')),
        job_ids jsonb NOT NULL,
        tx_id bigint REFERENCES chain_txs (id),
        l1_batch_id numeric(78,0),
        settled_jobs jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX batches_kind_status_idx ON batches (kind, status)`);
    await q.query(`
      CREATE TABLE models (
        model_id numeric(78,0) PRIMARY KEY,
        name text NOT NULL,
        publisher text NOT NULL,
        manifest jsonb NOT NULL,
        artifacts jsonb NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['batches', 'chain_txs', 'prover_sessions', 'provers', 'job_events', 'jobs', 'models'])
      await q.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
