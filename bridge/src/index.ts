import type { Deployment } from '@verity/core';
import { createMessenger, readTokenBalance, readWithdrawalTiming, type Messenger } from './crossChainMessenger';
import { deposit, waitForDeposit, type DepositParameters, type WaitForDepositParameters } from './deposit';
import { resolveToken } from './resolveToken';
import { getMessageStatus } from './status';
import {
  finalizeWithdrawal,
  initiateWithdrawal,
  proveWithdrawal,
  waitForWithdrawal,
  type InitiateWithdrawalParameters,
  type WaitForWithdrawalParameters,
} from './withdraw';

export * from './errors';
export { parseAmount, formatAmount } from './parseAmount';
export { resolveToken } from './resolveToken';
export { isAddress } from './isAddress';
export type { MessageStatusName } from './status';

export type BridgeClientParameters = { deployment: Deployment; privateKey: string; pollingIntervalMs?: number };

/**
 * The bridge as the rest of Verity sees it: ethers-v6-friendly values in and out (hex strings, bigint), each
 * method a one-line call into a standalone action (viem-style), so the SDK can be swapped inside this package.
 */
export class BridgeClient {
  private readonly messenger: Messenger;
  readonly deployment: Deployment;

  constructor(parameters: BridgeClientParameters) {
    this.deployment = parameters.deployment;
    this.messenger = createMessenger(parameters);
  }

  get address(): string {
    return this.messenger.address;
  }

  deposit(parameters: DepositParameters) {
    return deposit(this.messenger, this.deployment, parameters);
  }
  waitForDeposit(l1TxHash: string, parameters?: WaitForDepositParameters) {
    return waitForDeposit(this.messenger, l1TxHash, parameters);
  }
  initiateWithdrawal(parameters: InitiateWithdrawalParameters) {
    return initiateWithdrawal(this.messenger, this.deployment, parameters);
  }
  waitForWithdrawal(l2TxHash: string, target: 'READY_TO_PROVE' | 'READY_FOR_RELAY', parameters?: WaitForWithdrawalParameters) {
    return waitForWithdrawal(this.messenger, l2TxHash, target, parameters);
  }
  proveWithdrawal(l2TxHash: string) {
    return proveWithdrawal(this.messenger, l2TxHash);
  }
  finalizeWithdrawal(l2TxHash: string) {
    return finalizeWithdrawal(this.messenger, l2TxHash);
  }
  /** L1 times (seconds) of a proven withdrawal: proven at, finalizable strictly after, and L1 now; null if unproven. */
  getWithdrawalTiming(l2TxHash: string) {
    return readWithdrawalTiming(this.messenger, l2TxHash);
  }
  getMessageStatus(txHash: string) {
    return getMessageStatus(this.messenger, txHash);
  }
  async balances(token: string, owner = this.messenger.address): Promise<{ l1: bigint; l2: bigint }> {
    const t = resolveToken(this.deployment, token);
    const [l1, l2] = await Promise.all([
      readTokenBalance(this.messenger, 'l1', t.l1, owner),
      readTokenBalance(this.messenger, 'l2', t.l2, owner),
    ]);
    return { l1, l2 };
  }
  /** The underlying SDK messenger, for tests that must bypass the checks above (e.g. a raw finalize). */
  get rawMessenger(): Messenger {
    return this.messenger;
  }
}
