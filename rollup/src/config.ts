import { z } from 'zod';

import { parseEnv } from '@verity/core';

/**
 * The rollup processes' (devnet, relayer, proposer, challenger, bridge CLI) typed config. The one place that
 * reads process.env: parsed once, every bad variable listed together, returned frozen.
 */
const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const envSchema = z.object({
  DEVNET_DIR: z.string().min(1).default('.devnet'),
  DEVNET_HOST: z.string().min(1).default('127.0.0.1'),
  DEVNET_L1_PORT: int(0, 8545).pipe(z.number().max(65535)),
  DEVNET_L2_PORT: int(0, 9545).pipe(z.number().max(65535)),
  DEVNET_L1_BLOCK_TIME: int(0, 1),
  DEVNET_L2_BLOCK_TIME: int(0, 1),
  DEVNET_FINALIZATION_PERIOD_SECONDS: int(0, 12),
  DEVNET_SUBMISSION_INTERVAL: int(1, 2),
  RELAYER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/verity'),
  /**
   * L1 depth at which deposits are relayed: a block count, or 'finalized'. L2 cannot roll back, so production
   * relays at 'finalized'; the devnet's L1 never reorgs on its own and uses 1 (see RelayDepth in the relayer).
   */
  RELAYER_CONFIRMATIONS: z.union([z.literal('finalized'), z.coerce.number().int().min(0)]).default(1),
  ROLLUP_POLL_INTERVAL_MS: int(50, 500),
  BRIDGE_DEPLOYMENT_FILE: z.string().min(1).optional(),
  BRIDGE_PRIVATE_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte hex private key')
    .optional(),
  /** Unlocks a JSON keystore passed with --key-file (secret: no default). */
  BRIDGE_KEYSTORE_PASSWORD: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

export type RollupConfig = Readonly<{
  devnet: Readonly<{
    dir: string;
    host: string;
    l1Port: number;
    l2Port: number;
    l1BlockTime: number;
    l2BlockTime: number;
    finalizationPeriodSeconds: number;
    submissionInterval: number;
    stateFile: string;
  }>;
  relayer: Readonly<{ databaseUrl: string; confirmations: number | 'finalized' }>;
  pollIntervalMs: number;
  bridge: Readonly<{ deploymentFile: string; privateKey?: string; keystorePassword?: string }>;
  log: Readonly<{ level: string; format: 'json' | 'pretty' }>;
}>;

/** Rules that span fields (op-proposer's CLIConfig.Check). */
function check(env: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  if (env.DEVNET_L1_PORT !== 0 && env.DEVNET_L1_PORT === env.DEVNET_L2_PORT)
    problems.push('DEVNET_L1_PORT and DEVNET_L2_PORT must differ');
  return problems;
}

export function loadRollupConfig(env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): RollupConfig {
  const e = parseEnv(envSchema, env, check);
  return Object.freeze({
    devnet: Object.freeze({
      dir: e.DEVNET_DIR,
      host: e.DEVNET_HOST,
      l1Port: e.DEVNET_L1_PORT,
      l2Port: e.DEVNET_L2_PORT,
      l1BlockTime: e.DEVNET_L1_BLOCK_TIME,
      l2BlockTime: e.DEVNET_L2_BLOCK_TIME,
      finalizationPeriodSeconds: e.DEVNET_FINALIZATION_PERIOD_SECONDS,
      submissionInterval: e.DEVNET_SUBMISSION_INTERVAL,
      stateFile: `${e.DEVNET_DIR}/devnet.json`,
    }),
    relayer: Object.freeze({ databaseUrl: e.RELAYER_DATABASE_URL, confirmations: e.RELAYER_CONFIRMATIONS }),
    pollIntervalMs: e.ROLLUP_POLL_INTERVAL_MS,
    bridge: Object.freeze({
      deploymentFile: e.BRIDGE_DEPLOYMENT_FILE ?? `${e.DEVNET_DIR}/addresses.json`,
      privateKey: e.BRIDGE_PRIVATE_KEY,
      keystorePassword: e.BRIDGE_KEYSTORE_PASSWORD,
    }),
    log: Object.freeze({ level: e.LOG_LEVEL, format: e.LOG_FORMAT ?? (isTty ? 'pretty' : 'json') }),
  });
}
