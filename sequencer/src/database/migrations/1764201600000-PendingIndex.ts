import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Intake sums a requester's accepted-but-unopened escrow on every request: index exactly those rows. */
export class PendingIndex1764201600000 implements MigrationInterface {
  name = 'PendingIndex1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS jobs_requester_accepted_idx ON jobs (requester) WHERE status = 'accepted'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS jobs_requester_accepted_idx`);
  }
}
