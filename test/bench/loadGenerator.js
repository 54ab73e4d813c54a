// The load generator of bench:market, run as its own process (so its CPU is not the server's event loop):
// autocannon posts each pre-signed job request exactly once, over CONNECTIONS connections, and prints its
// result as JSON. Plain CommonJS: it starts with bare Node.
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const autocannon = require('autocannon');

const [, , url, bodiesFile, connections] = process.argv;
const bodies = readFileSync(bodiesFile, 'utf8').split('\n').filter(Boolean);
let next = 0;
// autocannon ends a run with `amount` only at its next one-second tick, so its duration rounds up to whole seconds:
// the throughput is taken from the first request to the last response instead.
const started = performance.now();
let lastResponse = started;

const instance = autocannon(
  {
    url: `${url}/v1/jobs`,
    connections: Number(connections),
    amount: bodies.length,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      },
    ],
  },
  (err, result) => {
    if (err) {
      process.stderr.write(String(err) + '\n');
      process.exit(1);
    }
    process.stdout.write(
      JSON.stringify({
        requests: result.requests,
        latency: result.latency,
        duration: result.duration,
        statusCodeStats: result.statusCodeStats,
        errors: result.errors,
        non2xx: result['non2xx'],
        elapsedMs: lastResponse - started,
      }) + '\n',
    );
  },
);
instance.on('response', () => {
  lastResponse = performance.now();
});
