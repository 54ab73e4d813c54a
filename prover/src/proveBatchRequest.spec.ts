import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Wallet } from 'ethers';

import {
  batchHash,
  compileBatch,
  evaluateQuantized,
  Groth16ProverProcess,
  inputCommitmentOf,
  lowerGraph,
  outputCommitmentOf,
  programToJson,
  quantize,
  quantizeInput,
  readModel,
  releaseCurves,
  setupBatch,
  writeModel,
  type ModelPaths,
} from '@verity/circuits';
import { ModelCache } from './modelCache';
import { BatchProofRefusedError, proveBatchRequest } from './proveBatchRequest';
import { ProverDaemon } from './proverDaemon';
import { SequencerClient, type BatchProofJob, type LeasedBatchProof } from './sequencerClient';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A small MLP (5 → 4 → 3) with fixed weights, its ONNX bytes and quantized program. */
function tinyModel() {
  const weights = (n: number, k: number) => Array.from({ length: n }, (_, i) => (((i * k) % 7) - 3) / 4);
  const onnx = writeModel({
    inputs: [{ name: 'x', shape: [1, 5] }],
    outputs: [{ name: 'y', shape: [1, 3] }],
    initializers: [
      { name: 'w1', dims: [5, 4], data: weights(20, 3) },
      { name: 'w2', dims: [4, 3], data: weights(12, 5) },
    ],
    nodes: [
      { opType: 'MatMul', name: 'fc1', inputs: ['x', 'w1'], outputs: ['h'] },
      { opType: 'Relu', name: 'relu', inputs: ['h'], outputs: ['r'] },
      { opType: 'MatMul', name: 'fc2', inputs: ['r', 'w2'], outputs: ['y'] },
    ],
  });
  const calibration = Array.from({ length: 8 }, (_, s) => Array.from({ length: 5 }, (_, i) => Math.sin(s * 5 + i)));
  return { onnx, program: quantize({ program: lowerGraph(readModel(onnx)), calibration, inputMaxAbs: 1 }) };
}

/**
 * A prover's side of a batch proof request against a plain HTTP server serving a real model and its batch circuit
 * of K = 2 (INSECURE development setup, seconds): the batch files fetched and checked by ModelCache.getBatch, the
 * proof made in a prover process, and the commitments the sequencer sent held to the ones the circuit computed.
 */
