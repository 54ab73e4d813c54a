/**
 * npm run bench:market — the market service under load, on the devnet:
 * - intake: signed job requests per second and their p50 / p99 latency, sent by autocannon from a separate process
 *   (test/bench/loadGenerator.js) at each level of CONNECTIONS, each request a distinct valid signed job; on the
 *   local PostgreSQL and on the embedded PGlite (batchers off: intake alone);
 * - latency of a job from submission to proven and to released (batchers on, one prover, relayer running);
 * - jobs per minute one prover sustains, per reference model (every model whose setup is cached).
 * Prints one JSON line, then a table. BENCH_REQUESTS (default 4000), BENCH_WARMUP (default 500, sent first and not
 * measured) and BENCH_CONNECTIONS (concurrency levels, default 16,20,32, each measured) tune the load;
 * BENCH_INTAKE_ONLY=1 measures the intake alone (no latency or prover throughput).
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { Contract, NonceManager, Wallet, parseUnits } from 'ethers';
import { DataSource } from 'typeorm';

import {
  COMMIT_DOMAIN,
  commitVector,
  compileModel,
  loadMnist,
  quantizeInput,
  randomSalt,
  REFERENCE_MODELS,
  referenceCompileParameters,
  releaseCurves,
  setupModel,
  sharedProver,
  type CompiledModel,
} from '@verity/circuits';
import { InferenceMarket__factory, JOB_REQUEST_TYPES, marketDomain } from '@verity/contracts';
import { startEmbeddedPostgres } from '@verity/core';
import { ProverDaemon } from '@verity/prover';
import { devnetRoleKey } from '@verity/rollup';
import { startTestDevnet, type TestDevnet } from '../helpers/devnet';
import { bridgeVty, publishModel, signJob, stakeProver, startTestSequencer, type TestSequencer } from '../helpers/market';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
/**
 * Concurrency levels, each measured on its own: with a closed loop of C connections the mean latency is C / throughput
 * (Little's law), so one level alone cannot show both the throughput and the latency a sequencer can sustain.
 */
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '16,20,32').split(',').map(Number);
/** The intake target on 2 cores, PostgreSQL: at least this many accepted requests per second at this p99. */
const TARGET = { requestsPerSecond: 1000, p99: 50 };
const REQUESTERS = 64;
const INTAKE_ONLY = process.env.BENCH_INTAKE_ONLY === '1';
/** Requests sent before each intake measurement, not measured. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);

type Load = {
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  accepted: number;
  non2xx: number;
  seconds: number;
};

/** REQUESTERS fresh wallets with prepaid market balances (alice pays, through depositFor). */
async function fundRequesters(devnet: TestDevnet): Promise<Wallet[]> {
  const wallets = Array.from({ length: REQUESTERS }, () => Wallet.createRandom() as unknown as Wallet);
  await bridgeVty(devnet, 'alice', parseUnits('100', 18));
  const alice = new NonceManager(new Wallet(devnetRoleKey('alice'), devnet.l2Provider));
  const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, alice);
  const token = new Contract(devnet.deployment.tokens.VTY!.l2, ['function approve(address,uint256) returns (bool)'], alice);
  await (await token.getFunction('approve')(await market.getAddress(), parseUnits('100', 18))).wait();
  for (const w of wallets) await (await market.depositFor(w.address, parseUnits('1', 18))).wait();
  return wallets;
}

/** Distinct signed iris jobs, one JSON body per line: what the load generator sends. */
async function signBodies(
  devnet: TestDevnet,
  model: CompiledModel,
  wallets: Wallet[],
  count: number,
  firstNonce: number,
): Promise<string> {
  const domain = marketDomain(devnet.deployment.l2.chainId, devnet.deployment.verity!.l2.InferenceMarket);
  const input = [5.1, 3.5, 1.4, 0.2];
  const xq = quantizeInput(model.program, input);
  const deadline = Math.floor(Date.now() / 1000) + 7200;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const wallet = wallets[i % wallets.length]!;
    const salt = randomSalt();
    const request = {
      modelId: BigInt(model.manifest.modelId),
      inputCommitment: commitVector(xq, model.program.inputBits, COMMIT_DOMAIN.input, BigInt(salt)),
      reward: 1000n,
      maxFee: 100n,
      deadline: BigInt(deadline),
      nonce: BigInt(firstNonce + i),
    };
    const signature = await wallet.signTypedData(domain, JOB_REQUEST_TYPES as never, request);
    lines.push(
      JSON.stringify({
        request: {
          ...Object.fromEntries(Object.entries(request).map(([k, v]) => [k, v.toString()])),
          deadline,
          requester: wallet.address,
        },
        signature,
        input,
        inputSalt: salt,
      }),
    );
  }
  const file = join(mkdtempSync(join(tmpdir(), 'verity-load-')), 'bodies.jsonl');
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** The first `count` lines of a bodies file into one file, the rest into another (beside it). */
function splitBodies(file: string, count: number): [string, string] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const [first, rest] = [join(file, '..', 'warmup.jsonl'), join(file, '..', 'measured.jsonl')];
  writeFileSync(first, lines.slice(0, count).join('\n'));
  writeFileSync(rest, lines.slice(count).join('\n'));
  return [first, rest];
}

