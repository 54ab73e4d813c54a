import type { Signer } from 'ethers';

import {
  L1CrossDomainMessenger__factory,
  L1StandardBridge__factory,
  L2OutputOracle__factory,
  OptimismMintableERC20Factory__factory,
  OptimismPortal__factory,
  Proxy__factory,
  SuperchainConfig__factory,
  SystemConfig__factory,
} from '@verity/contracts';
import type { L1Contracts } from '@verity/core';

export type DeployL1Parameters = {
  deployer: Signer;
  proposer: string;
  challenger: string;
  guardian: string;
  submissionInterval: number;
  l2BlockTime: number;
  finalizationPeriodSeconds: number;
  /**
   * Where the oracle's L2 clock starts. Omit it to leave the L2OutputOracle proxy without an implementation and
   * install it later with `initializeL2OutputOracle`, once the L2 head it should start from is known.
   */
  l2Start?: L2OutputOracleStart;
};

/**
 * L2OutputOracle refuses an output whose computed timestamp, startingTimestamp + (n - startingBlockNumber) *
 * l2BlockTime, is not before the L1 block's. That guards against outputs for blocks that do not exist yet only when
 * the formula is L2's real clock: start at an L2 block and its timestamp, and have L2 add exactly l2BlockTime per
 * block. When anvil mines an L2 block per transaction (faster than any block time), the formula overtakes L1 and
 * refuses honest outputs: then the clock starts well in the past and the challenger alone guards against them.
 */
export type L2OutputOracleStart = {
  /** L2 block the oracle starts counting from. */
  l2StartingBlockNumber: bigint;
  /** Timestamp of that block. */
  l2StartingTimestamp: bigint;
};

export type DeployL1ReturnType = L1Contracts;

/** OP's default ResourceMetering config; SystemConfig needs gasLimit >= maxResourceLimit + systemTxMaxGas. */
const RESOURCE_CONFIG = {
  maxResourceLimit: 20_000_000,
  elasticityMultiplier: 10,
  baseFeeMaxChangeDenominator: 8,
  minimumBaseFee: 1_000_000_000,
  systemTxMaxGas: 1_000_000,
  maximumBaseFee: (1n << 128n) - 1n,
};
const L2_GAS_LIMIT = 30_000_000n;

/**
 * Deploys the OP Bedrock L1 contracts from the contracts-bedrock artifacts: one ERC-1967 Proxy each (admin: the
 * deployer), then each implementation installed with `upgradeToAndCall(initialize)`. Proxies come first because
 * SystemConfig and the messenger need each other's addresses.
 */
