import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

import { InvalidArgumentError } from './errors/base';
import { EmbeddedDatabaseFailedError, EmbeddedDatabaseLockedError } from './errors/embeddedDatabase';
import { lockDataDir } from './lockDataDir';
import { createLogger, type Logger } from './logger';

export type StartEmbeddedPostgresParameters = {
  /** Where the database lives; created when missing. */
  dataDir: string;
  /** The interface to listen on. Default 127.0.0.1: there is no authentication (see below). */
  host?: string;
  /** Default 0: a free port the OS picks (read it from the result). */
  port?: number;
};

export type StartEmbeddedPostgresReturnType = {
  /** `postgres://…` for any `pg` client or TypeORM's postgres driver; it carries no secret. */
  url: string;
  port: number;
  /**
   * Closes the server, the database and the worker, then releases the data directory. Idempotent (every call returns
   * the same promise); resolves at once after a crash. Rejects with EmbeddedDatabaseFailedError (stage 'stop') when
   * the database did not close cleanly; the lock is released either way.
   */
  stop: () => Promise<void>;
  /**
   * Settles when the database is gone: resolves after a clean stop(), rejects with EmbeddedDatabaseFailedError when
   * the worker died on its own (stage 'run') or failed to stop. Awaiting it is optional: an unawaited rejection is
   * never reported as unhandled, and a crash is also logged at error.
   */
  closed: Promise<void>;
};

export type StartEmbeddedPostgresErrorType = EmbeddedDatabaseLockedError | EmbeddedDatabaseFailedError | InvalidArgumentError;

/** PGlite's whole connection limit: one client pool of size 1 plus a short-lived admin client (ensureDatabase). */
const MAX_CONNECTIONS = 2;
/** A stop waits for the running query; after this long the worker is terminated (WAL recovery on the next start). */
const STOP_TIMEOUT_MS = 30_000;
const WORKER_FILE = join(__dirname, 'embeddedPostgresWorker.js');

type SerializedError = { name: string; message: string; stack?: string; code?: string };
type WorkerMessage = { type: 'ready'; port: number } | { type: 'failed'; error: SerializedError } | { type: 'stopped' };

/**
 * Starts an embedded PostgreSQL (PGlite, PostgreSQL 18 in WebAssembly) on `dataDir`, served over the PostgreSQL wire
 * protocol on 127.0.0.1, for `npm start` on a machine without a PostgreSQL server. CI and tests use a real server.
 *
 * - PGlite runs in a worker thread: its queries run synchronously in WebAssembly and would block the host's event loop.
 * - The data directory is locked (a pid file inside it): a second start on the same directory, in this process or
 *   another, throws EmbeddedDatabaseLockedError naming the holder's pid; a lock whose process is gone is taken over.
 * - A fresh directory takes ~5 s and ~800 MB of memory to initialise (logged at info); an existing one ~1 s.
 *
 * It is one PostgreSQL session behind a multiplexer, not a server with a backend per connection. Clients must hold
 * a single connection: TypeORM `poolSize: 1, extra: { idleTimeoutMillis: 0 }` (the one connection stays open), with
 * `uuidExtension: 'pgcrypto', installExtensions: false`. The server accepts 2 connections and refuses more. Because
 * every connection shares the session: `SET` and advisory locks leak from one connection to the others, a second
 * connection waits (even to connect) while the first is inside a transaction, and `SKIP LOCKED` waits instead of
 * skipping. Startup parameters are ignored: any user or database name lands in `postgres` as `postgres`, and
 * `options` (e.g. `-c statement_timeout=…`) has no effect. No password is checked, hence the loopback default.
 *
 * @example
 * const db = await startEmbeddedPostgres({ dataDir: '.verity/postgres' });
 * const dataSource = new DataSource({ type: 'postgres', url: db.url, poolSize: 1, extra: { idleTimeoutMillis: 0 } });
 * // …
 * await db.stop();
 */
