import type { DataSource } from 'typeorm';

import { dropDatabase } from '@verity/core';
import { createDataSource } from '../database/database.module';
import { IntakeWriter, type IntakeRow } from './intake-writer.service';

const databaseUrl = `${process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/verity_intake_spec_${process.pid}`;

let dataSource: DataSource;
let writer: IntakeWriter;
let nextId = 1n;

const requesterOf = (n: number) => '0x' + n.toString(16).padStart(40, '0');
const row = (requester: number, nonce: number, overrides: Partial<IntakeRow> = {}): IntakeRow => ({
  jobId: String(nextId++),
  requester: requesterOf(requester),
  modelId: '7',
  inputCommitment: '9',
  reward: '3',
  maxFee: '1',
  fee: '1',
  deadline: '1900000000',
  nonce: String(nonce),
  signature: '0x' + 'ab'.repeat(65),
  input: '[1,2]',
  inputSalt: '5',
  accessTokenHash: 'ff'.repeat(32),
  correlationId: `c-${nextId}`,
  details: '{"correlationId":"c"}',
  prepaid: '1000',
  needed: '4',
  ...overrides,
});

beforeAll(async () => {
  dataSource = await createDataSource({ url: databaseUrl, poolSize: 4 });
  writer = new IntakeWriter(dataSource);
});

afterAll(async () => {
  await writer.beforeApplicationShutdown();
  await dataSource.destroy();
  await dropDatabase(databaseUrl);
});

describe('IntakeWriter', () => {
  it('stores rows arriving together, each with its first event, in arrival order', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => row(100 + (i % 12), i));
    expect(await Promise.all(rows.map((r) => writer.write(r)))).toEqual(rows.map(() => 'accepted'));
    const events = await dataSource.query<{ job_id: string }[]>(
      `SELECT job_id::text AS job_id FROM job_events WHERE job_id = ANY($1::numeric[]) AND status = 'accepted' ORDER BY id`,
      [rows.map((r) => r.jobId)],
    );
    expect(events).toHaveLength(60);
    // Rows of one requester keep their order.
    const of100 = events.map((e) => e.job_id).filter((id) => rows.find((r) => r.jobId === id)!.requester === requesterOf(100));
    expect(of100).toEqual(rows.filter((r) => r.requester === requesterOf(100)).map((r) => r.jobId));
  });

  it('answers each duplicate for itself: the same job, or the same nonce, among accepted rows', async () => {
    const first = row(200, 1);
    const others = [row(201, 1), row(202, 1)];
    expect(await writer.write(first)).toBe('accepted');
    const answers = await Promise.all([
      writer.write({ ...first }),
      writer.write(row(200, 1)),
      writer.write(row(200, 2)),
      ...others.map((r) => writer.write(r)),
    ]);
    expect(answers).toEqual(['job_exists', 'nonce_used', 'accepted', 'accepted', 'accepted']);
  });

  it('counts every earlier job of the requester in its balance guard, whatever arrives together', async () => {
    // 10 wei prepaid, 4 per job: two fit.
    const rows = Array.from({ length: 5 }, (_, i) => row(300, i, { prepaid: '10' }));
    const answers = await Promise.all([...rows.map((r) => writer.write(r)), writer.write(row(301, 0, { prepaid: '4' }))]);
    expect(answers).toEqual(['accepted', 'accepted', 'balance_short', 'balance_short', 'balance_short', 'accepted']);
  });

  it('gives a row that breaks the statement its own error, and stores the others', async () => {
    const rows = [row(400, 0), row(401, 0, { deadline: 'not a number' }), row(402, 0)];
    const answers = await Promise.allSettled(rows.map((r) => writer.write(r)));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[0] as PromiseFulfilledResult<string>).value).toBe('accepted');
    expect((answers[2] as PromiseFulfilledResult<string>).value).toBe('accepted');
  });
});
