import { join } from 'node:path';

import { JsonRpcProvider, NonceManager, Wallet, parseUnits } from 'ethers';

import { VerityToken__factory } from '@verity/contracts';
import { Challenger } from '../challenger/challenger';
import {
  DEVNET_L1_CHAIN_ID,
  ensureDatabase,
  DatabaseUnavailableError,
  createLogger,
  writeDeployment,
  type Deployment,
} from '@verity/core';
import type { PollLoopHealth } from '@verity/core';
import { AnvilStartError } from '../errors/rollup';
import { startRpcGateway, type RpcGateway } from '../gateway/rpcGateway';
import { OutputProposer } from '../proposer/outputProposer';
import { DepositRelayer, type RelayDepth } from '../relayer/depositRelayer';
import { RelayerStore } from '../relayer/relayerStore';
import { devnetRoleKey } from './accounts';
import { startAnvil, type Anvil } from './anvil';
import { deployL1, initializeL2OutputOracle, type L2OutputOracleStart } from './deployL1';
import { deployToken } from './deployToken';
import { deployVerity } from './deployVerity';
import { installPredeploys } from './installPredeploys';

export const L1_CHAIN_ID = DEVNET_L1_CHAIN_ID;
export const L2_CHAIN_ID = 901;

export type StartDevnetParameters = {
  /** Holds logs and the deployment file. */
  dir: string;
  /**
   * Bind address of the two RPC gateways, the only RPC the devnet publishes (0.0.0.0 in a container). The anvils
   * themselves always listen on 127.0.0.1: their cheat codes and unsigned deposit transactions must stay on this host.
   */
  host?: string;
  /** Ports of the L1 and L2 gateways; 0 picks free ones. */
  l1Port?: number;
  l2Port?: number;
  /** Seconds per L1 block after deployment; 0 keeps one block per transaction (tests step time by hand). */
  l1BlockTime: number;
  /** Seconds per L2 block after deployment; 0 keeps one block per transaction. */
  l2BlockTime: number;
  finalizationPeriodSeconds: number;
  submissionInterval: number;
  databaseUrl: string;
  /** Connections the relayer may open (1 for an embedded PGlite: one shared session). */
  databasePoolSize?: number;
  /** L1 depth at which deposits are relayed: 'finalized' in production, a few blocks on the devnet (see RelayDepth). */
  relayerConfirmations: RelayDepth;
  /** The market's parameters (devnet defaults: 1% fee, 60 s refund delay, 100 VTY minimum stake, 1 h unbonding). */
  market?: { feeBps?: number; refundDelaySeconds?: number; minProverStake?: bigint; unbondingDelaySeconds?: number };
  /** Start the relayer, proposer and challenger loops. Tests leave them off and call `step()` themselves. */
  runServices: boolean;
  pollIntervalMs?: number;
};

export type Devnet = {
  /** The anvils, on 127.0.0.1 only: for the devnet's own services and tests (cheat codes work here). */
  l1: Anvil;
  l2: Anvil;
  /** What the deployment file publishes: standard reads and signed transactions only. */
  gateways: { l1: RpcGateway; l2: RpcGateway };
  l1Provider: JsonRpcProvider;
  l2Provider: JsonRpcProvider;
  deployment: Deployment;
  deploymentFile: string;
  relayer: DepositRelayer;
  proposer: OutputProposer;
  challenger: Challenger;
  relayerStore: RelayerStore;
  /** Milliseconds from start to a deployed devnet. */
  bootMs: number;
  /** Each service loop's health, for the process to report (a halted relayer stays unhealthy until cleared). */
  health(): DevnetHealth;
  stop(): Promise<void>;
};

export type DevnetHealth = {
  healthy: boolean;
  relayer: PollLoopHealth;
  proposer: PollLoopHealth;
  challenger: PollLoopHealth;
};

/** VTY minted at deployment (1e9 VTY); the demo accounts get a share on L1. */
export const VTY_SUPPLY = parseUnits('1000000000', 18);
export const VTY_DEMO_GRANT = parseUnits('10000', 18);

/**
 * Boots the local OP Stack: anvil L1 (900) and anvil --network optimism L2 (901), the Bedrock L1 contracts,
 * the L2 predeploys, VTY on both sides, then the relayer, proposer and challenger.
 */
