// Child process for Groth16 proving: the witness and the MSMs run here, never on the caller's event loop. A process
// rather than a worker thread: ffjavascript's `web-worker` shim treats any non-main thread as one of its own workers
// and fails there. Plain CommonJS that registers the TypeScript loader itself (it starts with bare Node).
const { readFileSync, statSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const snarkjs = require('snarkjs');

if (!require.extensions['.ts']) require('@swc-node/register');
const { synthesizeBatch } = require('../batch/batchCircuit');
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

// The witness comes from the program file, the key from the setup: a program that is not the key's circuit yields a
// proof that fails. Checked here (a few ms) so no one downstream receives it.
async function verified(vkeyFile, proof, publicSignals, what = 'proof') {
  const vkey = cached(vkeyFile, (bytes) => JSON.parse(bytes.toString('utf8')));
  if (!(await verifyGroth16(vkey, publicSignals, proof)))
    throw new Error(`the ${what} does not verify: the model's program is not the circuit of its proving key`);
}

async function proveModel({ input, paths }) {
  const program = cached(paths.program, (bytes) => programFromJson(bytes.toString('utf8')));
  const { cs } = modelWitness(program, BigInt(input.modelId), input, 'witness');
  const { proof, publicSignals } = await snarkjs.groth16.prove(cached(paths.zkey, inMemory), inMemory(cs.wtns()));
  await verified(paths.vkey, proof, publicSignals);
  return { proof, publicSignals };
}

// Field elements arrive and leave as decimal strings (bigints do not cross IPC).
async function proveBatch({ modelId, size, slots, paths }) {
  const program = cached(paths.program, (bytes) => programFromJson(bytes.toString('utf8')));
  const started = performance.now();
  const { cs, jobs, batchHash } = synthesizeBatch({
    program,
    modelId: BigInt(modelId),
    size,
    slots: slots.map((s) => ({
      xq: s.xq,
      inputSalt: BigInt(s.inputSalt),
      outputSalt: BigInt(s.outputSalt),
      jobId: BigInt(s.jobId),
      prover: BigInt(s.prover),
    })),
    mode: 'witness',
  });
  const witnessAt = performance.now();
  // Read from disk each time, not kept in memory: a batch key is K times a model's, and a proof every few
  // minutes does not need it resident.
  const { proof, publicSignals } = await snarkjs.groth16.prove(paths.zkey, inMemory(cs.wtns()));
  const provedAt = performance.now();
  await verified(paths.vkey, proof, publicSignals, 'batch proof');
  return {
    proof,
    publicSignals,
    jobs: jobs.map((j) => ({
      jobId: j.jobId.toString(),
      prover: j.prover.toString(),
      inputCommitment: j.inputCommitment.toString(),
      outputCommitment: j.outputCommitment.toString(),
    })),
    batchHash: batchHash.toString(),
    witnessSeconds: (witnessAt - started) / 1000,
    proveSeconds: (provedAt - witnessAt) / 1000,
  };
}

process.on('message', async (request) => {
  try {
    const reply = request.kind === 'batch' ? await proveBatch(request) : await proveModel(request);
    process.send({ id: request.id, ...reply });
  } catch (err) {
    process.send({ id: request.id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
