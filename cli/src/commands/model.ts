import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { SingleBar } from 'cli-progress';
import { JsonRpcProvider, Wallet } from 'ethers';
import type { Command } from 'commander';

import {
  REFERENCE_MODELS,
  referenceCompileParameters,
  checkInputOpening,
  checkOutputOpening,
  assertSetupRegistrable,
  BATCH_SIZE_RANGE,
  compileBatch,
  compileModel,
  inspectModel,
  contributePhase2,
  ensurePtau,
  INPUT_BITS_RANGE,
  isDevelopmentSetup,
  loadVerificationKey,
  proveInference,
  ptauPowerFor,
  randomSalt,
  releaseCurves,
  setupBatch,
  setupModel,
  sharedProver,
  startPhase2,
  toField,
  verifyInference,
  verifyPhase2,
  type CompiledModel,
  type CompileModelParameters,
  type InspectedModel,
} from '@verity/circuits';
import { decodeRevert, ModelRegistry__factory, toSolidityVerifyingKey } from '@verity/contracts';
import { BaseError, InvalidArgumentError, readDeployment } from '@verity/core';
import { L1_CHAIN_ID } from '@verity/rollup';
import { publishModel, referenceOnnxFile } from '../actions/publishModel';
import { uploadArtifacts } from '../actions/uploadArtifacts';
import type { CliConfig } from '../config';
import { say, table } from '../output';
import { SequencerApi } from '../sequencerApi';
import { resolvePrivateKey, type SignerOptions } from '../signer';

type ModelOptions = { calibration?: string; inputMaxAbs?: string; inputBits?: string };
type SetupOptions = ModelOptions & { ptau?: string; zkey?: string; beacon?: string; force?: boolean; insecureDevSetup?: boolean };
type RegisterOptions = ModelOptions &
  SignerOptions & { sequencer?: string; deployment?: string; allowDevelopmentSetup?: boolean };

/** A file the CLI cannot write (missing directory, no permission): said before any slow work starts. */
export class OutputFileError extends BaseError {
  override name = 'OutputFileError';
  constructor(file: string, why: string) {
    super('OUTPUT_NOT_WRITABLE', `cannot write ${file}: ${why}`);
  }
}

