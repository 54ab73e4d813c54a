import type { Deployment } from '@verity/core';
import { checkTransfer } from './checkTransfer';
import { readMessageStatus, sendApprove, sendDeposit, type Messenger } from './crossChainMessenger';
import { BridgeTimeoutError, DepositFailedError, InsufficientBalanceError, InvalidArgumentError } from './errors';

export type DepositParameters = {
  /** Symbol ("VTY") or token address. */
  token: string;
  /** Base units. */
  amount: bigint;
  /** L2 recipient; the sender by default. */
  recipient?: string;
};

export type DepositReturnType = {
  l1TxHash: string;
  l1BlockNumber: number;
  /** null when the allowance already covered the amount. */
  approveGas: bigint | null;
  depositGas: bigint;
};

export type DepositErrorType = InvalidArgumentError | InsufficientBalanceError;

/**
 * Deposits an ERC20 from L1 to L2 through the L1StandardBridge (approve when needed, then depositERC20).
 * Returns once the L1 transaction is mined; `waitForDeposit` follows it to L2.
 *
 * @example
 * const { l1TxHash } = await deposit(messenger, deployment, { token: 'VTY', amount: parseUnits('100', 18) })
 * await waitForDeposit(messenger, l1TxHash)
 */
export async function deposit(
  messenger: Messenger,
  deployment: Deployment,
  parameters: DepositParameters,
): Promise<DepositReturnType> {
  const token = await checkTransfer(messenger, deployment, parameters, 'l1');
  const approve = await sendApprove(messenger, token.l1, token.l2, parameters.amount);
  const sent = await sendDeposit(messenger, token.l1, token.l2, parameters.amount, parameters.recipient);
  return {
    l1TxHash: sent.txHash,
    l1BlockNumber: sent.blockNumber,
    approveGas: approve?.gasUsed ?? null,
    depositGas: sent.gasUsed,
  };
}

export type WaitForDepositParameters = { timeoutMs?: number; pollIntervalMs?: number };

/** Resolves when the deposit's message is relayed on L2; throws if it failed there or the wait times out. */
export async function waitForDeposit(
  messenger: Messenger,
  l1TxHash: string,
  parameters: WaitForDepositParameters = {},
): Promise<void> {
  const timeoutMs = parameters.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await readMessageStatus(messenger, l1TxHash);
    if (status === 'RELAYED') return;
    if (status === 'FAILED_L1_TO_L2_MESSAGE') throw new DepositFailedError(l1TxHash);
    if (Date.now() > deadline) throw new BridgeTimeoutError('the deposit to be relayed to L2', timeoutMs / 1000);
    await new Promise((r) => setTimeout(r, parameters.pollIntervalMs ?? 250));
  }
}
