import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';

/** One accepted-looking request, ready to store: every value already checked and rendered as the column takes it. */
export type IntakeRow = {
  jobId: string;
  /** EIP-55 checksummed. */
  requester: string;
  modelId: string;
  inputCommitment: string;
  reward: string;
  maxFee: string;
  fee: string;
  deadline: string;
  nonce: string;
  signature: string;
  /** JSON. */
  input: string;
  inputSalt: string;
  accessTokenHash: string;
  correlationId: string;
  /** The first event's details (JSON). */
  details: string;
  /** The requester's prepaid market balance as read from the chain (wei). */
  prepaid: string;
  /** reward + fee (wei). */
  needed: string;
};

/**
 * What became of a row: stored with its first event; refused by the balance guard (the prepaid balance does not cover
 * this job and the requester's jobs accepted but not yet opened); or a duplicate, of the same job or of its nonce.
 */
export type IntakeOutcome = 'accepted' | 'balance_short' | 'job_exists' | 'nonce_used';

type Pending = { row: IntakeRow; resolve: (outcome: IntakeOutcome) => void; reject: (err: unknown) => void };

/** Rows in one statement, at most. */
const MAX_BATCH = 128;
/** Statements in flight at once. */
const MAX_IN_FLIGHT = 2;

const COLUMNS = `job_id, requester, model_id, input_commitment, reward, max_fee, fee, deadline, nonce, signature, input, input_salt,
                 access_token_hash, correlation_id`;

/** One row, one statement: the balance guard, the job and its first event, atomically. */
const INSERT_ONE = `WITH guard AS (
    SELECT $16::numeric - coalesce((SELECT sum(reward + fee) FROM jobs WHERE requester = $2 AND status = 'accepted'), 0)
           >= $17::numeric AS ok
  ), job AS (
    INSERT INTO jobs (${COLUMNS}, status)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'accepted' FROM guard WHERE ok
    RETURNING job_id
  )
  INSERT INTO job_events (job_id, status, details) SELECT job_id, 'accepted', $15 FROM job RETURNING job_id`;

/**
 * Many rows, one statement (so one transaction and one WAL flush): each row's balance guard, then the rows that pass,
 * with their first events, in arrival order; a row that collides with a stored job (same job, or same requester and
 * nonce) is skipped rather than failing the others. One row per requester per statement, and no two statements in
 * flight for one requester: each guard sees every earlier job of its requester, committed, and no two rows collide.
 */
const INSERT_MANY = `WITH input AS (
    SELECT * FROM unnest($1::numeric[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[],
                         $7::numeric[], $8::bigint[], $9::numeric[], $10::text[], $11::jsonb[], $12::text[], $13::text[],
                         $14::text[], $15::jsonb[], $16::numeric[], $17::numeric[])
      WITH ORDINALITY AS t(job_id, requester, model_id, input_commitment, reward, max_fee, fee, deadline, nonce, signature,
                           input, input_salt, access_token_hash, correlation_id, details, prepaid, needed, ord)
  ), guarded AS (
    SELECT i.*, i.prepaid - coalesce((SELECT sum(j.reward + j.fee) FROM jobs j
                                      WHERE j.requester = i.requester AND j.status = 'accepted'), 0) >= i.needed AS ok
    FROM input i
  ), job AS (
    INSERT INTO jobs (${COLUMNS}, status)
    SELECT ${COLUMNS}, 'accepted' FROM guarded WHERE ok ORDER BY ord
    ON CONFLICT DO NOTHING
    RETURNING job_id
  ), event AS (
    INSERT INTO job_events (job_id, status, details)
    SELECT g.job_id, 'accepted', g.details FROM guarded g JOIN job USING (job_id) ORDER BY g.ord
    RETURNING job_id
  )
  SELECT g.ord, g.ok, e.job_id IS NOT NULL AS stored FROM guarded g LEFT JOIN event e USING (job_id) ORDER BY g.ord`;

const FIELDS: (keyof IntakeRow)[] = [
  'jobId',
  'requester',
  'modelId',
  'inputCommitment',
  'reward',
  'maxFee',
  'fee',
  'deadline',
  'nonce',
  'signature',
  'input',
  'inputSalt',
  'accessTokenHash',
  'correlationId',
  'details',
  'prepaid',
  'needed',
];