export async function startDevnet(parameters: StartDevnetParameters): Promise<Devnet> {
  const log = createLogger('Devnet');
  const started = Date.now();
  // Deploy on automine (one block per tx), switch to interval mining afterwards: ~50 deploy txs would
  // otherwise wait a block time each.
  const l1 = await startAnvil({ name: 'l1', chainId: L1_CHAIN_ID, port: 0, logFile: join(parameters.dir, 'l1.log') });
  let l2: Anvil | undefined;
  const gateways: Partial<Devnet['gateways']> = {};
  try {
    l2 = await startAnvil({ name: 'l2', chainId: L2_CHAIN_ID, port: 0, optimism: true, logFile: join(parameters.dir, 'l2.log') });
    const host = parameters.host ?? '127.0.0.1';
    gateways.l1 = await startRpcGateway({ upstreamUrl: l1.rpcUrl, host, port: parameters.l1Port ?? 0 });
    gateways.l2 = await startRpcGateway({ upstreamUrl: l2.rpcUrl, host, port: parameters.l2Port ?? 0 });
    return await deployAndRun(parameters, l1, l2, gateways as Devnet['gateways'], started, log);
  } catch (err) {
    await Promise.allSettled([gateways.l1?.stop(), gateways.l2?.stop()]);
    await l2?.stop();
    await l1.stop();
    throw err;
  }
}

