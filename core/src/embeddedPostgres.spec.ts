import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

import { startEmbeddedPostgres, type StartEmbeddedPostgresReturnType } from './embeddedPostgres';
import { EmbeddedDatabaseFailedError, EmbeddedDatabaseLockedError } from './errors/embeddedDatabase';
import { DATA_DIR_LOCK_FILE } from './lockDataDir';

/**
 * Real PGlite in temp directories. A fresh database costs seconds, so one is created for the whole suite and the
 * tests that need a restart restart that one (an existing database boots in about a second).
 */
describe('startEmbeddedPostgres', () => {
  let root: string;
  let dataDir: string;
  let db: StartEmbeddedPostgresReturnType;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'verity-embedded-pg-'));
    dataDir = join(root, 'db');
    db = await startEmbeddedPostgres({ dataDir });
  });

  afterAll(async () => {
    await db?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  const countNotes = () => withClient(async (c) => Number((await c.query('SELECT count(*) AS n FROM notes')).rows[0].n));

  it('serves pg clients over the URL: create, insert, select; ROLLBACK rolls back', async () => {
    expect(db.url).toBe(`postgres://postgres:postgres@127.0.0.1:${db.port}/postgres`);
    await withClient(async (c) => {
      await c.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
      await c.query('INSERT INTO notes (body) VALUES ($1), ($2)', ['first', 'second']);
      const { rows } = await c.query('SELECT body FROM notes ORDER BY id');
      expect(rows).toEqual([{ body: 'first' }, { body: 'second' }]);

      await c.query('BEGIN');
      await c.query("INSERT INTO notes (body) VALUES ('rolled back')");
      expect(Number((await c.query('SELECT count(*) AS n FROM notes')).rows[0].n)).toBe(3);
      await c.query('ROLLBACK');
    });
    expect(await countNotes()).toBe(2);
  });

  it('keeps the event loop responsive while a slow query runs in the worker', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const { rows } = await withClient((c) => c.query('SELECT sum(x) AS s FROM generate_series(1, 1000000) AS x'));
      expect(rows[0].s).toBe('500000500000');
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThanOrEqual(3);
  });

  it('refuses a second start on the same directory while the first runs', async () => {
    const second = startEmbeddedPostgres({ dataDir });
    await expect(second).rejects.toBeInstanceOf(EmbeddedDatabaseLockedError);
    await expect(second).rejects.toMatchObject({ code: 'EMBEDDED_DATABASE_LOCKED', pid: process.pid });
    expect(await countNotes()).toBe(2); // the first is untouched
  });

  it('refuses a startup packet without a user name, and keeps serving others', async () => {
    // PGlite itself would answer FATAL and be left broken for every later connection.
    const params = Buffer.from('database\0postgres\0\0');
    const packet = Buffer.alloc(8);
    packet.writeInt32BE(8 + params.length, 0);
    packet.writeInt32BE(196608, 4); // protocol 3.0
    const socket = connect(db.port, '127.0.0.1');
    try {
      socket.write(Buffer.concat([packet, params]));
      const [reply] = (await once(socket, 'data')) as [Buffer];
      expect(String.fromCharCode(reply[0] as number)).toBe('E'); // ErrorResponse
      expect(reply.toString('utf8')).toContain('no PostgreSQL user name specified in startup packet');
    } finally {
      socket.destroy();
    }
    expect(await countNotes()).toBe(2);
  });

  it('refuses a directory another live process holds, naming its pid', async () => {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const dir = join(root, 'held-elsewhere');
      mkdirSync(dir);
      writeFileSync(join(dir, DATA_DIR_LOCK_FILE), `${other.pid}\n`);
      await expect(startEmbeddedPostgres({ dataDir: dir })).rejects.toMatchObject({
        code: 'EMBEDDED_DATABASE_LOCKED',
        pid: other.pid,
      });
    } finally {
      other.kill();
    }
  });

  it('keeps its data across a restart; stop is idempotent and frees the directory', async () => {
    const first = db.stop();
    expect(db.stop()).toBe(first);
    await first;
    await db.stop();
    await expect(db.closed).resolves.toBeUndefined();
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);

    db = await startEmbeddedPostgres({ dataDir });
    expect(await countNotes()).toBe(2);
  });

  it('takes over a stale lock left by a dead process', async () => {
    await db.stop();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dataDir, DATA_DIR_LOCK_FILE), `${deadPid}\n`);

    db = await startEmbeddedPostgres({ dataDir });
    expect(await countNotes()).toBe(2);
  });

  it('fails to start on a taken port with a typed error, and frees the directory', async () => {
    await db.stop();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const failed = startEmbeddedPostgres({ dataDir, port });
      await expect(failed).rejects.toBeInstanceOf(EmbeddedDatabaseFailedError);
      await expect(failed).rejects.toMatchObject({
        code: 'EMBEDDED_DATABASE_FAILED',
        stage: 'start',
        cause: expect.objectContaining({ code: 'EADDRINUSE' }),
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  });
});

/**
 * A dying worker, without PGlite: the Worker class is swapped for one that runs a small script instead of
 * embeddedPostgresWorker.js, speaking the same protocol.
 */
describe('startEmbeddedPostgres when its worker dies', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'verity-embedded-pg-crash-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  function withWorkerScript(script: string): typeof startEmbeddedPostgres {
    let start!: typeof startEmbeddedPostgres;
    jest.isolateModules(() => {
      jest.doMock('node:worker_threads', () => {
        const actual = jest.requireActual<typeof import('node:worker_threads')>('node:worker_threads');
        class ScriptWorker extends actual.Worker {
          constructor(_file: string, options: import('node:worker_threads').WorkerOptions) {
            super(script, { ...options, eval: true });
          }
        }
        return { ...actual, Worker: ScriptWorker };
      });
      ({ startEmbeddedPostgres: start } = jest.requireActual<typeof import('./embeddedPostgres')>('./embeddedPostgres'));
    });
    return start;
  }

  it('rejects `closed` with a typed error when the worker crashes, and frees the directory', async () => {
    const start = withWorkerScript(`
      const { parentPort } = require('node:worker_threads');
      parentPort.postMessage({ type: 'ready', port: 1 });
      parentPort.on('message', () => {});
      setTimeout(() => { throw new Error('wasm trap'); }, 50);
    `);
    const db = await start({ dataDir });
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(true);

    await expect(db.closed).rejects.toMatchObject({
      code: 'EMBEDDED_DATABASE_FAILED',
      stage: 'run',
      cause: expect.objectContaining({ message: 'wasm trap' }),
    });
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
    await expect(db.stop()).resolves.toBeUndefined(); // nothing left to stop
  });

  it('rejects the start with a typed error when the worker fails before it is ready', async () => {
    const start = withWorkerScript(`throw new Error('cannot load PGlite');`);
    await expect(start({ dataDir })).rejects.toMatchObject({
      code: 'EMBEDDED_DATABASE_FAILED',
      stage: 'start',
      cause: expect.objectContaining({ message: 'cannot load PGlite' }),
    });
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  });

  it('rejects stop() when the database does not close cleanly', async () => {
    const start = withWorkerScript(`
      const { parentPort } = require('node:worker_threads');
      parentPort.postMessage({ type: 'ready', port: 1 });
      parentPort.on('message', () => {
        parentPort.postMessage({ type: 'failed', error: { name: 'Error', message: 'close failed' } });
        process.exit(1);
      });
    `);
    const db = await start({ dataDir });
    await expect(db.stop()).rejects.toMatchObject({ code: 'EMBEDDED_DATABASE_FAILED', stage: 'stop' });
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  });
});
