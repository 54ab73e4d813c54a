// Child process for Groth16 proving: witness generation and the MSMs run here, never on the caller's event loop.
// A process rather than a worker thread: ffjavascript's `web-worker` shim treats any non-main thread as one of its
// own workers and fails there. Plain CommonJS, so it starts with bare Node.
const { readFileSync, statSync } = require('node:fs');
const snarkjs = require('snarkjs');

// The circuit's wasm and zkey stay in memory between proofs (snarkjs reads `{ type: 'mem' }` files directly),
// keyed by path and modification time so a rebuilt model is re-read.
const files = new Map();
function inMemory(path) {
  const key = `${path}:${statSync(path).mtimeMs}`;
  let file = files.get(key);
  if (!file) {
    file = { type: 'mem', data: new Uint8Array(readFileSync(path)) };
    files.set(key, file);
  }
  return file;
}

process.on('message', async ({ id, input, wasm, zkey }) => {
  try {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, inMemory(wasm), inMemory(zkey));
    process.send({ id, proof, publicSignals });
  } catch (err) {
    process.send({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
