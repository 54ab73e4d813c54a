/**
 * npm run bench:bridge — devnet boot time, deposit latency (L1 tx mined → L2 balance), withdrawal latency by
 * step, and the gas of every step. Prints one JSON line, then a human table.
 *
 * Setup (fixed, so runs compare): L1 mines a block every second (L1 time must advance for the window),
 * L2 one block per transaction, relayer/proposer/challenger polling every 100 ms, 0 confirmations,
 * submission interval 1, finalization window 2 s. Each figure is the median of ROUNDS rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseUnits } from 'ethers';

import { BridgeClient } from '@verity/bridge';
import { dropDatabase } from '@verity/core';
import { devnetRoleKey, startDevnet } from '@verity/rollup';
import { TEST_POSTGRES } from '../helpers/devnet';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FINALIZATION_PERIOD_SECONDS = 2;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
};

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'verity-bench-'));
  const databaseUrl = `${TEST_POSTGRES}/verity_bench_${process.pid}`;
  const t0 = Date.now();
  const devnet = await startDevnet({
    dir,
    l1Port: 0,
    l2Port: 0,
    l1BlockTime: 1,
    l2BlockTime: 0,
    finalizationPeriodSeconds: FINALIZATION_PERIOD_SECONDS,
    submissionInterval: 1,
    databaseUrl,
    relayerConfirmations: 0,
    runServices: true,
    pollIntervalMs: 100,
  });
  const bootMs = Date.now() - t0;

  const rounds: Record<string, number>[] = [];
  const gas: Record<string, bigint> = {};
  try {
    const alice = new BridgeClient({ deployment: devnet.deployment, privateKey: devnetRoleKey('alice'), pollingIntervalMs: 20 });
    for (let i = 0; i < ROUNDS; i++) {
      const r: Record<string, number> = {};
      const before = await alice.balances('VTY');
      let t = Date.now();
      const dep = await alice.deposit({ token: 'VTY', amount: parseUnits('100', 18) });
      r.depositL1Ms = Date.now() - t;
      t = Date.now();
      await waitFor(async () => (await alice.balances('VTY')).l2 === before.l2 + parseUnits('100', 18));
      r.depositLatencyMs = Date.now() - t;
      if (dep.approveGas !== null) gas.approveL1 = dep.approveGas;
      gas.depositL1 = dep.depositGas;

      t = Date.now();
      const w = await alice.initiateWithdrawal({ token: 'VTY', amount: parseUnits('40', 18) });
      r.initiateL2Ms = Date.now() - t;
      gas.initiateWithdrawalL2 = w.l2Gas;
      t = Date.now();
      await alice.waitForWithdrawal(w.l2TxHash, 'READY_TO_PROVE', { pollIntervalMs: 20 });
      r.waitOutputMs = Date.now() - t;
      t = Date.now();
      const proven = await alice.proveWithdrawal(w.l2TxHash);
      r.proveL1Ms = Date.now() - t;
      gas.proveL1 = proven.l1Gas;
      t = Date.now();
      await alice.waitForWithdrawal(w.l2TxHash, 'READY_FOR_RELAY', { pollIntervalMs: 20 });
      r.waitWindowMs = Date.now() - t;
      t = Date.now();
      const fin = await alice.finalizeWithdrawal(w.l2TxHash);
      r.finalizeL1Ms = Date.now() - t;
      gas.finalizeL1 = fin.l1Gas;
      r.withdrawalTotalMs = r.initiateL2Ms + r.waitOutputMs + r.proveL1Ms + r.waitWindowMs + r.finalizeL1Ms;
      rounds.push(r);
    }
  } finally {
    await devnet.stop();
    await dropDatabase(databaseUrl).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }

  const keys = Object.keys(rounds[0] ?? {});
  const medians = Object.fromEntries(keys.map((k) => [k, median(rounds.map((r) => r[k]!))]));
  const result = {
    bench: 'bridge',
    rounds: ROUNDS,
    setup: {
      l1BlockTimeS: 1,
      l2BlockTimeS: 0,
      pollIntervalMs: 100,
      finalizationPeriodS: FINALIZATION_PERIOD_SECONDS,
      cores: cpus().length,
    },
    devnetBootMs: bootMs,
    devnetDeployMs: devnet.bootMs,
    ...medians,
    gas: Object.fromEntries(Object.entries(gas).map(([k, v]) => [k, Number(v)])),
  };
  process.stdout.write(JSON.stringify(result) + '\n');

  const rows: [string, string][] = [
    ['devnet boot (anvils + deploy)', `${bootMs} ms`],
    ['deposit: L1 tx (approve + deposit)', `${medians.depositL1Ms} ms`],
    ['deposit: L1 mined → L2 balance', `${medians.depositLatencyMs} ms`],
    ['withdraw 1/5: initiate on L2', `${medians.initiateL2Ms} ms`],
    ['withdraw 2/5: wait for output root', `${medians.waitOutputMs} ms`],
    ['withdraw 3/5: prove on L1', `${medians.proveL1Ms} ms`],
    [`withdraw 4/5: window (${FINALIZATION_PERIOD_SECONDS} s + L1 block)`, `${medians.waitWindowMs} ms`],
    ['withdraw 5/5: finalize on L1', `${medians.finalizeL1Ms} ms`],
    ['withdraw total', `${medians.withdrawalTotalMs} ms`],
    ...Object.entries(gas).map(([k, v]): [string, string] => [`gas ${k}`, v.toString()]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nbridge benchmark (median of ${ROUNDS})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v.padStart(10)}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).message}\n`);
  process.exit(1);
});
