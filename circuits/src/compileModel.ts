import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import * as ort from 'onnxruntime-node';
import * as snarkjs from 'snarkjs';

import { InvalidInputError, OnnxParseError } from './errors';
import { FIELD_MODULUS } from './field';
import { applyHead, evaluateFloat } from './ir/evaluateFloat';
import { lowerGraph } from './ir/lowerGraph';
import { size, type Program } from './ir/types';
import type { ModelManifest } from './model/manifest';
import { programFromJson, programToJson } from './model/serialize';
import { readModel } from './onnx/readModel';
import { modelPaths, type ModelPaths } from './paths';
import { quantize } from './quantize/quantize';
import type { QuantProgram } from './quantize/types';
import { buildModelR1cs, circuitBuilderSha256 } from './r1cs/modelCircuit';

const VERITY_COMPILER_VERSION = '0.2.0';

export type CompileModelParameters = {
  name: string;
  onnx: Uint8Array;
  /** Float sample inputs: run through onnxruntime (the reference) and used to pick each tensor's scale. */
  calibration: number[][];
  /** Largest |input value| a request may carry. */
  inputMaxAbs: number;
  inputBits?: number;
  activationBits?: number;
  onProgress?: (step: string) => void;
};

export type CompiledModel = {
  manifest: ModelManifest;
  program: QuantProgram;
  paths: ModelPaths;
  /** Seconds spent building the r1cs (0 when the build was cached). */
  circuitSeconds: number;
  /** Largest |float IR − onnxruntime| over the calibration set (after the head). */
  referenceError: number;
};

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Runs onnxruntime on each sample and checks the lowered program computes the same thing. */
async function checkAgainstOnnxRuntime(onnx: Uint8Array, program: Program, samples: number[][]): Promise<number> {
  const session = await ort.InferenceSession.create(onnx);
  let worst = 0;
  try {
    // A graph exported with a fixed batch N takes N samples: feed N copies and read the first.
    const batch = program.batch ?? 1;
    for (const sample of samples) {
      const feeds: Record<string, ort.Tensor> = {};
      let at = 0;
      for (const part of program.inputs ?? [{ name: program.inputName, shape: program.inputShape }]) {
        const values = sample.slice(at, (at += size(part.shape)));
        const copies = Float32Array.from({ length: batch * values.length }, (_, i) => values[i % values.length]!);
        feeds[part.name] = new ort.Tensor('float32', copies, [batch, ...part.shape]);
      }
      const result = await session.run(feeds);
      const all = result[program.outputName]!.data as Float32Array | BigInt64Array;
      const reference = Array.from(all.subarray(0, all.length / batch), Number);
      const ours = applyHead(program.head, evaluateFloat(program, sample).output, program.headLayout);
      let scale = 1;
      for (const r of reference) scale = Math.max(scale, Math.abs(r));
      reference.forEach((r, i) => (worst = Math.max(worst, Math.abs(r - ours[i]!) / scale)));
    }
  } finally {
    await session.release();
  }
  if (worst > 1e-3)
    throw new OnnxParseError(`the compiled graph disagrees with onnxruntime (relative error ${worst.toExponential(2)})`);
  return worst;
}

/** Everything up to the circuit's source: lowering, the onnxruntime cross-check, quantization, ids and paths. */
async function prepareModel(parameters: CompileModelParameters) {
  const progress = parameters.onProgress ?? (() => undefined);
  if (parameters.calibration.length === 0) throw new InvalidInputError('calibration needs at least one sample input');
  progress('parse ONNX');
  const graph = readModel(parameters.onnx);
  const ir = lowerGraph(graph);
  // The model's own count: every element of every initializer (weights, biases, constants).
  let weightCount = 0;
  for (const tensor of graph.initializers.values()) weightCount += tensor.data.length;
  progress('run the float reference (onnxruntime)');
  const referenceError = await checkAgainstOnnxRuntime(parameters.onnx, ir, parameters.calibration);
  progress('quantize');
  const program = quantize({
    program: ir,
    calibration: parameters.calibration,
    inputMaxAbs: parameters.inputMaxAbs,
    inputBits: parameters.inputBits,
    activationBits: parameters.activationBits,
  });
  const programJson = programToJson(program);
  const onnxSha256 = sha256(parameters.onnx);
  // 31 bytes of the hash: always below the field modulus.
  const modelId = BigInt('0x' + sha256(`${onnxSha256}:${sha256(programJson)}`).slice(0, 62)) % FIELD_MODULUS;
  // The r1cs is a function of the program, the model id and the circuit builder's code.
  const circuitSha256 = sha256(`${VERITY_COMPILER_VERSION}:${circuitBuilderSha256()}:${modelId}:${programJson}`);
  const paths = modelPaths(parameters.name, circuitSha256);
  return { ir, program, programJson, onnxSha256, modelId, circuitSha256, paths, referenceError, weightCount };
}

export type InspectedModel = {
  /** The manifest as compileModel would write it, without the r1cs hash. */
  manifest: Omit<ModelManifest, 'r1csSha256'>;
  paths: ModelPaths;
  compiled: boolean;
};

