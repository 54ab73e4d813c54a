// @ts-check
'use strict';
/**
 * The worker thread behind startEmbeddedPostgres (embeddedPostgres.ts): PGlite on the data directory, served on the
 * PostgreSQL wire protocol by pglite-socket. PGlite runs queries synchronously in WebAssembly, so this thread is
 * the one that blocks while a query runs; the host's event loop stays free.
 *
 * Plain CommonJS rather than TypeScript: a worker thread starts a fresh Node with none of the host's loaders (SWC
 * under `npm start`, Jest's transform under test), so it must be a file Node runs as it is.
 *
 * Protocol, one message at a time:
 *   host → worker  { type: 'stop' }
 *   worker → host  { type: 'ready', port }   listening; the host hands out the URL
 *                  { type: 'failed', error }  could not start or stop ({ name, message, stack, code })
 *                  { type: 'stopped' }        server, database closed; the thread exits next
 * Anything thrown outside these steps is left uncaught on purpose: the host sees it as the worker's 'error' event.
 */
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require('@electric-sql/pglite');
const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');

/** @typedef {{ dataDir: string, host: string, port: number, maxConnections: number }} EmbeddedPostgresWorkerData */

/** @param {unknown} err */
function serializeError(err) {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = /** @type {{ code?: unknown }} */ (err).code;
  return { name: err.name, message: err.message, stack: err.stack, code: typeof code === 'string' ? code : undefined };
}

/**
 * Two guards around the call pglite-socket 0.2.17 makes for every wire message, `execProtocolRawStream`:
 * - A startup packet without a user name makes PGlite answer FATAL and leaves its WebAssembly state broken (every
 *   later connection traps). Such a packet is answered here with the same FATAL, and PGlite never sees it.
 * - When the call throws, the socket server's query queue stops for good (it rejects that message and returns
 *   without clearing its "processing" flag): every later message on every connection hangs, silently. A throw means
 *   PGlite is in an unknown state anyway, so it is rethrown uncaught: the thread ends and the host reports a crash.
 * @param {InstanceType<typeof PGlite>} db
 */
function guardProtocol(db) {
  const execProtocolRawStream = db.execProtocolRawStream.bind(db);
  db.execProtocolRawStream = async (message, options) => {
    if (isStartupPacket(message) && !startupUser(message)) {
      options.onRawData(fatalErrorResponse('no PostgreSQL user name specified in startup packet'));
      return;
    }
    try {
      return await execProtocolRawStream(message, options);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
      throw err;
    }
  };
}

/**
 * Startup packets carry no type byte: int32 length (high byte 0, the test PGlite itself uses), protocol version
 * 3.x (major in the high 16 bits), then name/value C strings. SSL and cancel requests never get here (pglite-socket
 * consumes them); a GSSAPI encryption request (version 1234.5680) is left to PGlite.
 * @param {Uint8Array} message
 */
function isStartupPacket(message) {
  return message.length >= 8 && message[0] === 0 && Buffer.from(message).readUInt16BE(4) === 3;
}

/** @param {Uint8Array} message */
function startupUser(message) {
  const strings = Buffer.from(message).subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < strings.length; i += 2) if (strings[i] === 'user') return strings[i + 1];
  return undefined;
}

/**
 * A wire-protocol ErrorResponse: 'E', int32 length, then (field type, C string) pairs and a terminating 0.
 * @param {string} text
 */
function fatalErrorResponse(text) {
  const fields = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', '08P01'], // protocol_violation
    ['M', text],
  ];
  const body = Buffer.concat([
    ...fields.map(([type, value]) => Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(`${value}\0`, 'utf8')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0, 'ascii');
  header.writeInt32BE(4 + body.length, 1);
  return new Uint8Array(Buffer.concat([header, body]));
}

async function main() {
  if (!parentPort) throw new Error('embeddedPostgresWorker.js runs only as a worker thread');
  const port = parentPort;
  const data = /** @type {EmbeddedPostgresWorkerData} */ (workerData);

  const db = await PGlite.create({ dataDir: data.dataDir });
  guardProtocol(db);
  const server = new PGLiteSocketServer({
    db,
    host: data.host,
    port: data.port,
    maxConnections: data.maxConnections,
  });
  let listeningPort = data.port;
  server.addEventListener('listening', (event) => {
    listeningPort = /** @type {CustomEvent<{ port: number }>} */ (event).detail.port;
  });
  try {
    await server.start();
  } catch (err) {
    // Port taken, say: close the database cleanly before the thread goes.
    await db.close();
    throw err;
  }

  let stopping = false;
  port.on('message', (/** @type {{ type?: unknown } | null} */ message) => {
    if (message?.type !== 'stop' || stopping) return;
    stopping = true;
    // Connections first (a client inside a transaction gets it rolled back), then the database.
    server
      .stop()
      .then(() => db.close())
      .then(
        () => {
          port.postMessage({ type: 'stopped' });
          process.exit(0);
        },
        (err) => {
          port.postMessage({ type: 'failed', error: serializeError(err) });
          process.exit(1);
        },
      );
  });
  port.postMessage({ type: 'ready', port: listeningPort });
}

main().catch((err) => {
  parentPort?.postMessage({ type: 'failed', error: serializeError(err) });
  process.exit(1);
});
