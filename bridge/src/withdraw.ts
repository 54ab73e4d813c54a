import type { Deployment } from '@verity/core';
import { checkTransfer } from './checkTransfer';
import {
  readMessageStatus,
  readWithdrawalTiming,
  sendFinalize,
  sendProve,
  sendWithdrawal,
  type Messenger,
} from './crossChainMessenger';
import {
  BridgeTimeoutError,
  InsufficientBalanceError,
  InvalidArgumentError,
  WithdrawalAlreadyFinalizedError,
  WithdrawalNotReadyError,
} from './errors';

export type InitiateWithdrawalParameters = { token: string; amount: bigint; recipient?: string };
export type InitiateWithdrawalReturnType = { l2TxHash: string; l2BlockNumber: number; l2Gas: bigint };
export type InitiateWithdrawalErrorType = InvalidArgumentError | InsufficientBalanceError;

/** Step 1 of 3: burns the L2 tokens through the L2StandardBridge and records the withdrawal in the message passer. */
export async function initiateWithdrawal(
  messenger: Messenger,
  deployment: Deployment,
  parameters: InitiateWithdrawalParameters,
): Promise<InitiateWithdrawalReturnType> {
  const token = await checkTransfer(messenger, deployment, parameters, 'l2');
  const sent = await sendWithdrawal(messenger, token.l1, token.l2, parameters.amount, parameters.recipient);
  return { l2TxHash: sent.txHash, l2BlockNumber: sent.blockNumber, l2Gas: sent.gasUsed };
}

export type ProveWithdrawalReturnType = { l1TxHash: string; l1Gas: bigint };
export type ProveWithdrawalErrorType = WithdrawalNotReadyError | WithdrawalAlreadyFinalizedError;

/** Step 2 of 3: proves the withdrawal on L1 against an output root that covers its L2 block. */
export async function proveWithdrawal(messenger: Messenger, l2TxHash: string): Promise<ProveWithdrawalReturnType> {
  const status = await readMessageStatus(messenger, l2TxHash);
  if (status === 'RELAYED') throw new WithdrawalAlreadyFinalizedError(l2TxHash);
  if (status !== 'READY_TO_PROVE')
    throw new WithdrawalNotReadyError(
      'prove',
      status,
      status === 'STATE_ROOT_NOT_PUBLISHED' ? 'no output root covers its L2 block yet' : 'it is already proven',
    );
  const sent = await sendProve(messenger, l2TxHash);
  return { l1TxHash: sent.txHash, l1Gas: sent.gasUsed };
}

export type FinalizeWithdrawalReturnType = { l1TxHash: string; l1Gas: bigint };
export type FinalizeWithdrawalErrorType = WithdrawalNotReadyError | WithdrawalAlreadyFinalizedError;

/** Step 3 of 3: after the finalization window, releases the tokens on L1. */
export async function finalizeWithdrawal(messenger: Messenger, l2TxHash: string): Promise<FinalizeWithdrawalReturnType> {
  const status = await readMessageStatus(messenger, l2TxHash);
  if (status === 'RELAYED') throw new WithdrawalAlreadyFinalizedError(l2TxHash);
  const timing = await readWithdrawalTiming(messenger, l2TxHash);
  if (!timing) throw new WithdrawalNotReadyError('finalize', status, 'it has not been proven yet');
  // The SDK reports READY_FOR_RELAY one second before the portal agrees (it needs strictly greater).
  if (status !== 'READY_FOR_RELAY' || timing.l1Now <= timing.finalizableAfter) {
    const left = timing.finalizableAfter + 1n - timing.l1Now;
    throw new WithdrawalNotReadyError(
      'finalize',
      'IN_CHALLENGE_PERIOD',
      `the finalization window ends in ${left} s of L1 time (proven at ${timing.provenAt}, window ${timing.finalizableAfter - timing.provenAt} s)`,
    );
  }
  const sent = await sendFinalize(messenger, l2TxHash);
  return { l1TxHash: sent.txHash, l1Gas: sent.gasUsed };
}

export type WaitForWithdrawalParameters = {
  timeoutMs?: number;
  pollIntervalMs?: number;
  /** Called on each poll with the current status, for progress output. */
  onStatus?: (status: string) => void;
};

/** Waits until the withdrawal can be proven (an output root covers it) or finalized (the window has passed). */
export async function waitForWithdrawal(
  messenger: Messenger,
  l2TxHash: string,
  target: 'READY_TO_PROVE' | 'READY_FOR_RELAY',
  parameters: WaitForWithdrawalParameters = {},
): Promise<void> {
  const timeoutMs = parameters.timeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await readMessageStatus(messenger, l2TxHash);
    parameters.onStatus?.(status);
    if (status === 'RELAYED') throw new WithdrawalAlreadyFinalizedError(l2TxHash);
    if (status === target) {
      if (target === 'READY_TO_PROVE') return;
      const timing = await readWithdrawalTiming(messenger, l2TxHash);
      if (timing && timing.l1Now > timing.finalizableAfter) return;
    }
    if (Date.now() > deadline) throw new BridgeTimeoutError(`withdrawal status ${target}`, timeoutMs / 1000);
    await new Promise((r) => setTimeout(r, parameters.pollIntervalMs ?? 500));
  }
}