/**
 * What a model compiles to, in seconds and without writing anything: operators, layers, scales, sizes, the model id,
 * the constraint count and where its build would live. The setup comes from a build already in the cache, if any.
 */
export async function inspectModel(parameters: CompileModelParameters): Promise<InspectedModel> {
  const { ir, program, onnxSha256, modelId, circuitSha256, paths, weightCount } = await prepareModel(parameters);
  const compiled = existsSync(paths.manifest) && existsSync(paths.r1cs);
  const cached = compiled ? (JSON.parse(readFileSync(paths.manifest, 'utf8')) as ModelManifest) : undefined;
  return {
    manifest: {
      ...describe(parameters.name, modelId, onnxSha256, circuitSha256, ir, program, parameters.inputMaxAbs, weightCount),
      constraints: cached?.constraints ?? buildModelR1cs(program, modelId).constraints,
      ...(cached ? { setup: cached.setup } : {}),
    },
    paths,
    compiled,
  };
}

/** The manifest's description of a model, shared by compile and inspect. */
function describe(
  name: string,
  modelId: bigint,
  onnxSha256: string,
  circuitSha256: string,
  ir: Program,
  program: QuantProgram,
  inputMaxAbs: number,
  weightCount: number,
): Omit<ModelManifest, 'constraints' | 'r1csSha256'> {
  return {
    name,
    modelId: modelId.toString(),
    onnxSha256,
    circuitSha256,
    compiler: { circuit: 'r1cs built in TypeScript (circuits/src/r1cs)', verity: VERITY_COMPILER_VERSION },
    publicSignals: ['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover'],
    input: {
      shape: program.inputShape,
      scale: program.inputScale,
      bits: program.inputBits,
      maxAbs: inputMaxAbs,
      ...(ir.inputs ? { parts: ir.inputs } : {}),
    },
    output: { shape: program.outputShape, scale: program.outputScale, bits: program.outputBits, head: program.head },
    ops: ir.sourceOps,
    layers: program.layers.map((l) =>
      l.kind === 'affine'
        ? { kind: l.kind, ops: l.ops, outSize: l.outSize, shift: l.shift, bits: l.bits, relu: l.relu }
        : { kind: l.kind, ops: l.ops, outSize: l.outSize, bits: l.bits },
    ),
    parameters: weightCount,
    affineTerms: ir.layers.reduce((a, l) => a + (l.kind === 'affine' ? l.rows.reduce((b, r) => b + r.idx.length + 1, 0) : 0), 0),
    activations: program.layers.reduce((a, l) => a + (l.kind === 'permute' ? 0 : l.outSize), 0),
    rounding: 'round half up: floor((acc + 2^(shift-1)) / 2^shift), remainder range-checked in the circuit',
  };
}

/**
 * ONNX → fixed-point program → r1cs (circuits/src/r1cs), cached by content hash: the same model and options reuse
 * circuits/build/<name>-<hash>. Weights are circuit constants, so the circuit (and later its verification key)
 * identifies the model. A prover needs no compiled witness code: it computes the witness from the program.
 */
export async function compileModel(parameters: CompileModelParameters): Promise<CompiledModel> {
  const progress = parameters.onProgress ?? (() => undefined);
  const { ir, program, programJson, onnxSha256, modelId, circuitSha256, paths, referenceError, weightCount } =
    await prepareModel(parameters);

  let circuitSeconds = 0;
  if (!existsSync(paths.r1cs) || !existsSync(paths.program)) {
    mkdirSync(paths.dir, { recursive: true });
    progress('build the constraint system');
    const started = performance.now();
    const { r1cs } = buildModelR1cs(program, modelId);
    // Program first: a build directory with an r1cs always has the program it was built from.
    writeFileSync(paths.program, programJson);
    writeFileSync(paths.r1cs, r1cs);
    circuitSeconds = (performance.now() - started) / 1000;
  }
  const info = await snarkjs.r1cs.info(paths.r1cs);
  const manifest: ModelManifest = {
    ...describe(parameters.name, modelId, onnxSha256, circuitSha256, ir, program, parameters.inputMaxAbs, weightCount),
    r1csSha256: sha256(readFileSync(paths.r1cs)),
    constraints: info.nConstraints,
  };
  // A cached build keeps the record of its setup.
  if (existsSync(paths.manifest) && existsSync(paths.zkey)) {
    const previous = JSON.parse(readFileSync(paths.manifest, 'utf8')) as ModelManifest;
    if (previous.r1csSha256 === manifest.r1csSha256) manifest.setup = previous.setup;
  }
  writeFileSync(paths.manifest, JSON.stringify(manifest, null, 2) + '\n');
  return { manifest, program, paths, circuitSeconds, referenceError };
}

/** Loads a compiled model from its build directory (manifest + program). */
export function loadCompiledModel(paths: ModelPaths): Omit<CompiledModel, 'circuitSeconds' | 'referenceError'> {
  return {
    manifest: JSON.parse(readFileSync(paths.manifest, 'utf8')) as ModelManifest,
    program: programFromJson(readFileSync(paths.program, 'utf8')),
    paths,
  };
}
