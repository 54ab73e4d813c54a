import { homedir } from 'node:os';
import { join } from 'node:path';

import { z } from 'zod';

import { parseEnv } from '@verity/core';

/** The prover daemon's typed config: the one place it reads process.env. */
const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const envSchema = z.object({
  PROVER_SEQUENCER_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** The staked key (secret: no default). `verity prover start --key-file` is the safer way to pass it. */
  PROVER_PRIVATE_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte hex private key')
    .optional(),
  /** Comma-separated model ids to serve; empty serves every model the sequencer lists. */
  PROVER_MODELS: z
    .string()
    .regex(/^(\d+(,\d+)*)?$/, 'must be comma-separated decimal model ids')
    .default(''),
  PROVER_CONCURRENCY: int(1, 1).pipe(z.number().max(64)),
  PROVER_CACHE_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.cache', 'verity', 'models')),
  /** The deployment (addresses JSON) naming the L2 market and chain this prover serves and registers for. */
  PROVER_DEPLOYMENT_FILE: z.string().min(1).default('.devnet/addresses.json'),
  PROVER_POLL_INTERVAL_MS: int(20, 500),
  PROVER_HEARTBEAT_MS: int(100, 5000),
  /** Serve the sequencer's batch proof requests (one proof for up to K jobs this prover proved), beside the jobs. */
  PROVER_BATCH_PROOFS: z.enum(['on', 'off']).default('on'),
  PROVER_BATCH_POLL_INTERVAL_MS: int(20, 2000),
  /** onnxruntime execution provider for the float reference run: auto tries CUDA, then the CPU. */
  PROVER_EXECUTION_PROVIDER: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

export type ProverConfig = Readonly<{
  sequencerUrl: string;
  privateKey?: string;
  models: string[];
  concurrency: number;
  cacheDir: string;
  deploymentFile: string;
  pollIntervalMs: number;
  heartbeatMs: number;
  batchProofs: boolean;
  batchPollIntervalMs: number;
  executionProvider: 'auto' | 'cuda' | 'cpu';
  log: Readonly<{ level: string; format: 'json' | 'pretty' }>;
}>;

export function loadProverConfig(env: NodeJS.ProcessEnv = process.env): ProverConfig {
  const e = parseEnv(envSchema, env);
  return Object.freeze({
    sequencerUrl: e.PROVER_SEQUENCER_URL.replace(/\/$/, ''),
    privateKey: e.PROVER_PRIVATE_KEY,
    models: e.PROVER_MODELS ? e.PROVER_MODELS.split(',') : [],
    concurrency: e.PROVER_CONCURRENCY,
    cacheDir: e.PROVER_CACHE_DIR,
    deploymentFile: e.PROVER_DEPLOYMENT_FILE,
    pollIntervalMs: e.PROVER_POLL_INTERVAL_MS,
    heartbeatMs: e.PROVER_HEARTBEAT_MS,
    batchProofs: e.PROVER_BATCH_PROOFS === 'on',
    batchPollIntervalMs: e.PROVER_BATCH_POLL_INTERVAL_MS,
    executionProvider: e.PROVER_EXECUTION_PROVIDER,
    log: Object.freeze({ level: e.LOG_LEVEL, format: e.LOG_FORMAT }),
  });
}
