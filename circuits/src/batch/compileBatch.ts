import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as snarkjs from 'snarkjs';

import { InvalidInputError } from '../errors';
import type { ModelSetup } from '../model/manifest';
import type { ModelPaths } from '../paths';
import type { QuantProgram } from '../quantize/types';
import { setupModel, type SetupModelParameters, type SetupModelReturnType } from '../setupModel';
import type { Groth16ProverProcess } from '../toolchain/prover';
import { sourcesSha256 } from '../toolchain/sourcesSha256';
import { verifyGroth16 } from '../verify/groth16';
import { BATCH_PUBLIC_SIGNALS, buildBatchR1cs, synthesizeBatch, type BatchSlot } from './batchCircuit';
import type { BatchJob } from './batchHash';

/**
 * Batch sizes the compiler builds. At most 64: the L2 release recomputes the batch's Poseidon chain and pays every
 * job in one transaction (~195k L2 gas per job), which must fit an L2 block (30M gas); ModelRegistry.MAX_BATCH_SIZE
 * is the same bound.
 */
export const BATCH_SIZE_RANGE = [1, 64] as const;

/** What a batch circuit is: its model, K, its size and (after setup) its keys' record. */
export type BatchManifest = {
  name: string;
  modelId: string;
  batchSize: number;
  constraints: number;
  r1csSha256: string;
  /** The batch circuit builder's own sources (circuits/src/batch): a change to them names a new batch circuit. */
  builderSha256: string;
  publicSignals: typeof BATCH_PUBLIC_SIGNALS;
  setup?: ModelSetup;
};

export type CompiledBatch = { manifest: BatchManifest; paths: ModelPaths };

type ModelForBatch = { manifest: { name: string; modelId: string }; paths: ModelPaths; program: QuantProgram };

/** Files of a model's batch circuit of K slots, beside the model's own build. */
export function batchPaths(model: { paths: ModelPaths }, K: number): ModelPaths {
  const dir = join(model.paths.dir, `batch-${K}`);
  return {
    dir,
    r1cs: join(dir, 'batch.r1cs'),
    zkey: join(dir, 'batch.zkey'),
    vkey: join(dir, 'verification_key.json'),
    verifierSol: join(dir, 'Groth16Verifier.sol'),
    manifest: join(dir, 'manifest.json'),
    program: model.paths.program,
  };
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Hash of circuits/src/batch's sources; the model's build directory already follows circuits/src/r1cs. */
const batchBuilderSha256 = (): string => sourcesSha256(__dirname);

/**
 * The r1cs of K copies of a compiled model (batchCircuit.ts), cached beside the model: the model's build directory
 * is named by its circuit's hash, so the batch circuit follows the model.
 */
export function compileBatch(model: ModelForBatch, K: number): CompiledBatch {
  const [min, max] = BATCH_SIZE_RANGE;
  if (!Number.isInteger(K) || K < min || K > max)
    throw new InvalidInputError(`the batch size must be an integer in [${min}, ${max}], got ${K}`);
  const paths = batchPaths(model, K);
  if (existsSync(paths.manifest) && existsSync(paths.r1cs)) {
    const manifest = JSON.parse(readFileSync(paths.manifest, 'utf8')) as BatchManifest;
    if (manifest.builderSha256 === batchBuilderSha256() && manifest.r1csSha256 === sha256(readFileSync(paths.r1cs)))
      return { manifest, paths };
  }
  const built = buildBatchR1cs(model.program, BigInt(model.manifest.modelId), K);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(`${paths.r1cs}.tmp`, built.r1cs);
  renameSync(`${paths.r1cs}.tmp`, paths.r1cs);
  const manifest: BatchManifest = {
    name: `${model.manifest.name} ×${K}`,
    modelId: model.manifest.modelId,
    batchSize: K,
    constraints: built.constraints,
    r1csSha256: sha256(built.r1cs),
    builderSha256: batchBuilderSha256(),
    publicSignals: BATCH_PUBLIC_SIGNALS,
  };
  writeFileSync(paths.manifest, JSON.stringify(manifest, null, 2) + '\n');
  return { manifest, paths };
}

/** The batch circuit's Groth16 setup: the same paths (ceremony + phase 2, or INSECURE development) as a model's. */
export function setupBatch(
  batch: CompiledBatch,
  options: Omit<SetupModelParameters, 'model'> = {},
): Promise<SetupModelReturnType> {
  return setupModel({ ...options, model: batch });
}

export type ProveBatchReturnType = {
  proof: snarkjs.Groth16Proof;
  /** modelId, count, batchHash (decimal strings). */
  publicSignals: string[];
  jobs: BatchJob[];
  batchHash: bigint;
  /** Seconds for the witness and for snarkjs's prove. */
  witnessSeconds: number;
  proveSeconds: number;
};

export type ProveBatchOptions = {
  /**
   * Prove in this child process instead of on the caller's event loop (a batch of 32 takes seconds of snarkjs). The
   * child builds the witness from the program file at `batch.paths.program`, which must hold `program`.
   */
  proverProcess?: Groth16ProverProcess;
};

/**
 * A batch proof of the jobs (1 to K) a prover served: the witness from the program, snarkjs's Groth16 prove, and
 * the proof checked against the batch key before anyone sees it.
 */
export async function proveBatch(
  batch: CompiledBatch,
  program: QuantProgram,
  slots: readonly BatchSlot[],
  options: ProveBatchOptions = {},
): Promise<ProveBatchReturnType> {
  if (!batch.manifest.setup) throw new InvalidInputError(`batch circuit ${batch.manifest.name} has no setup yet`);
  if (options.proverProcess) return options.proverProcess.proveBatch(batch, slots);
  const started = performance.now();
  const { cs, jobs, batchHash } = synthesizeBatch({
    program,
    modelId: BigInt(batch.manifest.modelId),
    size: batch.manifest.batchSize,
    slots,
    mode: 'witness',
  });
  const witnessAt = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove(batch.paths.zkey, {
    type: 'mem',
    data: new Uint8Array(cs.wtns()),
  });
  const provedAt = performance.now();
  const vkey = JSON.parse(readFileSync(batch.paths.vkey, 'utf8')) as snarkjs.VerificationKey;
  if (!(await verifyGroth16(vkey, publicSignals, proof)))
    throw new InvalidInputError("the batch proof does not verify: the model's program is not the circuit of this batch key");
  return {
    proof,
    publicSignals,
    jobs,
    batchHash,
    witnessSeconds: (witnessAt - started) / 1000,
    proveSeconds: (provedAt - witnessAt) / 1000,
  };
}
