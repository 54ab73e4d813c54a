import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { JsonRpcProvider, Wallet, keccak256, toUtf8Bytes } from 'ethers';

import { L2OutputOracle__factory } from '@verity/contracts';
import { Challenger, devnetRoleKey, L2_CHAIN_ID, computeOutputRoot, OutputProposer } from '@verity/rollup';
import { advanceL1Time, startTestDevnet, type TestDevnet } from '../helpers/devnet';

/** Polls `check` until it holds; the bound only stops a broken test from hanging, it asserts nothing about time. */
async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type RpcProxyMode = 'up' | 'down' | 'erroring';

/**
 * An RPC endpoint in front of the L2 node that a test can break: 'down' drops every connection (unreachable),
 * 'erroring' answers every call with a JSON-RPC error (a node that is up but unusable, e.g. still syncing).
 */
async function startRpcProxy(target: string) {
  let mode: RpcProxyMode = 'up';
  const server = createServer((req, res) => {
    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const reply = (text: string) => res.writeHead(200, { 'content-type': 'application/json' }).end(text);
      if (mode === 'erroring') {
        const payload = JSON.parse(body) as { id: number } | { id: number }[];
        const answer = (call: { id: number }) => ({
          jsonrpc: '2.0',
          id: call.id,
          error: { code: -32603, message: 'node is syncing' },
        });
        reply(JSON.stringify(Array.isArray(payload) ? payload.map(answer) : answer(payload)));
        return;
      }
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (upstream) => reply(await upstream.text()))
        .catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode: (next: RpcProxyMode) => (mode = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('challenger', () => {
  let devnet: TestDevnet;

  beforeAll(async () => {
    devnet = await startTestDevnet();
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  const oracle = () => L2OutputOracle__factory.connect(devnet.deployment.l1.contracts.L2OutputOracle, devnet.l1Provider);
  const faultyProposer = () =>
    new OutputProposer({
      l1Provider: devnet.l1Provider,
      l2Provider: devnet.l2Provider,
      proposer: new Wallet(devnetRoleKey('proposer'), devnet.l1Provider),
      l2OutputOracle: devnet.deployment.l1.contracts.L2OutputOracle,
      maxProposalsPerStep: 1,
      // The proposer's key, a wrong root: what a buggy or malicious proposer would post.
      outputRootFor: async (n) => keccak256(toUtf8Bytes(`not the output of block ${n}`)),
    });

  it('finds honest outputs correct and leaves them alone', async () => {
    const { proposed } = await devnet.proposer.step();
    expect(proposed.length).toBeGreaterThan(0);
    const result = await devnet.challenger.step();
    expect(result.checked).toBe(proposed.length);
    expect(result.deleted).toBeUndefined();
    for (const p of proposed) {
      expect(p.outputRoot).toBe(
        (await computeOutputRoot({ l2Provider: devnet.l2Provider, l2BlockNumber: p.l2BlockNumber })).outputRoot,
      );
    }
  });

  it('deletes a wrong output root inside the window, and the honest proposer re-posts that block', async () => {
    await devnet.l2Provider.send('evm_mine', []);
    const countBefore = await oracle().nextOutputIndex();
    const { proposed } = await faultyProposer().step();
    expect(proposed).toHaveLength(1);
    const bad = proposed[0]!;
    expect(await oracle().nextOutputIndex()).toBe(countBefore + 1n);

    const result = await devnet.challenger.step();
    expect(result.deleted).toMatchObject({
      l2OutputIndex: countBefore,
      l2BlockNumber: bad.l2BlockNumber,
      posted: bad.outputRoot,
    });
    expect(await oracle().nextOutputIndex()).toBe(countBefore);
    expect(await oracle().nextBlockNumber()).toBe(bad.l2BlockNumber);

    const { proposed: honest } = await devnet.proposer.step();
    expect(honest[0]?.l2BlockNumber).toBe(bad.l2BlockNumber);
    expect((await devnet.challenger.step()).deleted).toBeUndefined();
  });

  it('cannot delete a wrong output once it is finalized (the window is the only defence)', async () => {
    await devnet.l2Provider.send('evm_mine', []);
    const { proposed } = await faultyProposer().step();
    expect(proposed).toHaveLength(1);
    await advanceL1Time(devnet, devnet.finalizationPeriodSeconds + 1);
    const result = await devnet.challenger.step();
    expect(result.deleted).toBeUndefined();
    // The oracle itself refuses, whoever asks.
    const challenger = L2OutputOracle__factory.connect(
      devnet.deployment.l1.contracts.L2OutputOracle,
      new Wallet(devnetRoleKey('challenger'), devnet.l1Provider),
    );
    await expect(challenger.deleteL2Outputs((await oracle().nextOutputIndex()) - 1n)).rejects.toThrow(/finalized/);
  });

  /**
   * What a faulty proposer that ignores the L2 head would post: the oracle takes any root for exactly
   * nextBlockNumber(), and with its clock started in the past (one L2 block per tx) it does not refuse the future.
   */
  async function proposeFutureOutputs(count: number): Promise<bigint[]> {
    const proposer = L2OutputOracle__factory.connect(
      devnet.deployment.l1.contracts.L2OutputOracle,
      new Wallet(devnetRoleKey('proposer'), devnet.l1Provider),
    );
    const blocks: bigint[] = [];
    for (let i = 0; i < count; i++) {
      const next = await proposer.nextBlockNumber();
      const l1Block = (await devnet.l1Provider.getBlock('latest'))!;
      await (
        await proposer.proposeL2Output(
          keccak256(toUtf8Bytes(`block ${next} from the future`)),
          next,
          l1Block.hash!,
          l1Block.number,
        )
      ).wait();
      blocks.push(next);
    }
    return blocks;
  }

  it('reads the oracle again when its proposal reverts because the challenger deleted outputs under it', async () => {
    // A fresh output (inside the window, so the challenger may delete it), then one more L2 block to propose.
    await devnet.l2Provider.send('evm_mine', []);
    expect((await devnet.proposer.step()).proposed.length).toBeGreaterThan(0);
    await devnet.l2Provider.send('evm_mine', []);
    const first = await oracle().nextBlockNumber();
    const latestIndex = (await oracle().nextOutputIndex()) - 1n;
    const deletedBlock = (await oracle().getL2Output(latestIndex)).l2BlockNumber;
    const challenger = L2OutputOracle__factory.connect(
      devnet.deployment.l1.contracts.L2OutputOracle,
      new Wallet(devnetRoleKey('challenger'), devnet.l1Provider),
    );
    const pending = async () => Number(((await devnet.l1Provider.send('txpool_status', [])) as { pending: string }).pending);
    await devnet.l1Provider.send('evm_setAutomine', [false]);
    let step: ReturnType<OutputProposer['step']> | undefined;
    try {
      // The proposer reads `first` and sends its proposal; before it is mined, the challenger's deletion of the
      // latest output (a higher tip: mined first) moves the oracle's next block back.
      step = devnet.proposer.step();
      await eventually(async () => (await pending()) === 1, 'the proposal pending');
      await challenger.deleteL2Outputs(latestIndex, { maxPriorityFeePerGas: 50_000_000_000n, maxFeePerGas: 100_000_000_000n });
      await eventually(async () => (await pending()) === 2, 'the deletion pending too');
    } finally {
      await devnet.l1Provider.send('evm_setAutomine', [true]);
    }
    await devnet.l1Provider.send('evm_mine', []);
    const { proposed } = await step!;
    // The reverted proposal of `first` was followed by the deleted block's, then `first` again.
    expect(proposed.map((p) => p.l2BlockNumber)).toEqual([deletedBlock, first]);
    expect(await oracle().latestBlockNumber()).toBe(first);
    expect((await devnet.challenger.step()).deleted).toBeUndefined();
  });

  it('deletes every output posted for an L2 block that does not exist yet', async () => {
    await devnet.proposer.step();
    expect((await devnet.challenger.step()).deleted).toBeUndefined();
    const l2Head = BigInt(await devnet.l2Provider.getBlockNumber());
    const countBefore = await oracle().nextOutputIndex();

    const future = await proposeFutureOutputs(3);
    expect(future[0]).toBe(l2Head + 1n);
    expect(await oracle().nextOutputIndex()).toBe(countBefore + 3n);

    const result = await devnet.challenger.step();
    expect(result.deleted).toMatchObject({
      l2OutputIndex: countBefore,
      l2BlockNumber: future[0],
      expected: null,
      reason: 'FUTURE_L2_BLOCK',
    });
    // Deleting the first one deletes those after it: all three are gone.
    expect(await oracle().nextOutputIndex()).toBe(countBefore);
    expect(await oracle().nextBlockNumber()).toBe(future[0]);
    expect((await devnet.challenger.step()).deleted).toBeUndefined();

    // The honest proposer waits for L2 to reach the block, then posts it, and the challenger agrees.
    expect((await devnet.proposer.step()).proposed).toHaveLength(0);
    await devnet.l2Provider.send('evm_mine', []);
    const { proposed } = await devnet.proposer.step();
    expect(proposed[0]?.l2BlockNumber).toBe(future[0]);
    expect((await devnet.challenger.step()).deleted).toBeUndefined();
  });

  it('keeps going while its L2 RPC is unreachable or failing, then deletes a wrong output', async () => {
    const proxy = await startRpcProxy(devnet.l2.rpcUrl);
    const l2Provider = new JsonRpcProvider(proxy.url, L2_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    const watcher = new Challenger({
      l1Provider: devnet.l1Provider,
      l2Provider,
      challenger: new Wallet(devnetRoleKey('challenger'), devnet.l1Provider),
      l2OutputOracle: devnet.deployment.l1.contracts.L2OutputOracle,
      pollIntervalMs: 20,
      maxBackoffMs: 100,
    });
    try {
      await devnet.l2Provider.send('evm_mine', []);
      const countBefore = await oracle().nextOutputIndex();
      const { proposed } = await faultyProposer().step();
      expect(proposed).toHaveLength(1);

      proxy.setMode('down');
      watcher.start();
      await eventually(() => watcher.health().consecutiveFailures >= 3, 'the challenger has failed 3 times');
      expect(watcher.health()).toMatchObject({ healthy: false, halted: false, lastError: { code: 'CHAIN_UNAVAILABLE' } });

      // Up but unusable: errors nobody classified as transient. The old loop stopped for good on the first one.
      proxy.setMode('erroring');
      await eventually(() => watcher.health().lastError?.code === 'CHAIN_ERROR', 'the challenger has seen a node error');
      const failures = watcher.health().consecutiveFailures;
      await eventually(() => watcher.health().consecutiveFailures >= failures + 2, 'the challenger has retried twice more');
      expect(watcher.health()).toMatchObject({ healthy: false, halted: false });
      expect(await oracle().nextOutputIndex()).toBe(countBefore + 1n);

      proxy.setMode('up');
      await eventually(async () => (await oracle().nextOutputIndex()) === countBefore, 'the wrong output is deleted');
      await eventually(() => watcher.health().healthy, 'the challenger is healthy again');
      expect(watcher.health().consecutiveFailures).toBe(0);
      expect(await oracle().nextBlockNumber()).toBe(proposed[0]!.l2BlockNumber);
    } finally {
      await watcher.stop();
      l2Provider.destroy();
      await proxy.close();
    }
  });

  it('only the challenger may delete outputs', async () => {
    const stranger = L2OutputOracle__factory.connect(
      devnet.deployment.l1.contracts.L2OutputOracle,
      new Wallet(devnetRoleKey('alice'), devnet.l1Provider),
    );
    await expect(stranger.deleteL2Outputs(0n)).rejects.toThrow(/only the challenger/);
  });
});

describe('output oracle on an L2 that mines on an interval (as `npm start` does)', () => {
  let devnet: TestDevnet;

  beforeAll(async () => {
    // A long submission interval puts the next block the oracle takes far beyond the L2 head.
    devnet = await startTestDevnet({ l2BlockTime: 1, submissionInterval: 600 });
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  it("starts the oracle's clock at the L2 head, keeps it on L2's timestamps, and refuses an output far beyond the head", async () => {
    const oracle = L2OutputOracle__factory.connect(
      devnet.deployment.l1.contracts.L2OutputOracle,
      new Wallet(devnetRoleKey('proposer'), devnet.l1Provider),
    );
    const start = await oracle.startingBlockNumber();
    expect(start).toBeGreaterThan(0n);
    await eventually(async () => BigInt(await devnet.l2Provider.getBlockNumber()) >= start + 2n, 'L2 has mined 2 blocks');
    for (const n of [start, start + 1n, start + 2n])
      expect(await oracle.computeL2Timestamp(n)).toBe(BigInt((await devnet.l2Provider.getBlock(n))!.timestamp));

    const next = await oracle.nextBlockNumber();
    expect(next - BigInt(await devnet.l2Provider.getBlockNumber())).toBeGreaterThan(500n);
    const l1Block = (await devnet.l1Provider.getBlock('latest'))!;
    await expect(
      oracle.proposeL2Output(keccak256(toUtf8Bytes('a block nobody has mined')), next, l1Block.hash!, l1Block.number),
    ).rejects.toThrow(/cannot propose L2 output in the future/);
    // The honest proposer does not try.
    expect((await devnet.proposer.step()).proposed).toHaveLength(0);
  });
});
