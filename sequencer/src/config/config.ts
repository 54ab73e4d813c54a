import { z } from 'zod';

import { parseEnv } from '@verity/core';

/** The sequencer's typed config: the one place it reads process.env. Parsed once, frozen, every problem listed. */
const envSchema = z.object({
  SEQUENCER_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SEQUENCER_HOST: z.string().min(1).default('127.0.0.1'),
  SEQUENCER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/verity'),
  SEQUENCER_DEPLOYMENT_FILE: z.string().min(1).default('.devnet/addresses.json'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

export type SequencerConfig = Readonly<{
  http: Readonly<{ host: string; port: number }>;
  databaseUrl: string;
  deploymentFile: string;
  log: Readonly<{ level: string; format: 'json' | 'pretty' }>;
}>;

export const SEQUENCER_CONFIG = Symbol('SEQUENCER_CONFIG');

export function loadSequencerConfig(env: NodeJS.ProcessEnv = process.env): SequencerConfig {
  const e = parseEnv(envSchema, env);
  return Object.freeze({
    http: Object.freeze({ host: e.SEQUENCER_HOST, port: e.SEQUENCER_PORT }),
    databaseUrl: e.SEQUENCER_DATABASE_URL,
    deploymentFile: e.SEQUENCER_DEPLOYMENT_FILE,
    log: Object.freeze({ level: e.LOG_LEVEL, format: e.LOG_FORMAT }),
  });
}