async function load(url: string, bodiesFile: string, connections: number): Promise<Load> {
  const child = fork(join(__dirname, 'loadGenerator.js'), [url, bodiesFile, String(connections)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const r = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    duration: number;
    statusCodeStats: Record<string, { count: number }>;
    non2xx: number;
    elapsedMs: number;
  };
  return {
    connections,
    requestsPerSecond: Math.round(r.requests.total / (r.elapsedMs / 1000)),
    p50: r.latency.p50,
    p99: r.latency.p99,
    accepted: r.statusCodeStats['202']?.count ?? 0,
    non2xx: r.non2xx,
    seconds: Number((r.elapsedMs / 1000).toFixed(2)),
  };
}

async function intake(
  devnet: TestDevnet,
  model: CompiledModel,
  wallets: Wallet[],
  databaseUrl?: string,
  poolSize?: number,
): Promise<Load[]> {
  const env: Record<string, string> = { SEQUENCER_WORKERS: 'off', SEQUENCER_LEADER_ELECTION: poolSize === 1 ? 'off' : 'on' };
  if (poolSize) env.SEQUENCER_DATABASE_POOL_SIZE = String(poolSize);
  const sequencer = await startTestSequencer(devnet, env, databaseUrl);
  try {
    await publishModel(devnet, sequencer.url, model);
    const results: Load[] = [];
    for (const [level, connections] of CONNECTIONS.entries()) {
      // Nonces never repeat: each level signs its own requests.
      const bodies = await signBodies(devnet, model, wallets, WARMUP + REQUESTS, level * (WARMUP + REQUESTS));
      const [warmup, measured] = splitBodies(bodies, WARMUP);
      // Steady state: the first requests pay one-time costs (JIT, the WebAssembly Poseidon build, the first balance
      // and fee reads), which would otherwise fill the p99 of a few thousand requests.
      await load(sequencer.url, warmup, connections);
      results.push(await load(sequencer.url, measured, connections));
      rmSync(join(bodies, '..'), { recursive: true, force: true });
    }
    return results;
  } finally {
    await sequencer.app.close();
    if (!poolSize || poolSize > 1) await sequencer.stop().catch(() => undefined);
  }
}

async function loadModels(): Promise<CompiledModel[]> {
  const models: CompiledModel[] = [];
  for (const name of Object.keys(REFERENCE_MODELS)) {
    const spec = REFERENCE_MODELS[name]!;
    const model = await compileModel(referenceCompileParameters(spec));
    if (!existsSync(model.paths.zkey) && name !== 'iris-mlp') continue;
    await setupModel({ model });
    models.push(model);
  }
  return models;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const models = await loadModels();
  const iris = models[0]!;
  const devnet = await startTestDevnet();
  const result: Record<string, unknown> = {
    machine: `${cpus().length} cores, ${cpus()[0]?.model ?? ''}`.trim(),
    requests: REQUESTS,
    connections: CONNECTIONS,
  };
  try {
    const wallets = await fundRequesters(devnet);
    process.stderr.write('intake on PostgreSQL…\n');
    const onPostgres = await intake(devnet, iris, wallets);
    result.intakePostgres = onPostgres;
    result.intakeTarget = {
      ...TARGET,
      met: onPostgres.some((l) => l.requestsPerSecond >= TARGET.requestsPerSecond && l.p99 <= TARGET.p99),
    };
    process.stderr.write('intake on the embedded PGlite…\n');
    const dir = mkdtempSync(join(tmpdir(), 'verity-pglite-'));
    const embedded = await startEmbeddedPostgres({ dataDir: dir });
    try {
      // A second run signs new nonces: a fresh set of requesters keeps them unique.
      result.intakeEmbedded = await intake(devnet, iris, await fundRequesters(devnet), embedded.url, 1);
    } finally {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    }

    if (!INTAKE_ONLY) {
      process.stderr.write('latency and prover throughput…\n');
      const sequencer: TestSequencer = await startTestSequencer(devnet, {
        SEQUENCER_WORKERS: 'on',
        SEQUENCER_POLL_INTERVAL_MS: '50',
        SEQUENCER_OPEN_BATCH_AGE_MS: '250',
        SEQUENCER_SETTLE_BATCH_AGE_MS: '2000',
      });
      devnet.relayer.start();
      try {
        for (const m of models) await publishModel(devnet, sequencer.url, m);
        await bridgeVty(devnet, 'prover', parseUnits('200', 18));
        await stakeProver(devnet, 'prover', parseUnits('100', 18));
        await bridgeVty(devnet, 'bob', parseUnits('200', 18));
        const bob = new NonceManager(new Wallet(devnetRoleKey('bob'), devnet.l2Provider));
        const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, bob);
        const token = new Contract(devnet.deployment.tokens.VTY!.l2, ['function approve(address,uint256) returns (bool)'], bob);
        await (await token.getFunction('approve')(await market.getAddress(), parseUnits('150', 18))).wait();
        await (await market.deposit(parseUnits('150', 18))).wait();
        const db = sequencer.app.get(DataSource);
        const digits = loadMnist().filter((s) => s.test);
        const perModel: Record<
          string,
          { jobs: number; jobsPerMinute: number; proveSeconds: number; toProvenSeconds: number; toReleasedSeconds: number }
        > = {};
        for (const m of models) {
          const jobs = m.manifest.name === 'iris-mlp' ? 12 : m.manifest.name === 'mnist-mlp' ? 8 : 4;
          const daemon = new ProverDaemon({
            sequencerUrl: sequencer.url,
            privateKey: devnetRoleKey('prover'),
            cacheDir: mkdtempSync(join(tmpdir(), 'bench-cache-')),
            pollIntervalMs: 20,
          });
          await daemon.start();
          // Warm-up: the first job loads the model and starts the prover process.
          const ids: string[] = [];
          const submit = async (i: number) => {
            const input =
              m.manifest.name === 'iris-mlp' ? [5.1 + (i % 5) / 10, 3.5, 1.4, 0.2] : Array.from(digits[i % digits.length]!.x);
            const signed = await signJob(devnet, m, 'bob', input, {
              reward: parseUnits('0.1', 18),
              maxFee: parseUnits('0.01', 18),
            });
            const res = await fetch(`${sequencer.url}/v1/jobs`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(signed.body),
            });
            if (res.status !== 202) throw new Error(`refused: ${await res.text()}`);
            return ((await res.json()) as { jobId: string }).jobId;
          };
          const warm = await submit(9999);
          while (!daemon.proved.some((p) => p.jobId === warm)) await new Promise((r) => setTimeout(r, 50));
          const started = Date.now();
          for (let i = 0; i < jobs; i++) ids.push(await submit(i));
          while (ids.some((id) => !daemon.proved.find((p) => p.jobId === id))) await new Promise((r) => setTimeout(r, 50));
          const wall = (Date.now() - started) / 1000;
          // Every job to released, then read each one's timeline.
          for (;;) {
            const { n } = (
              (await db.query(`SELECT count(*)::int AS n FROM jobs WHERE job_id = ANY($1) AND status = 'released'`, [ids])) as {
                n: number;
              }[]
            )[0]!;
            if (n === ids.length) break;
            await new Promise((r) => setTimeout(r, 200));
          }
          const times = (await db.query(
            `SELECT j.job_id, extract(epoch from min(e.created_at) FILTER (WHERE e.status = 'proven') - j.created_at) AS proven,
                    extract(epoch from min(e.created_at) FILTER (WHERE e.status = 'released') - j.created_at) AS released
             FROM jobs j JOIN job_events e ON e.job_id = j.job_id WHERE j.job_id = ANY($1) GROUP BY j.job_id, j.created_at`,
            [ids],
          )) as { proven: string; released: string }[];
          perModel[m.manifest.name] = {
            jobs,
            jobsPerMinute: Number(((jobs / wall) * 60).toFixed(1)),
            proveSeconds: Number(
              median(daemon.proved.filter((p) => ids.includes(p.jobId)).map((p) => p.proveSeconds)).toFixed(2),
            ),
            toProvenSeconds: Number(median(times.map((t) => Number(t.proven))).toFixed(2)),
            toReleasedSeconds: Number(median(times.map((t) => Number(t.released))).toFixed(2)),
          };
          await daemon.stop();
        }
        result.perModel = perModel;
      } finally {
        await devnet.relayer.stop();
        await sequencer.stop();
      }
    }

    process.stdout.write(JSON.stringify(result) + '\n\n');
    const rows: [string, string][] = [];
    for (const [key, label] of [
      ['intakePostgres', 'intake, PostgreSQL'],
      ['intakeEmbedded', 'intake, embedded PGlite'],
    ] as const) {
      for (const l of result[key] as Load[])
        rows.push([
          `${label}, ${l.connections} conn.`,
          `${l.requestsPerSecond} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms (${l.accepted} accepted, ${l.non2xx} refused)`,
        ]);
    }
    const target = result.intakeTarget as typeof TARGET & { met: boolean };
    rows.push([
      'intake target',
      `≥ ${target.requestsPerSecond} req/s at p99 ≤ ${target.p99} ms on PostgreSQL: ${target.met ? 'met' : 'NOT met'}`,
    ]);
    for (const [name, m] of Object.entries((result.perModel ?? {}) as Record<string, Record<string, number>>))
      rows.push([
        `${name}, one prover`,
        `${m.jobsPerMinute} jobs/min (prove ${m.proveSeconds} s); submit→proven ${m.toProvenSeconds} s, submit→released ${m.toReleasedSeconds} s`,
      ]);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  } finally {
    await devnet.stop();
    await sharedProver().terminate();
    await releaseCurves();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