/** A model that has no verification key yet. */
export class ModelNotSetUpError extends BaseError {
  override name = 'ModelNotSetUpError';
  constructor(model: string) {
    super('MODEL_NOT_SET_UP', `model ${model} has no verification key yet: run \`verity model setup ${model}\``);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${what} is not valid JSON`, { details: (err as Error).message });
  }
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new InvalidArgumentError(`${what} file ${file} does not exist`);
  return parseJson(readFileSync(file, 'utf8'), `${what} file ${file}`);
}

/** Fails now, not after minutes of proving, when `file` cannot be written. */
function checkWritable(file: string): void {
  const target = existsSync(file) ? file : dirname(resolve(file));
  if (!existsSync(target)) throw new OutputFileError(file, `directory ${target} does not exist`);
  try {
    accessSync(target, constants.W_OK);
  } catch {
    throw new OutputFileError(file, 'permission denied');
  }
}

function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new OutputFileError(file, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
}

function parseInputBits(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const [lo, hi] = INPUT_BITS_RANGE;
  if (!/^\d+$/.test(value) || Number(value) < lo || Number(value) > hi)
    throw new InvalidArgumentError(`--input-bits '${value}' must be an integer from ${lo} to ${hi}`);
  return Number(value);
}

/** A progress bar over named steps on a terminal; one line per step otherwise. */
function stepper(title: string, total: number): { step(name: string): void; done(): void } {
  if (!process.stdout.isTTY) return { step: (name) => say(`  ${title}: ${name}…`), done: () => undefined };
  const bar = new SingleBar({ format: `  ${title} [{bar}] {value}/{total} {step}`, hideCursor: true });
  bar.start(total, 0, { step: '' });
  let n = 0;
  return {
    step: (name) => bar.update(Math.min(++n, total), { step: name }),
    done: () => (bar.update(total, { step: 'done' }), bar.stop()),
  };
}

/** A reference model by name, or any ONNX file with its calibration inputs and input range. */
async function resolveModel(model: string, options: ModelOptions, quiet = false): Promise<CompiledModel> {
  const params = compileParameters(model, options);
  const progress = quiet ? undefined : stepper('compile', 4);
  const compiled = await compileModel({ ...params, onProgress: progress?.step });
  progress?.done();
  return compiled;
}

function compileParameters(model: string, options: ModelOptions): CompileModelParameters {
  const reference = REFERENCE_MODELS[model];
  const inputBits = parseInputBits(options.inputBits);
  let params;
  if (reference) {
    params = { ...referenceCompileParameters(reference), inputBits: inputBits ?? reference.inputBits };
  } else if (model.endsWith('.onnx')) {
    if (!existsSync(model)) throw new InvalidArgumentError(`ONNX file ${model} does not exist`);
    if (!options.calibration || !options.inputMaxAbs)
      throw new InvalidArgumentError('an ONNX file needs --calibration <inputs.json> and --input-max-abs <number>');
    const calibration = readJson(options.calibration, 'calibration');
    if (!Array.isArray(calibration) || calibration.length === 0 || !calibration.every((x) => Array.isArray(x)))
      throw new InvalidArgumentError(`calibration file ${options.calibration} must hold a non-empty JSON array of input arrays`);
    const inputMaxAbs = Number(options.inputMaxAbs);
    if (!(inputMaxAbs > 0) || !Number.isFinite(inputMaxAbs))
      throw new InvalidArgumentError(`--input-max-abs '${options.inputMaxAbs}' must be a positive number`);
    params = {
      name: model
        .split('/')
        .pop()!
        .replace(/\.onnx$/, ''),
      onnx: readFileSync(model),
      calibration: calibration as number[][],
      inputMaxAbs,
      inputBits,
    };
  } else
    throw new InvalidArgumentError(
      `unknown model '${model}' (reference models: ${Object.keys(REFERENCE_MODELS).join(', ')}; or pass an .onnx file)`,
    );
  return params;
}

function printSummary(m: Pick<CompiledModel, 'paths'> & { manifest: InspectedModel['manifest'] }): void {
  const x = m.manifest;
  table([
    ['model', `${x.name}  (id ${x.modelId.slice(0, 16)}…)`],
    ['ONNX sha256', x.onnxSha256],
    ['operators', x.ops.join(' → ')],
    ['layers', x.layers.map((l) => `${l.ops.join('+')}${l.shift !== undefined ? ` »${l.shift}` : ''}`).join(' | ')],
    ['input', `[${x.input.shape.join('×')}] in ±${x.input.maxAbs}, scale 2^${x.input.scale}, ${x.input.bits}-bit`],
    ['output', `[${x.output.shape.join('×')}] scale 2^${x.output.scale}, ${x.output.bits}-bit, head ${x.output.head}`],
    ['parameters', `${x.parameters}${x.affineTerms !== undefined ? ` (${x.affineTerms} weight terms in the circuit)` : ''}`],
    ['constraints', `${x.constraints} (${(x.constraints / x.activations).toFixed(1)} per activation)`],
    ['activations', String(x.activations)],
    ['files', m.paths.dir],
    [
      'setup',
      !x.setup
        ? 'not yet (verity model setup)'
        : isDevelopmentSetup(x.setup)
          ? 'INSECURE development setup (no powers of tau, no ceremony): tests and the local devnet only'
          : `${x.setup.insecure ? 'INSECURE local powers of tau' : x.setup.ptau}; phase 2: ${x.setup.contributions.length} contribution(s) incl. beacon`,
    ],
  ]);
}

type ProofFile = {
  model?: string;
  input?: unknown;
  inputSalt?: unknown;
  output?: Record<string, unknown>;
  proof?: Parameters<typeof verifyInference>[0]['proof'];
  publicSignals?: string[];
};

export function registerModelCommands(program: Command, getConfig: () => CliConfig): void {
  const model = program.command('model').description('compile ONNX models to circuits, set them up, prove and verify inferences');
  const modelOptions = (cmd: Command): Command =>
    cmd
      .option('--calibration <file>', 'JSON array of sample inputs (ONNX files only)')
      .option('--input-max-abs <number>', 'largest |input value| a request may carry (ONNX files only)')
      .option('--input-bits <bits>', `bits per input value (${INPUT_BITS_RANGE[0]}-${INPUT_BITS_RANGE[1]})`);
  const finish = async () => {
    await sharedProver().terminate();
    await releaseCurves();
  };

  model
    .command('list')
    .description('the reference models and their float accuracy')
    .action(() => {
      for (const name of Object.keys(REFERENCE_MODELS)) {
        const file = `circuits/models/${name}/training.json`;
        const t = existsSync(file)
          ? (JSON.parse(readFileSync(file, 'utf8')) as { floatTestAccuracy: number; architecture: string })
          : undefined;
        say(`${name.padEnd(10)} ${t ? `${(t.floatTestAccuracy * 100).toFixed(1)}% held out  ${t.architecture}` : ''}`);
      }
    });

  modelOptions(
    model.command('compile').description('ONNX → fixed-point circuit (r1cs), cached by content hash').argument('<model>'),
  ).action(async (name: string, options: ModelOptions) => printSummary(await resolveModel(name, options)));

  modelOptions(
    model
      .command('inspect')
      .description('what a model compiles to, in seconds: operators, layers, scales, sizes (constraints once compiled)')
      .argument('<model>'),
  ).action(async (name: string, options: ModelOptions) => printSummary(await inspectModel(compileParameters(name, options))));

  modelOptions(
    model
      .command('setup')
      .description('Groth16 setup: phase-2 contribution + beacon, verified; zkey, verification key, Solidity verifier')
      .argument('<model>'),
  )
    .option('--ptau <file>', 'a powers-of-tau ceremony file (default: a cached, INSECURE local one)')
    .option('--zkey <file>', 'adopt the zkey of a multi-party phase-2 ceremony (see `verity model contribute`)')
    .option('--beacon <hex>', 'public randomness for the final beacon, e.g. a future block hash (default: random)')
    .option('--force', 'redo the setup even if a verified one exists')
    .option(
      '--insecure-dev-setup',
      'INSECURE, development only: proving key straight from toxic waste sampled here (no powers of tau, seconds); refused by `model register` outside the local devnet',
    )
    .action(async (name: string, options: SetupOptions) => {
      if (options.insecureDevSetup && (options.ptau || options.zkey || options.beacon))
        throw new InvalidArgumentError('--insecure-dev-setup takes no --ptau, --zkey or --beacon');
      if (options.ptau && !existsSync(options.ptau)) throw new InvalidArgumentError(`ptau file ${options.ptau} does not exist`);
      if (options.zkey && !existsSync(options.zkey)) throw new InvalidArgumentError(`zkey file ${options.zkey} does not exist`);
      const compiled = await resolveModel(name, options);
      if (options.insecureDevSetup)
        say('  INSECURE development setup: whoever runs it could forge proofs; for tests and the local devnet only');
      const progress = stepper(options.insecureDevSetup ? 'INSECURE dev setup' : 'setup', options.insecureDevSetup ? 5 : 6);
      const result = await setupModel({
        model: compiled,
        ptauFile: options.ptau,
        zkeyFile: options.zkey,
        beaconHash: options.beacon,
        force: options.force,
        insecureDevelopmentSetup: options.insecureDevSetup,
        onProgress: progress.step,
      });
      progress.done();
      await finish();
      if (isDevelopmentSetup(result.setup)) {
        table([
          ['zkey', result.zkey],
          ['verification key', result.vkey],
          ['Solidity verifier', result.verifierSol],
          ['setup', 'INSECURE development setup: no powers of tau, no ceremony; tests and the local devnet only'],
          ['seconds', result.seconds.toFixed(1)],
        ]);
        return;
      }
      table([
        ['zkey', result.zkey],
        ['verification key', result.vkey],
        ['Solidity verifier', result.verifierSol],
        ['powers of tau', result.insecure ? 'local, INSECURE: development only (pass --ptau for production)' : result.setup.ptau],
        ...result.setup.contributions.map((c): [string, string] => [
          `phase 2 #${c.index}`,
          `${c.name}${c.beacon ? ` (beacon ${c.beacon.hash.slice(0, 16)}…)` : ''}  ${c.hash.slice(0, 32)}…`,
        ]),
        ['seconds', result.seconds.toFixed(1)],
      ]);
    });

  modelOptions(
    model
      .command('contribute')
      .description('add a phase-2 contribution (multi-party setup): starts the ceremony when --in is omitted')
      .argument('<model>'),
  )
    .option('--in <file>', 'the previous contributor’s zkey')
    .requiredOption('--out <file>', 'where to write the zkey with your contribution')
    .option('--ptau <file>', 'powers of tau to start from (default: the cached, INSECURE local one)')
    .option('--name <name>', 'your name in the transcript', 'anonymous')
    .action(async (name: string, options: ModelOptions & { in?: string; out: string; ptau?: string; name: string }) => {
      if (options.in && !existsSync(options.in)) throw new InvalidArgumentError(`zkey file ${options.in} does not exist`);
      checkWritable(options.out);
      const compiled = await resolveModel(name, options, true);
      let from = options.in;
      if (!from) {
        const power = ptauPowerFor(compiled.manifest.constraints, compiled.manifest.publicSignals.length);
        const ptau = await ensurePtau({ power, ptauFile: options.ptau });
        from = `${options.out}.init`;
        await startPhase2({ r1cs: compiled.paths.r1cs, ptau: ptau.file, out: from });
      }
      try {
        const { hash } = await contributePhase2({ in: from, out: options.out, name: options.name });
        say(`✔ contribution written to ${options.out}`);
        table([['contribution hash', hash]]);
        say('  publish the hash; pass the file to the next contributor, or finish with `verity model setup --zkey`');
      } finally {
        if (!options.in) rmSync(from, { force: true });
        await finish();
      }
    });

  modelOptions(
    model
      .command('verify-setup')
      .description('check a zkey against the circuit and powers of tau, and print its phase-2 transcript')
      .argument('<model>'),
  )
    .option('--zkey <file>', 'the zkey to check (default: the model’s own)')
    .option('--ptau <file>', 'the powers of tau it was made from (default: the cached local one)')
    .action(async (name: string, options: ModelOptions & { zkey?: string; ptau?: string }) => {
      const compiled = await resolveModel(name, options, true);
      const zkey = options.zkey ?? compiled.paths.zkey;
      if (!existsSync(zkey))
        throw options.zkey ? new InvalidArgumentError(`zkey file ${zkey} does not exist`) : new ModelNotSetUpError(name);
      if (!options.zkey && isDevelopmentSetup(compiled.manifest.setup))
        throw new InvalidArgumentError(
          `setup INSECURE: ${name} has a development setup (no powers of tau, no transcript): nothing to verify; redo \`verity model setup\` without --insecure-dev-setup`,
        );
      const power = ptauPowerFor(compiled.manifest.constraints, compiled.manifest.publicSignals.length);
      const ptau = await ensurePtau({ power, ptauFile: options.ptau });
      const result = await verifyPhase2({ r1cs: compiled.paths.r1cs, ptau: ptau.file, zkey });
      await finish();
      if (!result.valid)
        throw new InvalidArgumentError(`setup INVALID: ${zkey} does not match the circuit and powers of tau`, {
          details: result.problems.join('; ') || undefined,
        });
      say(
        `✔ ${zkey} matches ${compiled.manifest.name}'s circuit and the powers of tau${ptau.insecure ? ' (INSECURE local ones)' : ''}`,
      );
      table(
        result.contributions.map((c): [string, string] => [
          `#${c.index} ${c.name}`,
          `${c.hash}${c.beacon ? `  beacon ${c.beacon.hash} 2^${c.beacon.iterationsExp}` : ''}`,
        ]),
      );
      if (!result.contributions.some((c) => !c.beacon))
        throw new InvalidArgumentError('setup INSECURE: no phase-2 contribution, anyone could forge proofs with this key');
    });

  modelOptions(
    model
      .command('register')
      .description('publish a compiled, set-up model: verifying key to ModelRegistry on L1, artifacts to the sequencer')
      .argument('<model>'),
  )
    .option('--account <name>', 'devnet account of the publisher (e.g. deployer)')
    .option('--key-file <file>', 'the publisher key: a hex key or a JSON keystore (VERITY_KEYSTORE_PASSWORD)')
    .option('--sequencer <url>', 'sequencer API (default: VERITY_SEQUENCER_URL or http://127.0.0.1:3000)')
    .option('--deployment <file>', "deployment addresses JSON (default: the devnet's)")
    .option('--allow-development-setup', 'accept an INSECURE development setup (honoured on the local devnet only)')
    .action(async (name: string, options: RegisterOptions) => {
      const config = getConfig();
      const compiled = await resolveModel(name, options, true);
      if (!compiled.manifest.setup || !existsSync(compiled.paths.zkey)) throw new ModelNotSetUpError(name);
      const deployment = readDeployment(options.deployment ?? config.bridge.deploymentFile);
      // Before the key is read or anything connects: a development setup never reaches a registry unless allowed on
      // the devnet.
      assertSetupRegistrable({
        model: name,
        setup: compiled.manifest.setup,
        zkey: compiled.paths.zkey,
        chainId: deployment.l1.chainId,
        developmentChainIds: options.allowDevelopmentSetup ? [L1_CHAIN_ID] : [],
      });
      const key = await resolvePrivateKey(options, config);
      if (isDevelopmentSetup(compiled.manifest.setup))
        say('  note: INSECURE development setup, allowed on the local devnet only');
      else if (compiled.manifest.setup.insecure)
        say('  note: this model’s powers of tau were generated on this machine (INSECURE): fine for the devnet only');
      const l1 = new JsonRpcProvider(deployment.l1.rpcUrl, deployment.l1.chainId, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const result = await publishModel({
          model: compiled,
          onnxFile: name.endsWith('.onnx') ? name : referenceOnnxFile(name),
          deployment,
          l1,
          api: new SequencerApi((options.sequencer ?? config.cli.sequencerUrl).replace(/\/$/, '')),
          publisherKey: key,
          allowDevelopmentSetup: options.allowDevelopmentSetup,
          onStep: (step) => say(`  ${step}…`),
        });
        say(
          result.alreadyRegistered
            ? `✔ ${compiled.manifest.name} was already registered on L1; artifacts published to the sequencer`
            : `✔ ${compiled.manifest.name} registered on L1 (tx ${result.l1TxHash}, gas ${result.l1Gas}) and published to the sequencer`,
        );
        table([['model id', compiled.manifest.modelId]]);
      } finally {
        l1.destroy();
        await finish();
      }
    });

  const batchSize = (value: string): number => {
    const k = Number(value);
    const [min, max] = BATCH_SIZE_RANGE;
    if (!/^[0-9]+$/.test(value) || k < min || k > max)
      throw new InvalidArgumentError(`--size must be an integer in [${min}, ${max}], got '${value}'`);
    return k;
  };

  modelOptions(
    model
      .command('batch')
      .description('compile and set up the batch circuit of K copies of a model (one proof for up to K jobs)')
      .argument('<model>'),
  )
    .requiredOption('--size <K>', 'slots in the batch circuit')
    .option('--ptau <file>', 'a powers-of-tau ceremony file (default: a cached, INSECURE local one)')
    .option('--force', 'redo the setup even if a verified one exists')
    .option('--insecure-dev-setup', 'INSECURE, development only: proving key straight from toxic waste sampled here')
    .action(async (name: string, options: SetupOptions & { size: string }) => {
      const size = batchSize(options.size);
      if (options.insecureDevSetup && options.ptau) throw new InvalidArgumentError('--insecure-dev-setup takes no --ptau');
      if (options.ptau && !existsSync(options.ptau)) throw new InvalidArgumentError(`ptau file ${options.ptau} does not exist`);
      const compiled = await resolveModel(name, options);
      const batch = compileBatch(compiled, size);
      if (options.insecureDevSetup)
        say('  INSECURE development setup: whoever runs it could forge proofs; for tests and the local devnet only');
      const progress = stepper(options.insecureDevSetup ? 'INSECURE dev setup' : 'setup', options.insecureDevSetup ? 5 : 6);
      const result = await setupBatch(batch, {
        ptauFile: options.ptau,
        force: options.force,
        insecureDevelopmentSetup: options.insecureDevSetup,
        onProgress: progress.step,
      });
      progress.done();
      await finish();
      table([
        ['batch circuit', `${batch.manifest.name}: ${batch.manifest.constraints.toLocaleString('en-US')} constraints`],
        ['r1cs sha256', batch.manifest.r1csSha256],
        ['zkey', result.zkey],
        ['verification key', result.vkey],
        [
          'setup',
          isDevelopmentSetup(result.setup) ? 'INSECURE development setup: tests and the local devnet only' : result.setup.ptau,
        ],
      ]);
    });

  modelOptions(
    model
      .command('register-batch')
      .description(
        "register a model's batch key (from `verity model batch`) on L1 and publish its files to the sequencer: the model's publisher only",
      )
      .argument('<model>'),
  )
    .requiredOption('--size <K>', 'slots in the batch circuit')
    .option('--account <name>', 'devnet account of the publisher (e.g. deployer)')
    .option('--key-file <file>', 'the publisher key: a hex key or a JSON keystore (VERITY_KEYSTORE_PASSWORD)')
    .option('--sequencer <url>', 'sequencer API (default: VERITY_SEQUENCER_URL or http://127.0.0.1:3000)')
    .option('--deployment <file>', "deployment addresses JSON (default: the devnet's)")
    .option('--allow-development-setup', 'accept an INSECURE development setup (honoured on the local devnet only)')
    .action(async (name: string, options: RegisterOptions & { size: string }) => {
      const size = batchSize(options.size);
      const config = getConfig();
      const compiled = await resolveModel(name, options, true);
      const batch = compileBatch(compiled, size);
      if (!batch.manifest.setup || !existsSync(batch.paths.zkey))
        throw new InvalidArgumentError(
          `the batch circuit of ${size} has no setup yet: run \`verity model batch ${name} --size ${size}\``,
        );
      const deployment = readDeployment(options.deployment ?? config.bridge.deploymentFile);
      const verity = deployment.verity;
      if (!verity) throw new InvalidArgumentError('the deployment has no ModelRegistry (start one with `npm start`)');
      assertSetupRegistrable({
        model: batch.manifest.name,
        setup: batch.manifest.setup,
        zkey: batch.paths.zkey,
        chainId: deployment.l1.chainId,
        developmentChainIds: options.allowDevelopmentSetup ? [L1_CHAIN_ID] : [],
      });
      const key = await resolvePrivateKey(options, config);
      const l1 = new JsonRpcProvider(deployment.l1.rpcUrl, deployment.l1.chainId, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const publisher = new Wallet(key, l1);
        const registry = ModelRegistry__factory.connect(verity.l1.ModelRegistry, publisher);
        const modelId = BigInt(compiled.manifest.modelId);
        const [existing] = await registry.batchKeyDataOf(modelId, size);
        if (existing !== '0x0000000000000000000000000000000000000000') {
          say(`✔ the batch key of ${size} for ${compiled.manifest.name} was already registered`);
        } else {
          const vk = JSON.parse(readFileSync(batch.paths.vkey, 'utf8')) as Parameters<typeof toSolidityVerifyingKey>[0];
          const args = [modelId, size, toSolidityVerifyingKey(vk), '0x' + batch.manifest.r1csSha256] as const;
          try {
            await registry.registerBatchKey.staticCall(...args);
          } catch (err) {
            const reason = decodeRevert(err, registry.interface);
            throw new InvalidArgumentError(`L1 refuses the batch key: ${reason ?? (err as Error).message}`);
          }
          const receipt = await (await registry.registerBatchKey(...args)).wait();
          say(
            `✔ batch key of ${size} for ${compiled.manifest.name} registered on L1 (tx ${receipt!.hash}, gas ${receipt!.gasUsed})`,
          );
          const [, , activatesAt] = await registry.batchKeyDataOf(modelId, size);
          table([['usable for settlement from', new Date(Number(activatesAt) * 1000).toISOString()]]);
        }
        // After L1: the sequencer takes batch files only for a key registered there (and equal to it), and the
        // manifest before the zkey it describes.
        await uploadArtifacts({
          api: new SequencerApi((options.sequencer ?? config.cli.sequencerUrl).replace(/\/$/, '')),
          publisher,
          chainId: deployment.l1.chainId,
          registry: verity.l1.ModelRegistry,
          modelId: compiled.manifest.modelId,
          artifacts: [
            { name: `batch-${size}-manifest`, file: batch.paths.manifest },
            { name: `batch-${size}-vkey`, file: batch.paths.vkey },
            { name: `batch-${size}-zkey`, file: batch.paths.zkey },
          ],
          onStep: (step) => say(`  ${step}…`),
        });
        say(`✔ batch circuit of ${size} for ${compiled.manifest.name} published to the sequencer`);
      } finally {
        l1.destroy();
        await finish();
      }
    });

  modelOptions(model.command('prove').description('run the model on an input and prove it').argument('<model>'))
    .requiredOption('--input <json>', 'input values: a JSON array, or a file holding one')
    .option('--input-salt <salt>', 'blinding salt of the input commitment (default: a fresh random one)')
    .requiredOption('--job-id <id>', 'job id (decimal or 0x)')
    .requiredOption('--prover <address>', 'prover address the proof is bound to')
    .option('--out <file>', 'where to write the proof', 'proof.json')
    .action(
      async (
        name: string,
        options: ModelOptions & { input: string; inputSalt?: string; jobId: string; prover: string; out: string },
      ) => {
        const input = options.input.trim().startsWith('[')
          ? parseJson(options.input, '--input')
          : readJson(options.input, 'input');
        if (!Array.isArray(input)) throw new InvalidArgumentError('--input must be a JSON array of numbers');
        const jobId = toField(options.jobId, '--job-id');
        const inputSalt = toField(options.inputSalt ?? randomSalt(), '--input-salt');
        checkWritable(options.out);
        const compiled = await resolveModel(name, options, true);
        if (!compiled.manifest.setup || !existsSync(compiled.paths.zkey)) throw new ModelNotSetUpError(name);
        const started = Date.now();
        const result = await proveInference({
          model: compiled,
          input: input as number[],
          inputSalt,
          jobId,
          prover: options.prover,
        });
        await finish();
        writeOutput(
          options.out,
          JSON.stringify(
            {
              model: compiled.manifest.name,
              modelId: compiled.manifest.modelId,
              jobId: jobId.toString(),
              prover: options.prover,
              // The openings are private: the commitments are public signals, these are what they hide.
              input,
              inputSalt: inputSalt.toString(),
              ...result,
            },
            null,
            2,
          ) + '\n',
        );
        say(
          `✔ proved in ${((Date.now() - started) / 1000).toFixed(2)} s → ${options.out} (holds the input and salts: keep it private)`,
        );
        table([
          ['output', `[${result.output.values.map((v) => v.toFixed(3)).join(', ')}]`],
          ['argmax', String(result.output.argmax)],
          ['output commitment', result.outputCommitment],
        ]);
      },
    );

  modelOptions(
    model
      .command('verify')
      .description('check a proof file against the model, and its input and output against the commitments')
      .argument('<model>'),
  )
    .requiredOption('--proof <file>', 'proof file written by `verity model prove`')
    .action(async (name: string, options: ModelOptions & { proof: string }) => {
      const file = readJson(options.proof, 'proof') as ProofFile;
      if (
        !file ||
        typeof file !== 'object' ||
        !Array.isArray(file.publicSignals) ||
        file.publicSignals.length !== 5 ||
        !file.proof
      )
        throw new InvalidArgumentError(`${options.proof} is not a proof file`);
      const compiled = await resolveModel(name, options, true);
      if (!existsSync(compiled.paths.vkey)) throw new ModelNotSetUpError(name);
      loadVerificationKey(compiled.paths.vkey);
      const [modelId, inputCommitment, outputCommitment, jobId, prover] = file.publicSignals as [
        string,
        string,
        string,
        string,
        string,
      ];
      const problems: string[] = [];
      if (modelId !== compiled.manifest.modelId) problems.push('it is for another model');
      if (!(await verifyInference({ model: compiled, proof: file.proof, publicSignals: file.publicSignals })))
        problems.push('the Groth16 proof does not verify');
      await finish();
      if (problems.length) throw new InvalidArgumentError(`proof INVALID: ${problems.join('; ')}`);
      // The proof binds the commitments; the openings must match them exactly as the circuit does.
      const opened: string[] = [];
      try {
        if (file.output !== undefined) {
          const output = checkOutputOpening({ model: compiled, output: file.output, commitment: outputCommitment });
          opened.push(`output argmax ${output.argmax}`);
        }
        if (file.input !== undefined || file.inputSalt !== undefined) {
          checkInputOpening({ model: compiled, input: file.input, salt: file.inputSalt, commitment: inputCommitment });
          opened.push('input');
        }
      } catch (err) {
        if (err instanceof BaseError) throw new InvalidArgumentError(`proof INVALID: ${err.shortMessage}`, { cause: err });
        throw err;
      }
      say(
        `✔ valid: model ${compiled.manifest.name}, job ${jobId}, prover 0x${BigInt(prover).toString(16).padStart(40, '0')}${opened.length ? `; opened: ${opened.join(', ')}` : ''}`,
      );
    });
}
