import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { dropDatabase } from '@verity/core';
import { startDevnet, type Devnet } from '@verity/rollup';

/** The Postgres every test uses: the local server (CI starts it), one fresh database per test file. */
export const TEST_POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

export type TestDevnet = Devnet & { databaseUrl: string; dir: string; finalizationPeriodSeconds: number };

export type StartTestDevnetOptions = {
  finalizationPeriodSeconds?: number;
  /** Seconds per L2 block; 0 (default) mines one block per transaction. */
  l2BlockTime?: number;
  submissionInterval?: number;
};

/**
 * One devnet per test file: free ports, one block per transaction, services not running (tests advance each
 * actor with `step()`), and a long finalization window that tests skip with `advanceL1Time`. A suite about the
 * interval-mined L2 of `npm start` may ask for an L2 block time.
 */
export async function startTestDevnet(options: StartTestDevnetOptions = {}): Promise<TestDevnet> {
  const dir = mkdtempSync(join(tmpdir(), 'verity-devnet-'));
  const databaseUrl = `${TEST_POSTGRES}/verity_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const finalizationPeriodSeconds = options.finalizationPeriodSeconds ?? 3600;
  const devnet = await startDevnet({
    dir,
    l1Port: 0,
    l2Port: 0,
    l1BlockTime: 0,
    l2BlockTime: options.l2BlockTime ?? 0,
    finalizationPeriodSeconds,
    submissionInterval: options.submissionInterval ?? 1,
    databaseUrl,
    relayerConfirmations: 0,
    runServices: false,
  });
  const stop = devnet.stop;
  return {
    ...devnet,
    databaseUrl,
    dir,
    finalizationPeriodSeconds,
    stop: async () => {
      await stop();
      await dropDatabase(databaseUrl).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Moves L1 time forward and mines a block, so a finalization window passes instantly. */
export async function advanceL1Time(devnet: Devnet, seconds: number): Promise<void> {
  await devnet.l1Provider.send('evm_increaseTime', [seconds]);
  await devnet.l1Provider.send('evm_mine', []);
}

export async function mineL1Blocks(devnet: Devnet, count: number): Promise<void> {
  await devnet.l1Provider.send('anvil_mine', ['0x' + count.toString(16)]);
}
