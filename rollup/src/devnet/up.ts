import { join } from 'node:path';

import { JsonRpcProvider, NonceManager, Wallet, parseUnits } from 'ethers';

import { VerityToken__factory } from '../../../contracts/build/types';
import { Challenger } from '../challenger/challenger';
import { ensureDatabase } from '../chain/ensureDatabase';
import { DatabaseUnavailableError } from '../errors/rollup';
import { createLogger } from '../logger';
import { OutputProposer } from '../proposer/outputProposer';
import { DepositRelayer } from '../relayer/depositRelayer';
import { RelayerStore } from '../relayer/relayerStore';
import { devnetRoleKey, DEVNET_ROLES } from './accounts';
import { writeDeployment, type Deployment } from './addresses';
import { startAnvil, type Anvil } from './anvil';
import { deployL1 } from './deployL1';
import { deployToken } from './deployToken';
import { installPredeploys } from './installPredeploys';

export const L1_CHAIN_ID = 900;
export const L2_CHAIN_ID = 901;

export type StartDevnetParameters = {
  /** Holds logs and the deployment file. */
  dir: string;
  /** Bind address of both anvils (RPC URLs in the deployment file still name 127.0.0.1). */
  host?: string;
  l1Port?: number;
  l2Port?: number;
  /** Seconds per L1 block after deployment; 0 keeps one block per transaction (tests step time by hand). */
  l1BlockTime: number;
  /** Seconds per L2 block after deployment; 0 keeps one block per transaction. */
  l2BlockTime: number;
  finalizationPeriodSeconds: number;
  submissionInterval: number;
  databaseUrl: string;
  relayerConfirmations: number;
  /** Start the relayer, proposer and challenger loops. Tests leave them off and call `step()` themselves. */
  runServices: boolean;
  pollIntervalMs?: number;
};

export type Devnet = {
  l1: Anvil;
  l2: Anvil;
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
  stop(): Promise<void>;
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
  const l1 = await startAnvil({
    name: 'l1',
    chainId: L1_CHAIN_ID,
    host: parameters.host,
    port: parameters.l1Port,
    logFile: join(parameters.dir, 'l1.log'),
  });
  let l2: Anvil | undefined;
  try {
    l2 = await startAnvil({
      name: 'l2',
      chainId: L2_CHAIN_ID,
      host: parameters.host,
      port: parameters.l2Port,
      optimism: true,
      logFile: join(parameters.dir, 'l2.log'),
    });
    return await deployAndRun(parameters, l1, l2, started, log);
  } catch (err) {
    await l2?.stop();
    await l1.stop();
    throw err;
  }
}

async function deployAndRun(
  parameters: StartDevnetParameters,
  l1: Anvil,
  l2: Anvil,
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
  };

  const l1Now = BigInt((await l1Provider.getBlock('latest'))?.timestamp ?? Math.floor(Date.now() / 1000));
  const l2BlockTime = Math.max(1, parameters.l2BlockTime);
  const l1Contracts = await deployL1({
    deployer: l1Deployer,
    proposer: roles.proposer,
    challenger: roles.challenger,
    guardian: roles.guardian,
    submissionInterval: parameters.submissionInterval,
    l2BlockTime,
    finalizationPeriodSeconds: parameters.finalizationPeriodSeconds,
    l2StartingBlockNumber: 0n,
    // 30 days in the past: room for ~2.6M L2 blocks at 1 s before the oracle's clock would overtake L1.
    l2StartingTimestamp: l1Now - 30n * 24n * 3600n,
  });
  const l2Contracts = await installPredeploys({ l2Provider, deployer: l2Deployer, l1Contracts });
  const vty = await deployToken({ l1Deployer, l2Deployer, holder: roles.treasury, supply: VTY_SUPPLY });

  const treasury = VerityToken__factory.connect(vty.l1, new NonceManager(new Wallet(devnetRoleKey('treasury'), l1Provider)));
  for (const index of [DEVNET_ROLES.alice, DEVNET_ROLES.bob]) {
    const to = new Wallet(devnetRoleKey(index === DEVNET_ROLES.alice ? 'alice' : 'bob')).address;
    await (await treasury.transfer(to, VTY_DEMO_GRANT)).wait();
  }

  const deployment: Deployment = {
    l1: { chainId: L1_CHAIN_ID, rpcUrl: l1.rpcUrl, contracts: l1Contracts },
    l2: { chainId: L2_CHAIN_ID, rpcUrl: l2.rpcUrl, contracts: l2Contracts },
    tokens: { VTY: vty },
    roles,
    rollup: {
      finalizationPeriodSeconds: parameters.finalizationPeriodSeconds,
      submissionInterval: parameters.submissionInterval,
      l2BlockTime,
    },
  };
  const deploymentFile = join(parameters.dir, 'addresses.json');
  writeDeployment(deploymentFile, deployment);

  if (parameters.l1BlockTime > 0) await l1Provider.send('evm_setIntervalMining', [parameters.l1BlockTime]);
  if (parameters.l2BlockTime > 0) await l2Provider.send('evm_setIntervalMining', [parameters.l2BlockTime]);

  const relayerStore = new RelayerStore(parameters.databaseUrl);
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
  log.info({ l1: l1.rpcUrl, l2: l2.rpcUrl, deploymentFile, bootMs }, 'devnet deployed');

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
      await Promise.allSettled([l1.stop(), l2.stop()]);
      log.info({}, 'devnet stopped');
    })());

  return {
    l1,
    l2,
    l1Provider,
    l2Provider,
    deployment,
    deploymentFile,
    relayer,
    proposer,
    challenger,
    relayerStore,
    bootMs,
    stop,
  };
}
