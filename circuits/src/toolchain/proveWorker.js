// Child process for Groth16 proving: the witness and the MSMs run here, never on the caller's event loop. A process
// rather than a worker thread: ffjavascript's `web-worker` shim treats any non-main thread as one of its own workers
// and fails there. Plain CommonJS that registers the TypeScript loader itself (it starts with bare Node).
const { readFileSync, statSync } = require('node:fs');
const snarkjs = require('snarkjs');

if (!require.extensions['.ts']) require('@swc-node/register');
const { modelWitness } = require('../r1cs/modelCircuit');
const { programFromJson } = require('../model/serialize');
const { verifyGroth16 } = require('../verify/groth16');

// Files stay in memory between proofs (snarkjs reads `{ type: 'mem' }` files directly), keyed by path and
// modification time so a rebuilt model is re-read.
const files = new Map();
function cached(path, load) {
  const key = `${path}:${statSync(path).mtimeMs}`;
  let file = files.get(key);
  if (!file) {
    file = load(readFileSync(path));
    files.set(key, file);
  }
  return file;
}
const inMemory = (bytes) => ({ type: 'mem', data: new Uint8Array(bytes) });

process.on('message', async ({ id, input, paths }) => {
  try {
    const program = cached(paths.program, (bytes) => programFromJson(bytes.toString('utf8')));
    const { cs } = modelWitness(program, BigInt(input.modelId), input, 'witness');
    const { proof, publicSignals } = await snarkjs.groth16.prove(cached(paths.zkey, inMemory), inMemory(cs.wtns()));
    // The witness comes from the program file, the key from the setup: a program that is not the key's circuit
    // yields a proof that fails. Checked here (a few ms) so no one downstream receives it.
    const vkey = cached(paths.vkey, (bytes) => JSON.parse(bytes.toString('utf8')));
    if (!(await verifyGroth16(vkey, publicSignals, proof)))
      throw new Error("the proof does not verify: the model's program is not the circuit of its proving key");
    process.send({ id, proof, publicSignals });
  } catch (err) {
    process.send({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