/**
 * Stores intake's jobs by group commit: rows that arrive while a statement is in flight go together in the next one,
 * so a busy sequencer pays one round trip and one commit for many jobs. A row's promise settles only once the
 * statement holding it has committed (a 202 means the job is durable), each with its own outcome. A statement that
 * fails stored nothing (it is atomic): its rows are then stored one by one, so each gets the answer, or the error, it
 * would have had alone.
 */
@Injectable()
export class IntakeWriter implements BeforeApplicationShutdown {
  private queue: Pending[] = [];
  /** Requesters with a row in a statement in flight. */
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;

  constructor(private readonly dataSource: DataSource) {}

  /** Stores the row (guard, job, first event) and says what became of it, once committed. */
  write(row: IntakeRow): Promise<IntakeOutcome> {
    return new Promise<IntakeOutcome>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  /** Lets the statements in flight finish before the DataSource closes. */
  async beforeApplicationShutdown(): Promise<void> {
    while (this.inFlight.size > 0 || this.queue.length > 0) {
      if (this.inFlight.size === 0) this.next();
      await Promise.all([...this.inFlight]);
    }
  }

  /** The next statement starts after the rows that arrive with this one (the same turn of the event loop) are queued. */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight.size >= MAX_IN_FLIGHT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.next();
    });
  }

  private next(): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) return;
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const requesters = new Set<string>();
    for (const p of this.queue) {
      const { requester } = p.row;
      if (batch.length < MAX_BATCH && !this.busy.has(requester) && !requesters.has(requester)) {
        batch.push(p);
        requesters.add(requester);
      } else rest.push(p);
    }
    // Every waiting row belongs to a requester in flight: the end of that statement schedules the next one.
    if (batch.length === 0) return;
    this.queue = rest;
    for (const r of requesters) this.busy.add(r);
    // Should flush throw, the rows it has not answered are refused (a promise settles once: answered rows keep their
    // answer), so no request hangs and no rejection goes unhandled.
    const done: Promise<void> = this.flush(batch)
      .catch((err: unknown) => {
        for (const p of batch) p.reject(err);
      })
      .finally(() => {
        for (const r of requesters) this.busy.delete(r);
        this.inFlight.delete(done);
        this.schedule();
      });
    this.inFlight.add(done);
    this.schedule();
  }

  private async flush(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      await this.insertOne(batch[0]!.row).then(batch[0]!.resolve, batch[0]!.reject);
      return;
    }
    let result: { ord: string; ok: boolean; stored: boolean }[];
    try {
      result = await this.dataSource.query(
        INSERT_MANY,
        FIELDS.map((f) => batch.map((p) => p.row[f])),
      );
    } catch {
      // Nothing of the statement was stored: each row alone, with its own answer or error.
      await Promise.all(batch.map((p) => this.insertOne(p.row).then(p.resolve, p.reject)));
      return;
    }
    // Committed. A row that passed its guard but was not stored collided with a stored job: the same job, or else
    // another job of the requester holding the nonce (the same job id means the same requester and nonce).
    const collided: Pending[] = [];
    const answered = new Set<Pending>();
    for (const r of Array.isArray(result) ? result : []) {
      const p = batch[Number(r.ord) - 1];
      if (!p || answered.has(p)) continue;
      answered.add(p);
      if (!r.ok) p.resolve('balance_short');
      else if (r.stored) p.resolve('accepted');
      else collided.push(p);
    }
    // A malformed answer must not leave a request hanging (a promise settles once: extra calls are no-ops).
    for (const p of batch) if (!answered.has(p)) p.reject(new Error('the intake statement did not answer for this row'));
    if (collided.length === 0) return;
    try {
      const stored = await this.dataSource.query<{ job_id: string }[]>(
        'SELECT job_id::text AS job_id FROM jobs WHERE job_id = ANY($1::numeric[])',
        [collided.map((p) => p.row.jobId)],
      );
      const existing = new Set(stored.map((s) => s.job_id));
      for (const p of collided) p.resolve(existing.has(p.row.jobId) ? 'job_exists' : 'nonce_used');
    } catch (err) {
      for (const p of collided) p.reject(err);
    }
  }

  private async insertOne(row: IntakeRow): Promise<IntakeOutcome> {
    try {
      const rows = await this.dataSource.query<{ job_id: string }[]>(
        INSERT_ONE,
        FIELDS.map((f) => row[f]),
      );
      return rows.length === 0 ? 'balance_short' : 'accepted';
    } catch (err) {
      if (err instanceof QueryFailedError && /duplicate key/.test(err.message))
        return /jobs_pkey/.test(err.message) ? 'job_exists' : 'nonce_used';
      throw err;
    }
  }
}