export async function deployL1(parameters: DeployL1Parameters): Promise<DeployL1ReturnType> {
  const { deployer } = parameters;
  const admin = await deployer.getAddress();

  const names = [
    'SuperchainConfig',
    'SystemConfig',
    'L2OutputOracle',
    'OptimismPortal',
    'L1CrossDomainMessenger',
    'L1StandardBridge',
    'OptimismMintableERC20Factory',
  ] as const;
  const proxies = {} as Record<(typeof names)[number], string>;
  for (const name of names) {
    const proxy = await new Proxy__factory(deployer).deploy(admin);
    await proxy.waitForDeployment();
    proxies[name] = await proxy.getAddress();
  }

  const install = async (name: (typeof names)[number], implementation: string, initData: string): Promise<void> => {
    const tx = await Proxy__factory.connect(proxies[name], deployer).upgradeToAndCall(implementation, initData);
    await tx.wait();
  };
  const deployImpl = async <
    T extends { deploy(): Promise<{ waitForDeployment(): Promise<unknown>; getAddress(): Promise<string> }> },
  >(
    factory: T,
  ): Promise<string> => {
    const c = await factory.deploy();
    await c.waitForDeployment();
    return c.getAddress();
  };

  await install(
    'SuperchainConfig',
    await deployImpl(new SuperchainConfig__factory(deployer)),
    SuperchainConfig__factory.createInterface().encodeFunctionData('initialize', [parameters.guardian, false]),
  );

  if (parameters.l2Start)
    await initializeL2OutputOracle({ ...parameters, ...parameters.l2Start, l2OutputOracle: proxies.L2OutputOracle });

  const zero = '0x0000000000000000000000000000000000000000';
  await install(
    'SystemConfig',
    await deployImpl(new SystemConfig__factory(deployer)),
    SystemConfig__factory.createInterface().encodeFunctionData('initialize', [
      admin,
      0,
      0,
      '0x' + '00'.repeat(32),
      L2_GAS_LIMIT,
      zero,
      RESOURCE_CONFIG,
      '0xff00000000000000000000000000000000000901',
      {
        l1CrossDomainMessenger: proxies.L1CrossDomainMessenger,
        l1ERC721Bridge: zero,
        l1StandardBridge: proxies.L1StandardBridge,
        disputeGameFactory: zero,
        optimismPortal: proxies.OptimismPortal,
        optimismMintableERC20Factory: proxies.OptimismMintableERC20Factory,
        gasPayingToken: zero,
      },
    ]),
  );

  await install(
    'OptimismPortal',
    await deployImpl(new OptimismPortal__factory(deployer)),
    OptimismPortal__factory.createInterface().encodeFunctionData('initialize', [
      proxies.L2OutputOracle,
      proxies.SystemConfig,
      proxies.SuperchainConfig,
    ]),
  );

  await install(
    'L1CrossDomainMessenger',
    await deployImpl(new L1CrossDomainMessenger__factory(deployer)),
    L1CrossDomainMessenger__factory.createInterface().encodeFunctionData('initialize', [
      proxies.SuperchainConfig,
      proxies.OptimismPortal,
      proxies.SystemConfig,
    ]),
  );

  await install(
    'L1StandardBridge',
    await deployImpl(new L1StandardBridge__factory(deployer)),
    L1StandardBridge__factory.createInterface().encodeFunctionData('initialize', [
      proxies.L1CrossDomainMessenger,
      proxies.SuperchainConfig,
      proxies.SystemConfig,
    ]),
  );

  await install(
    'OptimismMintableERC20Factory',
    await deployImpl(new OptimismMintableERC20Factory__factory(deployer)),
    OptimismMintableERC20Factory__factory.createInterface().encodeFunctionData('initialize', [proxies.L1StandardBridge]),
  );

  return proxies;
}

export type InitializeL2OutputOracleParameters = {
  deployer: Signer;
  /** The oracle's proxy (admin: the deployer), as deployL1 left it. */
  l2OutputOracle: string;
  proposer: string;
  challenger: string;
  submissionInterval: number;
  l2BlockTime: number;
  finalizationPeriodSeconds: number;
} & L2OutputOracleStart;

export type InitializeL2OutputOracleReturnType = void;

/**
 * Installs the L2OutputOracle implementation behind its proxy with `initialize`. deployL1 calls it when given a
 * start; the devnet boot calls it itself, last, once L2 mines on its interval and the head to start from is known.
 */
export async function initializeL2OutputOracle(
  parameters: InitializeL2OutputOracleParameters,
): Promise<InitializeL2OutputOracleReturnType> {
  const { deployer } = parameters;
  const implementation = await new L2OutputOracle__factory(deployer).deploy();
  await implementation.waitForDeployment();
  const initData = L2OutputOracle__factory.createInterface().encodeFunctionData('initialize', [
    parameters.submissionInterval,
    parameters.l2BlockTime,
    parameters.l2StartingBlockNumber,
    parameters.l2StartingTimestamp,
    parameters.proposer,
    parameters.challenger,
    parameters.finalizationPeriodSeconds,
  ]);
  const tx = await Proxy__factory.connect(parameters.l2OutputOracle, deployer).upgradeToAndCall(
    await implementation.getAddress(),
    initData,
  );
  await tx.wait();
}
