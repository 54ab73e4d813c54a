import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { JsonRpcProvider } from 'ethers';
import type { Command } from 'commander';

import { L2OutputOracle__factory } from '@verity/contracts';
import {
  devnetRoleKey,
  DEVNET_ROLES,
  clearDevnetState,
  isProcessAlive,
  readDevnetState,
  writeDevnetState,
  startDevnet,
  type Devnet,
  DevnetAlreadyRunningError,
  DevnetNotRunningError,
  relayerStreamId,
  RelayerStore,
} from '@verity/rollup';
import { readDeployment, createLogger } from '@verity/core';
import { Wallet } from 'ethers';
import type { CliConfig } from '../config';
import { say, table } from '../output';

const healthFile = (config: CliConfig): string => join(config.devnet.dir, 'health.json');
/** How often the running devnet rewrites its health file (and checks whether an operator cleared a relayer halt). */
const HEALTH_INTERVAL_MS = 1000;

/**
 * Boots the devnet with its services and records who runs it; resolves once everything is up. A relayer halt
 * (an L1 reorg removed a deposit that L2 already minted) does not stop the devnet: the relayer alone stays down,
 * says so loudly and in the health file, and resumes once an operator runs `verity devnet clear-halt`.
 */
export async function bootDevnet(config: CliConfig, database?: { url: string; poolSize: number }): Promise<Devnet> {
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
    databaseUrl: database?.url ?? config.relayer.databaseUrl,
    databasePoolSize: database?.poolSize,
    relayerConfirmations: config.relayer.confirmations,
    pollIntervalMs: config.pollIntervalMs,
    runServices: false,
  });
  const log = createLogger('Devnet');
  let relayerHalted = false;
  const onHalt = (err: { shortMessage: string }) => {
    relayerHalted = true;
    process.stderr.write(
      `error: the deposit relayer halted: ${err.shortMessage}\n  the devnet keeps running without it; reconcile L2, then run \`verity devnet clear-halt\`\n`,
    );
  };
  devnet.relayer.start(onHalt);
  devnet.proposer.start();
  devnet.challenger.start();
  const streamId = await devnet.relayer.getStreamId();
  const writeHealth = async (): Promise<void> => {
    if (relayerHalted && !(await devnet.relayerStore.getHalt(streamId))) {
      relayerHalted = false;
      await devnet.relayer.clearHalt();
      devnet.relayer.start(onHalt);
      log.warn({ streamId }, 'relayer resumed after its halt was cleared');
    }
    const file = healthFile(config);
    writeFileSync(`${file}.tmp`, JSON.stringify({ updatedAt: new Date().toISOString(), ...devnet.health() }, null, 2) + '\n');
    renameSync(`${file}.tmp`, file);
  };
  await writeHealth();
  const timer = setInterval(
    () => void writeHealth().catch((err: unknown) => log.warn({ err: String(err) }, 'health update failed')),
    HEALTH_INTERVAL_MS,
  );
  const stop = devnet.stop;
  devnet.stop = async () => {
    clearInterval(timer);
    await stop();
  };
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

/** Resolves on SIGINT or SIGTERM, then stops the devnet and clears its state. */
export async function runUntilSignal(config: CliConfig, devnet: Devnet): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('stopping devnet…');
  await devnet.stop();
  clearDevnetState(config.devnet.stateFile);
}

type HealthFile = { updatedAt: string; healthy: boolean } & Record<
  'relayer' | 'proposer' | 'challenger',
  { healthy: boolean; reason?: string; consecutiveFailures: number }
>;

/** The running devnet's own report of its relayer, proposer and challenger (rewritten every second). */
function serviceHealthRows(config: CliConfig): [string, string][] {
  const file = healthFile(config);
  if (!existsSync(file)) return [['services', 'no health report yet']];
  const health = JSON.parse(readFileSync(file, 'utf8')) as HealthFile;
  const age = (Date.now() - Date.parse(health.updatedAt)) / 1000;
  const rows = (['relayer', 'proposer', 'challenger'] as const).map((name): [string, string] => {
    const h = health[name];
    return [name, h.healthy ? 'healthy' : `UNHEALTHY: ${h.reason ?? 'failing'} (${h.consecutiveFailures} failures in a row)`];
  });
  return age > 10 ? [...rows, ['health report', `stale (${age.toFixed(0)} s old)`]] : rows;
}

export function registerDevnetCommands(program: Command, getConfig: () => CliConfig): void {
  const devnet = program
    .command('devnet')
    .description('the local OP Stack: anvil L1 + L2, OP contracts, relayer, proposer, challenger');

  devnet
    .command('up')
    .description('start the devnet in the foreground (Ctrl-C or `verity devnet down` stops it)')
    .action(async () => {
      const config = getConfig();
      const running = await bootDevnet(config);
      printDevnetSummary(running);
      say('running; Ctrl-C or `verity devnet down` to stop');
      await runUntilSignal(config, running);
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
    .command('clear-halt')
    .description('let a halted deposit relayer resume (after an L1 reorg; reconcile L2 first)')
    .action(async () => {
      const config = getConfig();
      const state = readDevnetState(config.devnet.stateFile);
      if (!state || !isProcessAlive(state.pid)) throw new DevnetNotRunningError();
      const deployment = readDeployment(state.deploymentFile);
      const l1 = new JsonRpcProvider(state.l1RpcUrl, deployment.l1.chainId, { staticNetwork: true });
      const store = new RelayerStore(config.relayer.databaseUrl);
      try {
        const streamId = await relayerStreamId(l1, deployment.l1.contracts.OptimismPortal);
        const halt = await store.getHalt(streamId);
        if (!halt) {
          say('the relayer is not halted');
          return;
        }
        await store.clearHalt(streamId);
        say(`✔ halt cleared (was: ${halt.reason}); the running devnet resumes relaying within a second`);
      } finally {
        await store.close();
        l1.destroy();
      }
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
          ['L1', `${deployment.l1.rpcUrl}  block ${l1Block}`],
          ['L2', `${deployment.l2.rpcUrl}  block ${l2Block}`],
          ['outputs', latest ? `${nextOutput} posted, latest covers L2 block ${latest.l2BlockNumber}` : 'none posted yet'],
          ['addresses', state.deploymentFile],
          ...serviceHealthRows(config),
        ]);
      } finally {
        l1.destroy();
        l2.destroy();
      }
    });
}
