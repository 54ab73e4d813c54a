import { homedir } from 'node:os';
import { join } from 'node:path';

import { z } from 'zod';

import { parseEnv } from '@verity/core';
import { loadRollupConfig, type RollupConfig } from '@verity/rollup';

/**
 * The CLI's typed config: the rollup processes' (devnet, relayer, bridge) plus what only the CLI reads. The one
 * place the CLI reads process.env.
 */
const envSchema = z.object({
  VERITY_SEQUENCER_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** Where the CLI keeps requests it submitted (salts, access tokens) and `npm start`'s local state. */
  VERITY_HOME: z.string().min(1).default(join(homedir(), '.verity')),
  /** A PostgreSQL for `npm start` (relayer and sequencer); unset: embedded PGlite under .verity/. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** The signer of job, market, model and prover commands (secret: no default; --key-file is safer). */
  VERITY_PRIVATE_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte hex private key')
    .optional(),
  VERITY_KEYSTORE_PASSWORD: z.string().min(1).optional(),
  VERITY_DEBUG: z.enum(['0', '1']).default('0'),
});

export type CliConfig = RollupConfig &
  Readonly<{
    cli: Readonly<{
      sequencerUrl: string;
      home: string;
      databaseUrl?: string;
      privateKey?: string;
      keystorePassword?: string;
      debug: boolean;
    }>;
  }>;

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): CliConfig {
  const rollup = loadRollupConfig(env, isTty);
  const e = parseEnv(envSchema, env);
  return Object.freeze({
    ...rollup,
    cli: Object.freeze({
      sequencerUrl: e.VERITY_SEQUENCER_URL.replace(/\/$/, ''),
      home: e.VERITY_HOME,
      databaseUrl: e.DATABASE_URL,
      // The bridge's variables keep working for every command.
      privateKey: e.VERITY_PRIVATE_KEY ?? rollup.bridge.privateKey,
      keystorePassword: e.VERITY_KEYSTORE_PASSWORD ?? rollup.bridge.keystorePassword,
      debug: e.VERITY_DEBUG === '1',
    }),
  });
}
