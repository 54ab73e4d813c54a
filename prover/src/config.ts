import { z } from 'zod';

import { parseEnv } from '@verity/core';

/** The prover daemon's typed config: the one place it reads process.env. */
const envSchema = z.object({
  PROVER_SEQUENCER_URL: z.string().url().default('http://127.0.0.1:3000'),
  PROVER_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

export type ProverConfig = Readonly<{
  sequencerUrl: string;
  heartbeatMs: number;
  log: Readonly<{ level: string; format: 'json' | 'pretty' }>;
}>;

export const PROVER_CONFIG = Symbol('PROVER_CONFIG');

export function loadProverConfig(env: NodeJS.ProcessEnv = process.env): ProverConfig {
  const e = parseEnv(envSchema, env);
  return Object.freeze({
    sequencerUrl: e.PROVER_SEQUENCER_URL.replace(/\/$/, ''),
    heartbeatMs: e.PROVER_HEARTBEAT_MS,
    log: Object.freeze({ level: e.LOG_LEVEL, format: e.LOG_FORMAT }),
  });
}
