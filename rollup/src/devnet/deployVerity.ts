import type { Signer } from 'ethers';

import {
  InferenceMarket__factory,
  InferenceSettlement__factory,
  ModelRegistry__factory,
  PoseidonT6__factory,
  ProverRegistry__factory,
} from '@verity/contracts';
import type { VerityContracts } from '@verity/core';
import { PREDEPLOYS } from './predeploys';

export type DeployVerityParameters = {
  l1Deployer: Signer;
  l2Deployer: Signer;
  /** The L2 VTY twin (escrow, rewards and stakes are in it). */
  l2Token: string;
  l1CrossDomainMessenger: string;
  treasury: string;
  /** Protocol fee in basis points of the reward. */
  feeBps: number;
  /** Seconds after a deadline before an open job may be refunded (so a release in flight can land). */
  refundDelaySeconds: number;
  minProverStake: bigint;
  unbondingDelaySeconds: number;
  /** L2 gas the settlement's message asks for (recordSettledBatch needs ~53k). */
  releaseGasLimit: number;
  /**
   * Seconds from a model's deactivation request to its effect on L1 (default 1 day). It must cover a lease, the
   * settle batch's age and L1 inclusion, so jobs proven before the request still settle; see ModelRegistry.
   */
  modelDeactivationDelaySeconds?: number;
};

/** One day: hours more than a lease plus a settle round needs, short enough to withdraw a broken model. */
export const DEFAULT_MODEL_DEACTIVATION_DELAY_SECONDS = 86_400;

export type DeployVerityReturnType = VerityContracts;

/**
 * Verity's own contracts: ModelRegistry and InferenceSettlement on L1, InferenceMarket and ProverRegistry on L2.
 * The market and the settlement name each other; the market is deployed first and learns the settlement's address
 * through its one-time `setL1Settlement`.
 */
export async function deployVerity(parameters: DeployVerityParameters): Promise<DeployVerityReturnType> {
  const { l1Deployer, l2Deployer } = parameters;
  const admin = await l2Deployer.getAddress();

  // The market recomputes proven batches' hashes with it (the batch circuit's Poseidon).
  const poseidon = await new PoseidonT6__factory(l2Deployer).deploy();
  await poseidon.waitForDeployment();
  const market = await new InferenceMarket__factory(l2Deployer).deploy(
    parameters.l2Token,
    PREDEPLOYS.L2CrossDomainMessenger,
    parameters.treasury,
    parameters.feeBps,
    parameters.refundDelaySeconds,
    admin,
    await poseidon.getAddress(),
  );
  await market.waitForDeployment();
  const proverRegistry = await new ProverRegistry__factory(l2Deployer).deploy(
    parameters.l2Token,
    parameters.minProverStake,
    parameters.unbondingDelaySeconds,
    admin,
  );
  await proverRegistry.waitForDeployment();

  const registry = await new ModelRegistry__factory(l1Deployer).deploy(
    await l1Deployer.getAddress(),
    parameters.modelDeactivationDelaySeconds ?? DEFAULT_MODEL_DEACTIVATION_DELAY_SECONDS,
  );
  await registry.waitForDeployment();
  const settlement = await new InferenceSettlement__factory(l1Deployer).deploy(
    await registry.getAddress(),
    parameters.l1CrossDomainMessenger,
    await market.getAddress(),
    parameters.releaseGasLimit,
  );
  await settlement.waitForDeployment();
  await (await market.setL1Settlement(await settlement.getAddress())).wait();

  return {
    l1: { ModelRegistry: await registry.getAddress(), InferenceSettlement: await settlement.getAddress() },
    l2: { InferenceMarket: await market.getAddress(), ProverRegistry: await proverRegistry.getAddress() },
    market: {
      feeBps: parameters.feeBps,
      refundDelaySeconds: parameters.refundDelaySeconds,
      minProverStake: parameters.minProverStake.toString(),
    },
  };
}
