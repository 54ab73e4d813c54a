import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { z } from 'zod';

import { InvalidArgumentError } from './errors/base';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

export const l1ContractsSchema = z.object({
  SuperchainConfig: address,
  SystemConfig: address,
  L2OutputOracle: address,
  OptimismPortal: address,
  L1CrossDomainMessenger: address,
  L1StandardBridge: address,
  OptimismMintableERC20Factory: address,
});
export type L1Contracts = z.infer<typeof l1ContractsSchema>;

export const l2ContractsSchema = z.object({
  L2CrossDomainMessenger: address,
  L2StandardBridge: address,
  OptimismMintableERC20Factory: address,
  L1Block: address,
  L2ToL1MessagePasser: address,
});
export type L2Contracts = z.infer<typeof l2ContractsSchema>;

export const tokenSchema = z.object({ symbol: z.string(), decimals: z.number().int(), l1: address, l2: address });
export type TokenAddresses = z.infer<typeof tokenSchema>;

/** Verity's own contracts and the market's parameters (absent on a devnet deployed before they existed). */
export const verityContractsSchema = z.object({
  l1: z.object({ ModelRegistry: address, InferenceSettlement: address }),
  l2: z.object({ InferenceMarket: address, ProverRegistry: address }),
  market: z.object({
    feeBps: z.number().int().nonnegative(),
    refundDelaySeconds: z.number().int().nonnegative(),
    minProverStake: z.string().regex(/^\d+$/),
  }),
});
export type VerityContracts = z.infer<typeof verityContractsSchema>;

/**
 * The one deployment description every component reads (addresses, chain ids, RPC URLs, rollup parameters).
 * Written by `verity devnet up` or by a deploy script; never copied by hand.
 */
export const deploymentSchema = z.object({
  l1: z.object({ chainId: z.number().int(), rpcUrl: z.string().url(), contracts: l1ContractsSchema }),
  l2: z.object({ chainId: z.number().int(), rpcUrl: z.string().url(), contracts: l2ContractsSchema }),
  tokens: z.record(z.string(), tokenSchema),
  roles: z.object({
    deployer: address,
    proposer: address,
    challenger: address,
    guardian: address,
    treasury: address,
    sequencer: address.optional(),
  }),
  verity: verityContractsSchema.optional(),
  rollup: z.object({
    finalizationPeriodSeconds: z.number().int().nonnegative(),
    submissionInterval: z.number().int().positive(),
    l2BlockTime: z.number().int().positive(),
  }),
});
export type Deployment = z.infer<typeof deploymentSchema>;

export function writeDeployment(file: string, deployment: Deployment): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(deployment, null, 2) + '\n');
}

export function readDeployment(file: string): Deployment {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`cannot read deployment file ${file}`, { cause: err });
  }
  const parsed = deploymentSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidArgumentError(`deployment file ${file} is malformed`, { details: parsed.error.message });
  return parsed.data;
}

/**
 * The local devnet's L1 chain id (`verity devnet up`, `npm start`): the one chain where an INSECURE development setup
 * may be registered, and only when someone asks for it. Here so the sequencer, which may not import the rollup
 * package, knows it too.
 */
export const DEVNET_L1_CHAIN_ID = 900;
