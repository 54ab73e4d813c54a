import { Wallet, parseEther, type TransactionReceipt } from 'ethers';

import { OptimismPortal__factory } from '@verity/contracts';
import { dropDatabase, ensureDatabase } from '@verity/core';
import {
  devnetPrivateKey,
  RelayerHaltedError,
  type ServiceHaltedError,
  DepositRelayer,
  TRANSACTION_DEPOSITED_TOPIC,
  decodeDepositLog,
  depositTransactionHash,
  RelayerStore,
} from '@verity/rollup';
import { mineL1Blocks, startTestDevnet, type TestDevnet } from '../helpers/devnet';

const ONE_ETH = parseEther('1');
/** anvil account #7: no devnet role, so its nonce is ours alone. */
const DEPOSITOR = 7;

/**
 * L1 reorgs under the deposit relayer, made with anvil's evm_snapshot / evm_revert on L1 (L2 is never touched,
 * as on a real rollup whose L2 cannot follow). The devnet mines one block per transaction and relays at depth 0,
 * so a reorg of any depth is "deeper than the confirmations". Each test has its own relayer and database.
 */
describe('deposit relayer across L1 reorgs', () => {
  let devnet: TestDevnet;
  const stores: RelayerStore[] = [];
  const databases: string[] = [];

  beforeAll(async () => {
    devnet = await startTestDevnet();
  });
  afterAll(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await Promise.allSettled(databases.map((url) => dropDatabase(url)));
    await devnet?.stop();
  });

  const l1 = () => devnet.l1Provider;
  const l2 = () => devnet.l2Provider;
  const portal = () => devnet.deployment.l1.contracts.OptimismPortal;

  async function newStore(url?: string): Promise<{ store: RelayerStore; url: string }> {
    const databaseUrl = url ?? `${devnet.databaseUrl}_r${databases.length}`;
    if (!url) {
      await ensureDatabase(databaseUrl);
      databases.push(databaseUrl);
    }
    const store = new RelayerStore(databaseUrl);
    stores.push(store);
    await store.migrate();
    return { store, url: databaseUrl };
  }

  const newRelayer = (store: RelayerStore) =>
    new DepositRelayer({ l1Provider: l1(), l2Provider: l2(), portal: portal(), store, confirmations: 0, pollIntervalMs: 20 });

  /** A signed 1 ETH deposit to `recipient` through the portal: sendable again after a revert, as a reorg re-includes it. */
  async function signDeposit(recipient: string): Promise<string> {
    const depositor = new Wallet(devnetPrivateKey(DEPOSITOR), l1());
    const call = await OptimismPortal__factory.connect(portal(), depositor).depositTransaction.populateTransaction(
      recipient,
      ONE_ETH,
      100_000n,
      false,
      '0x',
      { value: ONE_ETH },
    );
    return depositor.signTransaction(await depositor.populateTransaction(call));
  }

  async function include(signed: string): Promise<TransactionReceipt> {
    const receipt = await (await l1().broadcastTransaction(signed)).wait();
    if (!receipt) throw new Error('no receipt');
    return receipt;
  }

  const depositHashOf = (receipt: TransactionReceipt): string =>
    depositTransactionHash(decodeDepositLog(receipt.logs.find((log) => log.topics[0] === TRANSACTION_DEPOSITED_TOPIC)!));

  it('mints a deposit re-included in another block only once, halts, and stays halted after a restart', async () => {
    const { store, url } = await newStore();
    const relayer = newRelayer(store);
    await relayer.step();
    const lockedBefore = await l1().getBalance(portal());
    const recipient = Wallet.createRandom().address;
    const snapshot = (await l1().send('evm_snapshot', [])) as string;

    const signed = await signDeposit(recipient);
    const first = await include(signed);
    expect((await relayer.step()).relayed).toBe(1);
    expect(await l2().getBalance(recipient)).toBe(ONE_ETH);

    // The reorg: the block with the deposit is dropped, and the same transaction lands one block higher.
    await l1().send('evm_revert', [snapshot]);
    await mineL1Blocks(devnet, 1);
    const second = await include(signed);
    expect(second.blockNumber).toBe(first.blockNumber + 1);
    expect(second.hash).toBe(first.hash);
    // L1 locked the ETH once, on the canonical chain.
    expect((await l1().getBalance(portal())) - lockedBefore).toBe(ONE_ETH);
    // For L2 the copy is a new deposit (its source hash commits to the L1 block hash).
    expect(depositHashOf(second)).not.toBe(depositHashOf(first));

    const err = await relayer.step().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayerHaltedError);
    expect((err as RelayerHaltedError).code).toBe('RELAYER_HALTED');
    expect((err as RelayerHaltedError).details).toContain(depositHashOf(first));
    expect((err as RelayerHaltedError).details).toContain(`L1 block ${first.blockNumber}`);
    expect(relayer.health()).toMatchObject({ healthy: false, halted: true });
    expect(relayer.health().reason).toContain(depositHashOf(first));
    expect(await l2().getBalance(recipient)).toBe(ONE_ETH);

    // A restarted relayer (own connection pool) reads the halt from Postgres and mints nothing, step after step.
    const { store: restartedStore } = await newStore(url);
    const restarted = newRelayer(restartedStore);
    expect(await restartedStore.getHalt(await restarted.getStreamId())).toMatchObject({
      depositHash: depositHashOf(first),
      l1BlockNumber: BigInt(first.blockNumber),
      l1BlockHash: first.blockHash,
      l1TxHash: first.hash,
    });
    await expect(restarted.step()).rejects.toBeInstanceOf(RelayerHaltedError);
    await mineL1Blocks(devnet, 2);
    await expect(restarted.step()).rejects.toBeInstanceOf(RelayerHaltedError);
    expect(restarted.health()).toMatchObject({ healthy: false, halted: true });

    // Its poll loop stops on the halt, and says so.
    const halted = new Promise<ServiceHaltedError>((resolve) => restarted.start(resolve));
    expect(await halted).toBeInstanceOf(RelayerHaltedError);
    await restarted.stop();
    expect(restarted.health()).toMatchObject({ healthy: false, halted: true });
    expect(await l2().getBalance(recipient)).toBe(ONE_ETH);

    // Only an operator ends it. The relayer then re-scans from the fork point, where the copy is a new deposit:
    // reconciling L2 for the first mint is the operator's job before clearing.
    expect(await restarted.clearHalt()).toBe(true);
    expect(await restartedStore.getHalt(await restarted.getStreamId())).toBeUndefined();
    const resumed = await restarted.step();
    expect(resumed.reorg).toBeDefined();
    expect(restarted.health().healthy).toBe(true);
  });

  it('relays, exactly once, a deposit that a reorg moved to a height at or below the old cursor', async () => {
    const { store } = await newStore();
    const relayer = newRelayer(store);
    await relayer.step();
    const base = BigInt(await l1().getBlockNumber());
    const snapshot = (await l1().send('evm_snapshot', [])) as string;

    await mineL1Blocks(devnet, 5);
    expect((await relayer.step()).l1Cursor).toBe(base + 5n);

    await l1().send('evm_revert', [snapshot]);
    const recipient = Wallet.createRandom().address;
    const receipt = await include(await signDeposit(recipient));
    expect(BigInt(receipt.blockNumber)).toBeLessThanOrEqual(base + 5n);
    // The new chain outgrows the old one, as a reorg's winner does.
    await mineL1Blocks(devnet, 5);

    const result = await relayer.step();
    expect(result).toMatchObject({ relayed: 1, reorg: { fromL1Block: base + 5n, forkL1Block: base } });
    expect(await l2().getBalance(recipient)).toBe(ONE_ETH);

    expect(await relayer.step()).toMatchObject({ relayed: 0 });
    expect(await l2().getBalance(recipient)).toBe(ONE_ETH);
    expect(relayer.health().healthy).toBe(true);
  });

  it('rewinds over a reorg of blocks without relayed deposits, without halting, and goes on relaying', async () => {
    const { store } = await newStore();
    const relayer = newRelayer(store);
    await relayer.step();
    const base = BigInt(await l1().getBlockNumber());
    const snapshot = (await l1().send('evm_snapshot', [])) as string;
    await mineL1Blocks(devnet, 3);
    expect((await relayer.step()).l1Cursor).toBe(base + 3n);

    // The new chain differs (a plain transfer) and is shorter: the cursor's block is gone.
    await l1().send('evm_revert', [snapshot]);
    const depositor = new Wallet(devnetPrivateKey(DEPOSITOR), l1());
    await (await depositor.sendTransaction({ to: Wallet.createRandom().address, value: 1n })).wait();

    const rewound = await relayer.step();
    expect(rewound).toMatchObject({ relayed: 0, l1Cursor: base + 1n, reorg: { fromL1Block: base + 3n, forkL1Block: base } });
    expect(relayer.health()).toMatchObject({ healthy: true, halted: false });
    expect(await store.getHalt(await relayer.getStreamId())).toBeUndefined();

    // A deposit at a height the old cursor had passed is relayed.
    const recipient = Wallet.createRandom().address;
    const receipt = await include(await signDeposit(recipient));
    expect(BigInt(receipt.blockNumber)).toBeLessThanOrEqual(base + 3n);
    expect(await relayer.step()).toMatchObject({ relayed: 1 });
    expect(await l2().getBalance(recipient)).toBe(ONE_ETH);
  });
});
