import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { REFERENCE_MODELS } from '../../../circuits/models/referenceModels';
import {
  compileModel,
  outputCommitmentOf,
  proveInference,
  releaseCurves,
  setupModel,
  sharedProver,
  verifyInference,
  type CompiledModel,
} from '../../../circuits/src';
import { InvalidArgumentError } from '../errors/base';
import { say, table } from './output';

type ModelOptions = { calibration?: string; inputMaxAbs?: string; inputBits?: string };

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new InvalidArgumentError(`${what} file ${file} does not exist`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new InvalidArgumentError(`${what} file ${file} is not valid JSON`);
  }
}

/** A progress bar over named steps on a terminal; one line per step otherwise. */
function stepper(title: string, total: number): { step(name: string): void; done(): void } {
  if (!process.stdout.isTTY) return { step: (name) => say(`  ${title}: ${name}…`), done: () => undefined };
  const bar = new SingleBar({ format: `  ${title} [{bar}] {value}/{total} {step}`, hideCursor: true });
  bar.start(total, 0, { step: '' });
  let n = 0;
  return { step: (name) => bar.update(++n, { step: name }), done: () => (bar.update(total, { step: 'done' }), bar.stop()) };
}

/** A reference model by name, or any ONNX file with its calibration inputs and input range. */
async function resolveModel(model: string, options: ModelOptions, quiet = false): Promise<CompiledModel> {
  const reference = REFERENCE_MODELS[model];
  let params;
  if (reference) {
    params = {
      name: reference.name,
      onnx: reference.onnx(),
      calibration: reference.calibration(),
      inputMaxAbs: reference.inputMaxAbs,
      inputBits: reference.inputBits,
    };
  } else if (model.endsWith('.onnx')) {
    if (!existsSync(model)) throw new InvalidArgumentError(`ONNX file ${model} does not exist`);
    if (!options.calibration || !options.inputMaxAbs)
      throw new InvalidArgumentError('an ONNX file needs --calibration <inputs.json> and --input-max-abs <number>');
    const calibration = readJson(options.calibration, 'calibration');
    if (!Array.isArray(calibration) || !calibration.every((x) => Array.isArray(x)))
      throw new InvalidArgumentError('calibration must be a JSON array of input arrays');
    const inputMaxAbs = Number(options.inputMaxAbs);
    if (!(inputMaxAbs > 0)) throw new InvalidArgumentError('--input-max-abs must be a positive number');
    params = {
      name: model
        .split('/')
        .pop()!
        .replace(/\.onnx$/, ''),
      onnx: readFileSync(model),
      calibration: calibration as number[][],
      inputMaxAbs,
      inputBits: options.inputBits ? Number(options.inputBits) : undefined,
    };
  } else
    throw new InvalidArgumentError(
      `unknown model '${model}' (reference models: ${Object.keys(REFERENCE_MODELS).join(', ')}; or pass an .onnx file)`,
    );
  const progress = quiet ? undefined : stepper('compile', 4);
  const compiled = await compileModel({ ...params, onProgress: progress?.step });
  progress?.done();
  return compiled;
}

