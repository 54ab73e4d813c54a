import { mkdirSync } from 'node:fs';

import { JsonRpcProvider } from 'ethers';
import type { Command } from 'commander';

import { L2OutputOracle__factory } from '../../../contracts/build/types';
import type { RollupConfig } from '../config';
import { devnetRoleKey, DEVNET_ROLES } from '../devnet/accounts';
import { readDeployment } from '../devnet/addresses';
import { clearDevnetState, isProcessAlive, readDevnetState, writeDevnetState } from '../devnet/devnetState';
import { startDevnet, type Devnet } from '../devnet/up';
import { DevnetAlreadyRunningError, DevnetNotRunningError } from '../errors/rollup';
import { Wallet } from 'ethers';
import { say, table } from './output';

/** Boots the devnet with its services and records who runs it; resolves once everything is up. */
export async function bootDevnet(config: RollupConfig, onCritical: (err: unknown) => void): Promise<Devnet> {
  const previous = readDevnetState(config.devnet.stateFile);
  if (previous && isProcessAlive(previous.pid)) throw new DevnetAlreadyRunningError(previous.pid);
  mkdirSync(config.devnet.dir, { recursive: true });
  const devnet = await startDevnet({
    dir: config.devnet.dir,
    host: config.devnet.host,
    l1Port: config.devnet.l1Port,
    l2Port: config.devnet.l2Port,
    l1BlockTime: config.devnet.l1BlockTime,
    l2BlockTime: config.devnet.l2BlockTime,
    finalizationPeriodSeconds: config.devnet.finalizationPeriodSeconds,
    submissionInterval: config.devnet.submissionInterval,
    databaseUrl: config.relayer.databaseUrl,
    relayerConfirmations: config.relayer.confirmations,
    pollIntervalMs: config.pollIntervalMs,
    runServices: false,
  });
  devnet.relayer.start(onCritical);
  devnet.proposer.start(onCritical);
  devnet.challenger.start(onCritical);
  writeDevnetState(config.devnet.stateFile, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    l1RpcUrl: devnet.l1.rpcUrl,
    l2RpcUrl: devnet.l2.rpcUrl,
    deploymentFile: devnet.deploymentFile,
  });
  return devnet;
}

export function printDevnetSummary(devnet: Devnet): void {
  const d = devnet.deployment;
  say(`devnet up in ${(devnet.bootMs / 1000).toFixed(1)} s`);
  table([
    ['L1 (chain 900)', d.l1.rpcUrl],
    ['L2 (chain 901)', d.l2.rpcUrl],
    ['addresses', devnet.deploymentFile],
    ['VTY on L1', d.tokens.VTY?.l1 ?? '-'],
    ['VTY on L2', d.tokens.VTY?.l2 ?? '-'],
    ['OptimismPortal', d.l1.contracts.OptimismPortal],
    ['L2OutputOracle', d.l1.contracts.L2OutputOracle],
    ['finalization window', `${d.rollup.finalizationPeriodSeconds} s`],
    [
      'demo accounts',
      `alice ${new Wallet(devnetRoleKey('alice')).address} (anvil #${DEVNET_ROLES.alice}), bob ${new Wallet(devnetRoleKey('bob')).address} (anvil #${DEVNET_ROLES.bob})`,
    ],
  ]);
}

/** Resolves on SIGINT or SIGTERM (or when `trigger` is called), then stops the devnet and clears its state. */
export async function runUntilSignal(config: RollupConfig, devnet: Devnet, stopped: Promise<unknown>): Promise<void> {
  await Promise.race([
    stopped,
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }),
  ]);
  say('stopping devnet…');
  await devnet.stop();
  clearDevnetState(config.devnet.stateFile);
}

export function registerDevnetCommands(program: Command, getConfig: () => RollupConfig): void {
  const devnet = program
    .command('devnet')
    .description('the local OP Stack: anvil L1 + L2, OP contracts, relayer, proposer, challenger');

  devnet
    .command('up')
    .description('start the devnet in the foreground (Ctrl-C or `verity devnet down` stops it)')
    .action(async () => {
      const config = getConfig();
      let critical: (err: unknown) => void = () => undefined;
      const stopped = new Promise((resolve) => (critical = resolve));
      const running = await bootDevnet(config, critical);
      printDevnetSummary(running);
      say('running; Ctrl-C or `verity devnet down` to stop');
      await runUntilSignal(config, running, stopped);
    });

  devnet
    .command('down')
    .description('stop the running devnet')
    .action(async () => {
      const config = getConfig();
      const state = readDevnetState(config.devnet.stateFile);
      if (!state || !isProcessAlive(state.pid)) {
        clearDevnetState(config.devnet.stateFile);
        throw new DevnetNotRunningError();
      }
      process.kill(state.pid, 'SIGTERM');
      const deadline = Date.now() + 15_000;
      while (isProcessAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (isProcessAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
      clearDevnetState(config.devnet.stateFile);
      say(`devnet stopped (pid ${state.pid})`);
    });

  devnet
    .command('status')
    .description('show whether the devnet runs, its chains and the latest output')
    .action(async () => {
      const config = getConfig();
      const state = readDevnetState(config.devnet.stateFile);
      if (!state || !isProcessAlive(state.pid)) throw new DevnetNotRunningError();
      const deployment = readDeployment(state.deploymentFile);
      const l1 = new JsonRpcProvider(state.l1RpcUrl, deployment.l1.chainId, { staticNetwork: true });
      const l2 = new JsonRpcProvider(state.l2RpcUrl, deployment.l2.chainId, { staticNetwork: true });
      try {
        const oracle = L2OutputOracle__factory.connect(deployment.l1.contracts.L2OutputOracle, l1);
        const [l1Block, l2Block, nextOutput] = await Promise.all([
          l1.getBlockNumber(),
          l2.getBlockNumber(),
          oracle.nextOutputIndex(),
        ]);
        const latest = nextOutput > 0n ? await oracle.getL2Output(nextOutput - 1n) : undefined;
        say(`devnet running (pid ${state.pid}, since ${state.startedAt})`);
        table([
          ['L1', `${state.l1RpcUrl}  block ${l1Block}`],
          ['L2', `${state.l2RpcUrl}  block ${l2Block}`],
          ['outputs', latest ? `${nextOutput} posted, latest covers L2 block ${latest.l2BlockNumber}` : 'none posted yet'],
          ['addresses', state.deploymentFile],
        ]);
      } finally {
        l1.destroy();
        l2.destroy();
      }
    });
}