export async function startEmbeddedPostgres(
  parameters: StartEmbeddedPostgresParameters,
): Promise<StartEmbeddedPostgresReturnType> {
  // Made here, not at import: a logger made before the process configures logging would pin it to silent.
  const log = createLogger('EmbeddedPostgres');
  const dataDir = resolve(parameters.dataDir);
  const host = parameters.host ?? '127.0.0.1';
  const requestedPort = parameters.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535)
    throw new InvalidArgumentError(`invalid port for the embedded database: ${requestedPort}`);

  let lock: ReturnType<typeof lockDataDir>;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    lock = lockDataDir({ dataDir });
  } catch (err) {
    if (err instanceof EmbeddedDatabaseLockedError) throw err;
    throw new EmbeddedDatabaseFailedError({ dataDir, stage: 'start' }, { cause: err }); // e.g. no permission
  }
  if (lock.tookOverPid !== undefined) log.warn({ dataDir, pid: lock.tookOverPid }, 'stale lock taken over');
  let lockReleased = false;
  const releaseLock = () => {
    if (lockReleased) return;
    lockReleased = true;
    try {
      lock.release();
    } catch (err) {
      // Runs inside worker event handlers, where a throw would kill the host: report and carry on.
      log.error({ dataDir, lockFile: lock.lockFile, err }, 'lock file not released');
    }
  };

  // PGlite decides the same way: no PG_VERSION, no database (it runs initdb).
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) log.info({ dataDir }, 'creating a new embedded database');
  const startedAt = performance.now();

  let worker: Worker;
  try {
    worker = new Worker(WORKER_FILE, {
      workerData: { dataDir, host, port: requestedPort, maxConnections: MAX_CONNECTIONS },
      // Captured so PGlite's own prints never land on the host's stdout (a CLI's stdout carries only its output).
      stdout: true,
      stderr: true,
    });
  } catch (err) {
    releaseLock();
    throw new EmbeddedDatabaseFailedError({ dataDir, stage: 'start' }, { cause: err });
  }
  forwardLines(worker.stdout, 'stdout', log);
  forwardLines(worker.stderr, 'stderr', log);

  let state: 'starting' | 'running' | 'stopping' | 'exited' = 'starting';
  let reported: Error | undefined; // the last error the worker reported, the cause of whatever ends it
  let stopTimedOut = false;
  let settleReady!: { resolve: (port: number) => void; reject: (err: Error) => void };
  const ready = new Promise<number>((resolve, reject) => (settleReady = { resolve, reject }));
  let settleClosed!: { resolve: () => void; reject: (err: Error) => void };
  const closed = new Promise<void>((resolve, reject) => (settleClosed = { resolve, reject }));
  closed.catch(() => undefined); // awaiting `closed` is optional; see its doc

  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'ready' && state === 'starting') {
      state = 'running';
      settleReady.resolve(message.port);
    } else if (message.type === 'failed') {
      reported = toError(message.error);
    }
  });
  // Always listened to: a Worker's 'error' without a listener is thrown in the host. 'exit' follows it.
  worker.on('error', (err) => {
    reported = err;
  });
  worker.on('exit', (code) => {
    const was = state;
    state = 'exited';
    releaseLock();
    const cause = reported ?? new Error(`embedded database worker exited with code ${code}`);
    if (was === 'starting') {
      settleReady.reject(new EmbeddedDatabaseFailedError({ dataDir, stage: 'start' }, { cause }));
      settleClosed.resolve();
    } else if (was === 'running') {
      const err = new EmbeddedDatabaseFailedError({ dataDir, stage: 'run' }, { cause });
      log.error({ dataDir, err }, 'embedded database crashed');
      settleClosed.reject(err);
    } else if (code === 0 && !reported) {
      log.info({ dataDir }, 'embedded database stopped');
      settleClosed.resolve();
    } else {
      const details = stopTimedOut ? `did not stop within ${STOP_TIMEOUT_MS / 1000} s and was terminated` : undefined;
      settleClosed.reject(new EmbeddedDatabaseFailedError({ dataDir, stage: 'stop' }, { cause, details }));
    }
  });

  const port = await ready;
  log.info({ dataDir, port, fresh, ms: Math.round(performance.now() - startedAt) }, 'embedded database started');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (state !== 'running') return; // crashed already: nothing left to close, the lock is released
      state = 'stopping';
      worker.postMessage({ type: 'stop' });
      const timer = setTimeout(() => {
        stopTimedOut = true;
        log.warn({ dataDir }, 'embedded database stop timed out, terminating');
        void worker.terminate();
      }, STOP_TIMEOUT_MS);
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    })());

  return { url: `postgres://postgres:postgres@${urlHost(host)}:${port}/postgres`, port, stop, closed };
}

/** Logs the worker's output line by line at debug: PGlite prints little, and nothing a user must act on. */
function forwardLines(stream: Readable, name: 'stdout' | 'stderr', log: Logger): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => log.debug({ stream: name, line }, 'pglite'));
}

/** A wildcard address is not one to connect to; IPv6 literals need brackets in a URL. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function toError({ name, message, stack, code }: SerializedError): Error {
  return Object.assign(new Error(message), { name, stack, code });
}