async function deployAndRun(
  parameters: StartDevnetParameters,
  l1: Anvil,
  l2: Anvil,
  gateways: Devnet['gateways'],
  started: number,
  log: ReturnType<typeof createLogger>,
): Promise<Devnet> {
  const l1Provider = new JsonRpcProvider(l1.rpcUrl, L1_CHAIN_ID, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  const l2Provider = new JsonRpcProvider(l2.rpcUrl, L2_CHAIN_ID, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  const l1Deployer = new NonceManager(new Wallet(devnetRoleKey('deployer'), l1Provider));
  const l2Deployer = new NonceManager(new Wallet(devnetRoleKey('deployer'), l2Provider));
  const roles = {
    deployer: new Wallet(devnetRoleKey('deployer')).address,
    proposer: new Wallet(devnetRoleKey('proposer')).address,
    challenger: new Wallet(devnetRoleKey('challenger')).address,
    guardian: new Wallet(devnetRoleKey('guardian')).address,
    treasury: new Wallet(devnetRoleKey('treasury')).address,
    sequencer: new Wallet(devnetRoleKey('sequencer')).address,
  };

  const l2BlockTime = Math.max(1, parameters.l2BlockTime);
  const oracleSettings = {
    proposer: roles.proposer,
    challenger: roles.challenger,
    submissionInterval: parameters.submissionInterval,
    l2BlockTime,
    finalizationPeriodSeconds: parameters.finalizationPeriodSeconds,
  };
  // The oracle is installed last (below), once L2 mines on its interval: see L2OutputOracleStart.
  const l1Contracts = await deployL1({ deployer: l1Deployer, guardian: roles.guardian, ...oracleSettings });
  const l2Contracts = await installPredeploys({ l2Provider, deployer: l2Deployer, l1Contracts });
  const vty = await deployToken({ l1Deployer, l2Deployer, holder: roles.treasury, supply: VTY_SUPPLY });

  const treasury = VerityToken__factory.connect(vty.l1, new NonceManager(new Wallet(devnetRoleKey('treasury'), l1Provider)));
  for (const role of ['alice', 'bob', 'prover'] as const) {
    const to = new Wallet(devnetRoleKey(role)).address;
    await (await treasury.transfer(to, VTY_DEMO_GRANT)).wait();
  }
  const verity = await deployVerity({
    l1Deployer,
    l2Deployer,
    l2Token: vty.l2,
    l1CrossDomainMessenger: l1Contracts.L1CrossDomainMessenger,
    treasury: roles.treasury,
    feeBps: parameters.market?.feeBps ?? 100,
    refundDelaySeconds: parameters.market?.refundDelaySeconds ?? 60,
    minProverStake: parameters.market?.minProverStake ?? parseUnits('100', 18),
    unbondingDelaySeconds: parameters.market?.unbondingDelaySeconds ?? 3600,
    releaseGasLimit: 100_000,
  });

  const deployment: Deployment = {
    l1: { chainId: L1_CHAIN_ID, rpcUrl: gateways.l1.url, contracts: l1Contracts },
    l2: { chainId: L2_CHAIN_ID, rpcUrl: gateways.l2.url, contracts: l2Contracts },
    tokens: { VTY: vty },
    roles,
    verity,
    rollup: {
      finalizationPeriodSeconds: parameters.finalizationPeriodSeconds,
      submissionInterval: parameters.submissionInterval,
      l2BlockTime,
    },
  };

  let l2Start: L2OutputOracleStart;
  if (parameters.l2BlockTime > 0) {
    await l2Provider.send('evm_setIntervalMining', [parameters.l2BlockTime]);
    // Each block then adds exactly l2BlockTime seconds, the rate the oracle's computeL2Timestamp assumes, so its
    // "cannot propose L2 output in the future" check refuses outputs for blocks L2 has not mined.
    await l2Provider.send('anvil_setBlockTimestampInterval', [parameters.l2BlockTime]);
    const head = await l2Provider.getBlock('latest');
    if (!head) throw new AnvilStartError('l2', { details: 'no head block after switching to interval mining' });
    l2Start = { l2StartingBlockNumber: BigInt(head.number), l2StartingTimestamp: BigInt(head.timestamp) };
  } else {
    // One L2 block per transaction outruns any block time: start the oracle's clock 30 days in the past (room for
    // ~2.6M L2 blocks) and leave future outputs to the challenger.
    const l1Now = BigInt((await l1Provider.getBlock('latest'))?.timestamp ?? Math.floor(Date.now() / 1000));
    l2Start = { l2StartingBlockNumber: 0n, l2StartingTimestamp: l1Now - 30n * 24n * 3600n };
  }
  await initializeL2OutputOracle({
    deployer: l1Deployer,
    l2OutputOracle: l1Contracts.L2OutputOracle,
    ...oracleSettings,
    ...l2Start,
  });
  if (parameters.l1BlockTime > 0) await l1Provider.send('evm_setIntervalMining', [parameters.l1BlockTime]);
  // Written once everything it names is installed.
  const deploymentFile = join(parameters.dir, 'addresses.json');
  writeDeployment(deploymentFile, deployment);

  const relayerStore = new RelayerStore({ connectionString: parameters.databaseUrl, max: parameters.databasePoolSize ?? 2 });
  try {
    await ensureDatabase(parameters.databaseUrl);
    await relayerStore.migrate();
  } catch (err) {
    await relayerStore.close().catch(() => undefined);
    throw new DatabaseUnavailableError(parameters.databaseUrl, { cause: err });
  }

  const relayer = new DepositRelayer({
    l1Provider,
    l2Provider,
    portal: l1Contracts.OptimismPortal,
    store: relayerStore,
    confirmations: parameters.relayerConfirmations,
    pollIntervalMs: parameters.pollIntervalMs,
  });
  const proposer = new OutputProposer({
    l1Provider,
    l2Provider,
    // Plain wallets: each step sends one tx at a time and asks the node for the nonce, so a restart or another
    // sender with the same key never leaves a stale cached nonce behind.
    proposer: new Wallet(devnetRoleKey('proposer'), l1Provider),
    l2OutputOracle: l1Contracts.L2OutputOracle,
    pollIntervalMs: parameters.pollIntervalMs,
  });
  const challenger = new Challenger({
    l1Provider,
    l2Provider,
    challenger: new Wallet(devnetRoleKey('challenger'), l1Provider),
    l2OutputOracle: l1Contracts.L2OutputOracle,
    pollIntervalMs: parameters.pollIntervalMs,
  });
  const bootMs = Date.now() - started;
  log.info({ l1: gateways.l1.url, l2: gateways.l2.url, deploymentFile, bootMs }, 'devnet deployed');

  if (parameters.runServices) {
    relayer.start();
    proposer.start();
    challenger.start();
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.allSettled([relayer.stop(), proposer.stop(), challenger.stop()]);
      await relayerStore.close();
      l1Provider.destroy();
      l2Provider.destroy();
      await Promise.allSettled([gateways.l1.stop(), gateways.l2.stop()]);
      await Promise.allSettled([l1.stop(), l2.stop()]);
      log.info({}, 'devnet stopped');
    })());

  return {
    l1,
    l2,
    gateways,
    l1Provider,
    l2Provider,
    deployment,
    deploymentFile,
    relayer,
    proposer,
    challenger,
    relayerStore,
    bootMs,
    health: () => {
      const services = { relayer: relayer.health(), proposer: proposer.health(), challenger: challenger.health() };
      return { healthy: Object.values(services).every((h) => h.healthy), ...services };
    },
    stop,
  };
}