describe('proveBatchRequest', () => {
  const MODEL_ID = '777';
  const { onnx, program } = tinyModel();
  const prover = new Wallet(`0x${'42'.repeat(32)}`).address;
  const proverProcess = new Groth16ProverProcess();
  let server: Server;
  let url: string;
  let dir: string;
  let artifacts: Record<string, Buffer>;
  /** The prover API as the daemon sees it: batch requests to lease, and what it submitted or returned. */
  let offered: LeasedBatchProof[] = [];
  let calls: { url: string; body: unknown }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-batch-request-'));
    const paths = { dir, program: join(dir, 'program.json') } as ModelPaths;
    writeFileSync(paths.program, programToJson(program));
    const batch = compileBatch({ manifest: { name: 'tiny', modelId: MODEL_ID }, paths, program }, 2);
    await setupBatch(batch, { insecureDevelopmentSetup: true });
    const manifest = {
      name: 'tiny',
      modelId: MODEL_ID,
      input: { shape: [5], bits: program.inputBits },
      output: { shape: [3], bits: program.outputBits },
    };
    const batchVkey = readFileSync(batch.paths.vkey);
    artifacts = {
      manifest: Buffer.from(JSON.stringify(manifest)),
      program: readFileSync(paths.program),
      // The model's own keys play no part in a batch proof; any well-formed key passes the model's load.
      zkey: Buffer.from('unused'),
      vkey: batchVkey,
      onnx: Buffer.from(onnx),
      'batch-2-manifest': readFileSync(batch.paths.manifest),
      'batch-2-zkey': readFileSync(batch.paths.zkey),
      'batch-2-vkey': batchVkey,
    };
    const proverApi = (url: string, body: unknown): { status: number; body?: unknown } => {
      calls.push({ url, body });
      if (url === '/v1/provers/challenge') return { status: 200, body: { challenge: 'c', message: 'sign me' } };
      if (url === '/v1/provers/register') return { status: 200, body: { token: 't', expiresAt: '2100-01-01T00:00:00Z' } };
      if (url === '/v1/provers/batch-proofs/lease')
        return offered.length ? { status: 200, body: offered.shift() } : { status: 204 };
      if (url.startsWith('/v1/provers/batch-proofs/')) return { status: 200, body: { status: 'proven' } };
      return url === '/v1/provers/lease' ? { status: 204 } : { status: 200, body: {} };
    };
    server = createServer((req, res) => {
      if (req.method === 'POST') {
        let text = '';
        req.on('data', (chunk: Buffer) => (text += chunk.toString()));
        req.on('end', () => {
          const answer = proverApi(req.url!, text ? JSON.parse(text) : undefined);
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
        });
        return;
      }
      const name = req.url?.startsWith(`/v1/models/${MODEL_ID}/artifacts/`) ? req.url.split('/').pop()! : undefined;
      if (req.url === `/v1/models/${MODEL_ID}`) {
        const listing = Object.fromEntries(Object.entries(artifacts).map(([n, b]) => [n, { sha256: sha(b), bytes: b.length }]));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ modelId: MODEL_ID, name: 'tiny', active: true, artifacts: listing, manifest }));
      } else if (name && artifacts[name]) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(artifacts[name]);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await proverProcess.terminate();
    await releaseCurves();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** The job as this prover served it: its input and salts, and the commitments its single proof carried. */
  const served = (jobId: number, input: number[]): BatchProofJob => {
    const xq = quantizeInput(program, input);
    const evaluated = evaluateQuantized(program, xq);
    const [inputSalt, outputSalt] = [`${jobId}1`, `${jobId}2`];
    return {
      jobId: String(jobId),
      input,
      inputSalt,
      inputCommitment: inputCommitmentOf({ program }, input, inputSalt).toString(),
      outputSalt,
      outputCommitment: outputCommitmentOf(
        { program },
        { ...evaluated, integers: evaluated.output, salt: outputSalt },
      ).toString(),
    };
  };
  const request = (jobs: BatchProofJob[]): LeasedBatchProof => ({
    batchProofId: 'b1',
    modelId: MODEL_ID,
    batchSize: 2,
    giveUpAt: new Date(Date.now() + 600_000).toISOString(),
    jobs,
  });
  const cache = () => new ModelCache(new SequencerClient(url), join(dir, `cache-${Math.random()}`));

  it('proves the jobs it served, in order, under the batch key it fetched', async () => {
    const jobs = [served(11, [0.5, -0.25, 0.75, 0, -1]), served(12, [0.1, 0.2, 0.3, 0.4, 0.5])];
    const proved = await proveBatchRequest({ request: request(jobs), cache: cache(), prover, proverProcess });
    const expected = batchHash(
      jobs.map((j) => ({
        jobId: BigInt(j.jobId),
        prover: BigInt(prover),
        inputCommitment: BigInt(j.inputCommitment),
        outputCommitment: BigInt(j.outputCommitment),
      })),
    );
    expect(proved.publicSignals).toEqual([MODEL_ID, '2', expected.toString()]);
  });

  it('refuses jobs whose openings do not give the commitments the sequencer sent', async () => {
    const good = served(21, [0.5, 0.5, 0.5, 0.5, 0.5]);
    const otherOutput = { ...good, outputCommitment: served(21, [-0.5, 0.5, -0.5, 0.5, -0.5]).outputCommitment };
    await expect(proveBatchRequest({ request: request([otherOutput]), cache: cache(), prover, proverProcess })).rejects.toThrow(
      BatchProofRefusedError,
    );
    const otherInput = { ...good, inputCommitment: served(21, [0, 0, 0, 0, 0]).inputCommitment };
    await expect(
      proveBatchRequest({ request: request([good, otherInput]), cache: cache(), prover, proverProcess }),
    ).rejects.toMatchObject({ code: 'BATCH_PROOF_REFUSED' });
  });

  it('refuses a batch size the sequencer holds no batch key for, before any proving', async () => {
    await expect(
      proveBatchRequest({
        request: { ...request([served(31, [0, 0, 0, 0, 0])]), batchSize: 4 },
        cache: cache(),
        prover,
        proverProcess,
      }),
    ).rejects.toMatchObject({ code: 'ARTIFACT_NOT_AVAILABLE' });
  });

  it('refuses, before fetching anything, more jobs than slots, no job, or a request already given up', async () => {
    const one = served(35, [0, 0, 0, 0, 0]);
    for (const bad of [
      request([one, one, one]),
      request([]),
      { ...request([one]), giveUpAt: new Date(Date.now() - 1_000).toISOString() },
    ])
      await expect(proveBatchRequest({ request: bad, cache: cache(), prover, proverProcess })).rejects.toMatchObject({
        code: 'BATCH_PROOF_REFUSED',
      });
  });

  describe("ProverDaemon's batch loop", () => {
    let daemon: ProverDaemon;
    beforeEach(() => {
      calls = [];
      daemon = new ProverDaemon({
        sequencerUrl: url,
        privateKey: `0x${'42'.repeat(32)}`,
        cacheDir: join(dir, `daemon-cache-${Math.random()}`),
        pollIntervalMs: 50,
        batchPollIntervalMs: 20,
      });
    });
    afterEach(() => daemon.stop());
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
    };

    it('proves a leased request and submits it; returns one it refuses', async () => {
      const jobs = [served(41, [0.3, 0.3, -0.3, 0.3, 0.3])];
      const wrong = { ...served(42, [0.2, 0.1, 0, -0.1, -0.2]), outputCommitment: jobs[0]!.outputCommitment };
      offered = [
        { ...request(jobs), batchProofId: 'good' },
        { ...request([wrong]), batchProofId: 'wrong' },
      ];
      await daemon.start();
      await until(() => calls.some((c) => c.url === '/v1/provers/batch-proofs/wrong/return'));
      const batchCalls = calls.filter((c) => c.url.startsWith('/v1/provers/batch-proofs/') && !c.url.endsWith('/lease'));
      expect(batchCalls.map((c) => c.url)).toEqual([
        '/v1/provers/batch-proofs/good/result',
        '/v1/provers/batch-proofs/wrong/return',
      ]);
      expect((batchCalls[0]!.body as { publicSignals: string[] }).publicSignals.slice(0, 2)).toEqual([MODEL_ID, '1']);
      expect(daemon.provedBatches).toEqual([
        { batchProofId: 'good', modelId: MODEL_ID, count: 1, batchSize: 2, proveSeconds: expect.any(Number) as number },
      ]);
    });

    it('asks for no batch proofs when they are off', async () => {
      daemon = new ProverDaemon({ sequencerUrl: url, privateKey: `0x${'42'.repeat(32)}`, cacheDir: dir, batchProofs: false });
      await daemon.start();
      await until(() => calls.filter((c) => c.url === '/v1/provers/lease').length >= 2);
      expect(calls.some((c) => c.url.startsWith('/v1/provers/batch-proofs/'))).toBe(false);
    });
  });
});
