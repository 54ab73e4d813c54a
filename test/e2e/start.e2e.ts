import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'pg';

import { dropDatabase, ensureDatabase } from '@verity/core';
import { freePort } from '@verity/rollup';
import { expectOneLineError, verity } from '../helpers/cli';
import { TEST_POSTGRES } from '../helpers/devnet';

const ROOT = join(__dirname, '..', '..');

/**
 * `verity start` (what `npm start` runs) as a user runs it: the whole stack boots, the demo job goes from request
 * to reward and the reward back to L1; then, against the running stack, the requester's CLI (`job submit|get|
 * watch|verify`, `market balance`) and a clean stop on SIGTERM. Real PostgreSQL (CI's), iris-mlp only (its setup is
 * cached by the other suites).
 */
describe('verity start and the requester CLI', () => {
  let home: string;
  let child: ChildProcess;
  let output = '';
  let env: NodeJS.ProcessEnv;
  const databaseUrl = `${TEST_POSTGRES}/verity_start_${process.pid}`;

  beforeAll(async () => {
    // What an earlier `verity start` leaves behind: state about chains that no longer exist (its sequencer signed
    // at nonces the new devnet never reaches, so the demo's first transaction waited forever). It must be gone.
    await ensureDatabase(databaseUrl);
    const stale = new Client({ connectionString: databaseUrl });
    await stale.connect();
    await stale.query('CREATE TABLE left_by_an_earlier_devnet (nonce int); INSERT INTO left_by_an_earlier_devnet VALUES (7)');
    await stale.end();
    home = mkdtempSync(join(tmpdir(), 'verity-start-'));
    const port = await freePort();
    env = {
      ...process.env,
      DEVNET_L1_PORT: '0',
      DEVNET_L2_PORT: '0',
      DEVNET_DIR: join(home, 'devnet'),
      VERITY_HOME: join(home, 'home'),
      VERITY_SEQUENCER_URL: `http://127.0.0.1:${port}`,
      BRIDGE_DEPLOYMENT_FILE: join(home, 'devnet', 'addresses.json'),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
    };
    child = spawn(process.execPath, [join(ROOT, 'bin', 'verity'), 'start', '--models', 'iris-mlp', '--port', String(port)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 400_000;
    while (!/demo done/.test(output)) {
      if (child.exitCode !== null) throw new Error(`verity start exited early (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`no "demo done" within the time limit:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 420_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await dropDatabase(databaseUrl).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it('started from an empty database: nothing of an earlier devnet survives', async () => {
    expect(output).toMatch(/emptied for the new devnet/);
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'left_by_an_earlier_devnet'`,
      );
      expect(rows[0]!.n).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('ran the demo job from request to reward, with its transactions, and withdrew the reward', () => {
    for (const step of [
      /✔ iris-mlp registered on L1 \(tx 0x[0-9a-f]{64}/,
      /✔ staked \d+ wei in ProverRegistry/,
      /• opened on L2: reward \+ fee moved into escrow \(tx 0x[0-9a-f]{64}\)/,
      /• proven: proof and opening verified by the sequencer/,
      /• settled on L1: the batch’s proofs verified in one pairing check \(tx 0x[0-9a-f]{64}, L1 batch \d+\)/,
      /✔ released on L2: the prover is paid \(tx 0x[0-9a-f]{64}\)/,
      /✔ alice verified the result locally against the key registered on L1: class 2/,
      /✔ the prover earned 1 VTY on L2/,
      /✔ finalized on L1 \(tx 0x[0-9a-f]{64}/,
    ])
      expect(output).toMatch(step);
  });

  it('serves the requester CLI: submit, watch, get, verify, balance', async () => {
    const submitted = await verity(
      ['job', 'submit', '--model', 'iris-mlp', '--input', '[5.1,3.5,1.4,0.2]', '--account', 'alice'],
      env,
    );
    expect(submitted.stderr).toBe('');
    const jobId = /job (\d+) accepted/.exec(submitted.stdout)?.[1];
    expect(jobId).toBeDefined();
    const watched = await verity(['job', 'watch', jobId!], env, 180_000);
    expect(watched.stdout).toMatch(/released/);
    expect((await verity(['job', 'get', jobId!], env)).stdout).toMatch(/status\s+released[\s\S]*argmax\s+0/);
    const verified = await verity(['job', 'verify', jobId!], env);
    expect(verified.stdout).toMatch(/✔ job \d+: the proof verifies against the key registered on L1 for iris-mlp/);
    expect(verified.stdout).toMatch(/input\s+opens the committed input/);
    expect((await verity(['market', 'balance', '--account', 'alice'], env)).stdout).toMatch(/prepaid 7\.98 VTY/);
  }, 240_000);

  it('refuses bad requester input with one line', async () => {
    expectOneLineError(
      await verity(['job', 'submit', '--model', 'resnet', '--input', '[1]', '--account', 'alice'], env),
      /serves no model 'resnet'/,
    );
    expectOneLineError(
      await verity(['job', 'submit', '--model', 'iris-mlp', '--input', '[1,2,3,99]', '--account', 'alice'], env),
      /input\[3\] = 99 is outside the model's input range \[-8, 8\]/,
    );
    expectOneLineError(
      await verity(
        ['job', 'submit', '--model', 'iris-mlp', '--input', '[1,2,3,4]', '--account', 'alice', '--reward', '1000'],
        env,
      ),
      /INSUFFICIENT_BALANCE|prepaid market balance/,
    );
    expectOneLineError(await verity(['job', 'get', 'abc'], env), /job id 'abc' must be a decimal integer/);
    expectOneLineError(await verity(['job', 'get', '12345'], env), /no job 12345/);
    expectOneLineError(
      await verity(['market', 'deposit', '--amount', '100000', '--account', 'alice'], env),
      /not enough VTY on L2/,
    );
  }, 120_000);

  it('`npm run start:sequencer` stops its service on SIGTERM (npm hands the signal to the process it runs)', async () => {
    const port = await freePort();
    const db = `${TEST_POSTGRES}/verity_sigterm_${process.pid}`;
    const npm = spawn('npm', ['run', '--silent', 'start:sequencer'], {
      cwd: ROOT,
      env: {
        ...process.env,
        SEQUENCER_PORT: String(port),
        SEQUENCER_WORKERS: 'off',
        SEQUENCER_DATABASE_URL: db,
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    try {
      const deadline = Date.now() + 90_000;
      while (!(await fetch(`http://127.0.0.1:${port}/v1/models`).catch(() => undefined))?.ok) {
        if (Date.now() > deadline) throw new Error('the sequencer did not start');
        await new Promise((r) => setTimeout(r, 300));
      }
      npm.kill('SIGTERM');
      await new Promise((r) => npm.once('exit', r));
      // Nothing answers on the port any more: the service itself stopped, not only npm.
      await new Promise((r) => setTimeout(r, 1000));
      await expect(fetch(`http://127.0.0.1:${port}/v1/models`)).rejects.toThrow();
    } finally {
      npm.kill('SIGKILL');
      await dropDatabase(db).catch(() => undefined);
    }
  }, 120_000);

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
  }, 60_000);
});