function printSummary(m: CompiledModel): void {
  const x = m.manifest;
  table([
    ['model', `${x.name}  (id ${x.modelId.slice(0, 16)}…)`],
    ['ONNX sha256', x.onnxSha256],
    ['operators', x.ops.join(' → ')],
    ['layers', x.layers.map((l) => `${l.ops.join('+')}${l.shift !== undefined ? ` »${l.shift}` : ''}`).join(' | ')],
    ['input', `[${x.input.shape.join('×')}] scale 2^${x.input.scale}, ${x.input.bits}-bit`],
    ['output', `[${x.output.shape.join('×')}] scale 2^${x.output.scale}, ${x.output.bits}-bit, head ${x.output.head}`],
    ['parameters', String(x.parameters)],
    ['constraints', `${x.constraints} (${(x.constraints / x.activations).toFixed(1)} per activation)`],
    ['files', m.paths.dir],
    ['setup', x.setup ? `${x.setup.ptau}` : 'not yet (verity model setup)'],
  ]);
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('compile ONNX models to circuits, set them up, prove and verify inferences');
  const modelOptions = (cmd: Command): Command =>
    cmd
      .option('--calibration <file>', 'JSON array of sample inputs (ONNX files only)')
      .option('--input-max-abs <number>', 'largest |input value| (ONNX files only)')
      .option('--input-bits <bits>', 'bits per input value');
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
    model.command('compile').description('ONNX → fixed-point circuit (r1cs + wasm), cached by content hash').argument('<model>'),
  ).action(async (name: string, options: ModelOptions) => printSummary(await resolveModel(name, options)));

  modelOptions(
    model.command('inspect').description('what a model compiles to: operators, scales, constraints, files').argument('<model>'),
  ).action(async (name: string, options: ModelOptions) => printSummary(await resolveModel(name, options, true)));

  modelOptions(model.command('setup').description('Groth16 setup: zkey, verification key, Solidity verifier').argument('<model>'))
    .option('--ptau <file>', 'a powers-of-tau ceremony file (default: a cached, INSECURE local one)')
    .action(async (name: string, options: ModelOptions & { ptau?: string }) => {
      if (options.ptau && !existsSync(options.ptau)) throw new InvalidArgumentError(`ptau file ${options.ptau} does not exist`);
      const compiled = await resolveModel(name, options);
      const progress = stepper('setup', 4);
      const result = await setupModel({ model: compiled, ptauFile: options.ptau, onProgress: progress.step });
      progress.done();
      await finish();
      table([
        ['zkey', result.zkey],
        ['verification key', result.vkey],
        ['Solidity verifier', result.verifierSol],
        ['powers of tau', result.insecure ? 'local, INSECURE: development only (pass --ptau for production)' : options.ptau!],
        ['seconds', result.seconds.toFixed(1)],
      ]);
    });

  modelOptions(model.command('prove').description('run the model on an input and prove it').argument('<model>'))
    .requiredOption('--input <json>', 'input values: a JSON array, or a file holding one')
    .requiredOption('--job-id <id>', 'job id (decimal or 0x)')
    .requiredOption('--prover <address>', 'prover address the proof is bound to')
    .option('--out <file>', 'where to write the proof', 'proof.json')
    .action(async (name: string, options: ModelOptions & { input: string; jobId: string; prover: string; out: string }) => {
      const input = options.input.trim().startsWith('[')
        ? (JSON.parse(options.input) as unknown)
        : readJson(options.input, 'input');
      if (!Array.isArray(input)) throw new InvalidArgumentError('--input must be a JSON array of numbers');
      const compiled = await resolveModel(name, options, true);
      if (!compiled.manifest.setup)
        throw new InvalidArgumentError(`model ${name} has no setup yet: run \`verity model setup ${name}\``);
      const started = Date.now();
      let jobId: bigint;
      try {
        jobId = BigInt(options.jobId);
      } catch {
        throw new InvalidArgumentError(`--job-id '${options.jobId}' is not an integer`);
      }
      const result = await proveInference({ model: compiled, input: input as number[], jobId, prover: options.prover });
      await finish();
      writeFileSync(
        options.out,
        JSON.stringify(
          {
            model: compiled.manifest.name,
            modelId: compiled.manifest.modelId,
            jobId: jobId.toString(),
            prover: options.prover,
            ...result,
          },
          null,
          2,
        ) + '\n',
      );
      say(`✔ proved in ${((Date.now() - started) / 1000).toFixed(2)} s → ${options.out}`);
      table([
        ['output', `[${result.output.values.map((v) => v.toFixed(3)).join(', ')}]`],
        ['argmax', String(result.output.argmax)],
        ['output commitment', result.outputCommitment],
      ]);
    });

  modelOptions(
    model
      .command('verify')
      .description('check a proof file against the model (and its output against the commitment)')
      .argument('<model>'),
  )
    .requiredOption('--proof <file>', 'proof file written by `verity model prove`')
    .action(async (name: string, options: ModelOptions & { proof: string }) => {
      const file = readJson(options.proof, 'proof') as Parameters<typeof verifyInference>[0] & {
        output?: { integers: number[]; argmax: number };
      };
      if (!file || !Array.isArray(file.publicSignals) || !file.proof)
        throw new InvalidArgumentError(`${options.proof} is not a proof file`);
      const compiled = await resolveModel(name, options, true);
      const problems: string[] = [];
      if (file.publicSignals[0] !== compiled.manifest.modelId) problems.push('it is for another model');
      if (file.output && outputCommitmentOf(compiled, file.output).toString() !== file.publicSignals[2])
        problems.push('the output in the file does not match the proven output commitment');
      if (!(await verifyInference({ model: compiled, proof: file.proof, publicSignals: file.publicSignals })))
        problems.push('the Groth16 proof does not verify');
      await finish();
      if (problems.length) throw new InvalidArgumentError(`proof INVALID: ${problems.join('; ')}`);
      say(
        `✔ valid: model ${compiled.manifest.name}, job ${file.publicSignals[3]}, prover 0x${BigInt(file.publicSignals[4]!).toString(16).padStart(40, '0')}`,
      );
    });
}
