import { Wallet, parseUnits } from 'ethers';

import {
  BridgeClient,
  InsufficientBalanceError,
  UnknownTokenError,
  WithdrawalAlreadyFinalizedError,
  WithdrawalNotReadyError,
} from '@verity/bridge';
import { devnetRoleKey, DepositRelayer, RelayerStore } from '@verity/rollup';
import { advanceL1Time, startTestDevnet, type TestDevnet } from '../helpers/devnet';

const VTY = (n: string) => parseUnits(n, 18);

describe('VTY bridge on the local OP Stack', () => {
  let devnet: TestDevnet;
  let alice: BridgeClient;

  beforeAll(async () => {
    devnet = await startTestDevnet();
    alice = new BridgeClient({ deployment: devnet.deployment, privateKey: devnetRoleKey('alice'), pollingIntervalMs: 50 });
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  let withdrawalTx: string;

  it('deposits 100 VTY from L1 and shows 100 on L2 once the relayer has run', async () => {
    const before = await alice.balances('VTY');
    const sent = await alice.deposit({ token: 'VTY', amount: VTY('100') });
    expect((await alice.getMessageStatus(sent.l1TxHash)).status).toBe('UNCONFIRMED_L1_TO_L2_MESSAGE');

    const step = await devnet.relayer.step();
    expect(step.relayed).toBe(1);
    await alice.waitForDeposit(sent.l1TxHash, { timeoutMs: 10_000 });

    const after = await alice.balances('VTY');
    expect(after.l2 - before.l2).toBe(VTY('100'));
    expect(before.l1 - after.l1).toBe(VTY('100'));
    expect((await alice.getMessageStatus(sent.l1TxHash)).status).toBe('RELAYED');
  });

  it('refuses a deposit above the L1 balance and an unknown token before sending anything', async () => {
    const { l1 } = await alice.balances('VTY');
    await expect(alice.deposit({ token: 'VTY', amount: l1 + 1n })).rejects.toBeInstanceOf(InsufficientBalanceError);
    await expect(alice.deposit({ token: 'DOGE', amount: 1n })).rejects.toBeInstanceOf(UnknownTokenError);
  });

  it('initiates a 40 VTY withdrawal that cannot be proven before an output covers it', async () => {
    const started = await alice.initiateWithdrawal({ token: 'VTY', amount: VTY('40') });
    withdrawalTx = started.l2TxHash;
    expect((await alice.getMessageStatus(withdrawalTx)).status).toBe('STATE_ROOT_NOT_PUBLISHED');
    await expect(alice.proveWithdrawal(withdrawalTx)).rejects.toMatchObject({ code: 'WITHDRAWAL_NOT_READY' });
    expect((await alice.balances('VTY')).l2).toBe(VTY('60'));
  });

  it('proves the withdrawal once the proposer has posted an output root covering it', async () => {
    const { proposed } = await devnet.proposer.step();
    expect(proposed.length).toBeGreaterThan(0);
    expect((await alice.getMessageStatus(withdrawalTx)).status).toBe('READY_TO_PROVE');
    const proven = await alice.proveWithdrawal(withdrawalTx);
    expect(proven.l1Gas).toBeGreaterThan(0n);
    expect((await alice.getMessageStatus(withdrawalTx)).status).toBe('IN_CHALLENGE_PERIOD');
  });

  it('refuses to finalize before the window ends, with a clear error, and the portal refuses too', async () => {
    const err = await alice.finalizeWithdrawal(withdrawalTx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WithdrawalNotReadyError);
    expect((err as WithdrawalNotReadyError).shortMessage).toBe('withdrawal cannot be finalized yet (status IN_CHALLENGE_PERIOD)');
    expect((err as WithdrawalNotReadyError).details).toMatch(/finalization window ends in \d+ s/);
    // Bypassing our check, the L1 portal itself reverts.
    await expect(alice.rawMessenger.sdk.finalizeMessage(withdrawalTx)).rejects.toThrow(/finalization period has not elapsed/);
  });

  it('finalizes after the window and returns the 40 VTY on L1', async () => {
    const before = await alice.balances('VTY');
    await advanceL1Time(devnet, devnet.finalizationPeriodSeconds + 1);
    expect((await alice.getMessageStatus(withdrawalTx)).status).toBe('READY_FOR_RELAY');
    const finalized = await alice.finalizeWithdrawal(withdrawalTx);
    expect(finalized.l1Gas).toBeGreaterThan(0n);
    const after = await alice.balances('VTY');
    expect(after.l1 - before.l1).toBe(VTY('40'));
    expect(after.l2).toBe(VTY('60'));
    expect((await alice.getMessageStatus(withdrawalTx)).status).toBe('RELAYED');
  });

  it('refuses to finalize twice, and the portal refuses a replay too', async () => {
    await expect(alice.finalizeWithdrawal(withdrawalTx)).rejects.toBeInstanceOf(WithdrawalAlreadyFinalizedError);
    await expect(alice.rawMessenger.sdk.finalizeMessage(withdrawalTx)).rejects.toThrow(/already been finalized/);
  });

  it('relays a deposit exactly once across relayer restarts', async () => {
    const bob = new BridgeClient({ deployment: devnet.deployment, privateKey: devnetRoleKey('bob'), pollingIntervalMs: 50 });
    const portal = devnet.deployment.l1.contracts.OptimismPortal;
    const newRelayer = (store: RelayerStore) =>
      new DepositRelayer({ l1Provider: devnet.l1Provider, l2Provider: devnet.l2Provider, portal, store, confirmations: 0 });

    // The devnet's relayer has stopped; bob deposits while nobody relays.
    const sent = await bob.deposit({ token: 'VTY', amount: VTY('5') });

    // A new relayer process (own connection pool) resumes from the persisted cursor and relays it.
    const storeB = new RelayerStore(devnet.databaseUrl);
    const streamId = `900:${(await devnet.l1Provider.getBlock(0))?.hash}:${portal.toLowerCase()}`;
    expect(await storeB.getCursor(streamId)).toBeDefined();
    expect((await newRelayer(storeB).step()).relayed).toBe(1);
    await storeB.close();
    expect((await bob.balances('VTY')).l2).toBe(VTY('5'));

    // A crash after sending but before the cursor moved: the next relayer re-reads the block and skips it.
    const storeC = new RelayerStore(devnet.databaseUrl);
    await storeC.setCursor(streamId, BigInt(sent.l1BlockNumber) - 1n);
    const again = await newRelayer(storeC).step();
    expect(again).toMatchObject({ relayed: 0, skipped: 1 });
    expect(await storeC.countDeposits(streamId)).toBe(2); // alice's and bob's, once each
    await storeC.close();
    expect((await bob.balances('VTY')).l2).toBe(VTY('5'));
  });

  it('delivers a deposit to another L2 recipient', async () => {
    const carol = Wallet.createRandom().address;
    const sent = await alice.deposit({ token: 'VTY', amount: VTY('1.5'), recipient: carol });
    await devnet.relayer.step();
    await alice.waitForDeposit(sent.l1TxHash, { timeoutMs: 10_000 });
    expect((await alice.balances('VTY', carol)).l2).toBe(VTY('1.5'));
  });
});
