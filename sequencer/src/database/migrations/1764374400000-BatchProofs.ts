import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batch proofs: the sequencer's requests to a prover for one Groth16 proof over jobs it served (one model), the
 * jobs they hold, and the settle/release batches that carry such a proof (path 'proven') beside the RLC ones.
 */
export class BatchProofs1764374400000 implements MigrationInterface {
  name = 'BatchProofs1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE batch_proofs (
        id bigserial PRIMARY KEY,
        model_id numeric(78,0) NOT NULL,
        prover text NOT NULL,
        batch_size integer NOT NULL CHECK (batch_size BETWEEN 1 AND 64),
        job_ids jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('requested','proven','submitted','settled','abandoned')),
        give_up_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        leased_at timestamptz,
        batch_hash numeric(78,0),
        proof jsonb,
        public_signals jsonb,
        proven_at timestamptz,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX batch_proofs_status_idx ON batch_proofs (status, prover)`);
    await q.query(`ALTER TABLE jobs ADD COLUMN batch_proof_id bigint REFERENCES batch_proofs (id)`);
    await q.query(`ALTER TABLE jobs ADD COLUMN settle_singly boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX jobs_batch_proof_idx ON jobs (batch_proof_id) WHERE batch_proof_id IS NOT NULL`);
    await q.query(`CREATE INDEX jobs_proven_idx ON jobs (model_id, prover, proven_at) WHERE status = 'proven'`);
    await q.query(`ALTER TABLE batches ADD COLUMN path text NOT NULL DEFAULT 'rlc' CHECK (path IN ('rlc','proven'))`);
    await q.query(`ALTER TABLE batches ADD COLUMN batch_proof_id bigint REFERENCES batch_proofs (id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE batches DROP COLUMN IF EXISTS batch_proof_id`);
    await q.query(`ALTER TABLE batches DROP COLUMN IF EXISTS path`);
    await q.query(`DROP INDEX IF EXISTS jobs_proven_idx`);
    await q.query(`DROP INDEX IF EXISTS jobs_batch_proof_idx`);
    await q.query(`ALTER TABLE jobs DROP COLUMN IF EXISTS settle_singly`);
    await q.query(`ALTER TABLE jobs DROP COLUMN IF EXISTS batch_proof_id`);
    await q.query(`DROP TABLE IF EXISTS batch_proofs`);
  }
}
