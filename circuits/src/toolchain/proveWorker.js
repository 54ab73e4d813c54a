// Child process for Groth16 proving: witness generation and the MSMs run here, never on the caller's event loop.
// A process rather than a worker thread: ffjavascript's `web-worker` shim treats any non-main thread as one of its
// own workers and fails there. Plain CommonJS, so it starts with bare Node.
const snarkjs = require('snarkjs');

process.on('message', async ({ id, input, wasm, zkey }) => {
  try {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, wasm, zkey);
    process.send({ id, proof, publicSignals });
  } catch (err) {
    process.send({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
