import { JsonRpcProvider, toBeHex, type Log } from 'ethers';

import { PollLoop } from '../chain/pollLoop';
import { DepositHashMismatchError } from '../errors/rollup';
import { createLogger } from '../logger';
import {
  TRANSACTION_DEPOSITED_TOPIC,
  decodeDepositLog,
  depositTransactionHash,
  type DepositTransaction,
} from './depositTransaction';
import type { RelayerStore } from './relayerStore';

export type DepositRelayerParameters = {
  l1Provider: JsonRpcProvider;
  l2Provider: JsonRpcProvider;
  portal: string;
  store: RelayerStore;
  /** L1 blocks a deposit must be buried under before it is relayed. */
  confirmations: number;
  /** Upper bound of L1 blocks scanned per step. */
  maxBlockRange?: number;
  pollIntervalMs?: number;
};

export type RelayStepReturnType = { relayed: number; skipped: number; l1Cursor: bigint };

/**
 * Reads TransactionDeposited from the portal at a confirmed L1 depth and submits each as a deposit transaction
 * (type 0x7e) on L2, exactly once. Exactly-once rests on the chain, not on memory: the deposit's L2 hash is
 * derived from its source hash, and a deposit already on L2 is never sent again (anvil would mine a duplicate,
 * whose revert hides the first receipt). The cursor only moves after a block range is fully relayed, so a
 * crash re-reads at most one range and the hash check makes that harmless.
 */
export class DepositRelayer {
  private readonly log = createLogger(DepositRelayer.name);
  private streamId?: string;
  private loop?: PollLoop;

  constructor(private readonly parameters: DepositRelayerParameters) {}

  private async getStreamId(): Promise<string> {
    if (!this.streamId) {
      const genesis = await this.parameters.l1Provider.getBlock(0);
      const { chainId } = await this.parameters.l1Provider.getNetwork();
      this.streamId = `${chainId}:${genesis?.hash}:${this.parameters.portal.toLowerCase()}`;
    }
    return this.streamId;
  }

  /** One pass: relay every confirmed deposit after the cursor (bounded by maxBlockRange). */
  async step(): Promise<RelayStepReturnType> {
    const { l1Provider, store, confirmations, portal } = this.parameters;
    const streamId = await this.getStreamId();
    const cursor = (await store.getCursor(streamId)) ?? -1n;
    const head = BigInt(await l1Provider.getBlockNumber());
    const confirmed = head - BigInt(confirmations);
    const fromBlock = cursor + 1n;
    if (confirmed < fromBlock) return { relayed: 0, skipped: 0, l1Cursor: cursor };
    const toBlock =
      confirmed < fromBlock + BigInt(this.parameters.maxBlockRange ?? 2000) - 1n
        ? confirmed
        : fromBlock + BigInt(this.parameters.maxBlockRange ?? 2000) - 1n;

    const logs: Log[] = await l1Provider.getLogs({
      address: portal,
      topics: [TRANSACTION_DEPOSITED_TOPIC],
      fromBlock: toBeHex(fromBlock),
      toBlock: toBeHex(toBlock),
    });
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);

    let relayed = 0;
    let skipped = 0;
    for (const log of logs) {
      const deposit = decodeDepositLog(log);
      if (await this.relay(streamId, deposit)) relayed++;
      else skipped++;
    }
    await store.setCursor(streamId, toBlock);
    return { relayed, skipped, l1Cursor: toBlock };
  }

  /** Submits one deposit unless it is already on L2; returns whether it was sent now. */
  private async relay(streamId: string, deposit: DepositTransaction): Promise<boolean> {
    const { l2Provider, store } = this.parameters;
    const depositHash = depositTransactionHash(deposit);
    // Raw RPC: ethers' getTransaction does not parse deposit transactions (type 0x7e) and answers null.
    const existing = (await l2Provider.send('eth_getTransactionByHash', [depositHash])) as { hash: string } | null;
    const record = {
      depositHash,
      l1BlockNumber: deposit.l1BlockNumber,
      l1LogIndex: deposit.l1LogIndex,
      l1TxHash: deposit.l1TxHash,
      l2TxHash: depositHash,
    };
    if (existing) {
      await store.recordDeposit(streamId, record);
      this.log.debug({ depositHash, l1TxHash: deposit.l1TxHash }, 'deposit already on L2');
      return false;
    }
    const l2TxHash = (await l2Provider.send('eth_sendTransaction', [
      {
        type: '0x7e',
        sourceHash: deposit.sourceHash,
        from: deposit.from,
        ...(deposit.to ? { to: deposit.to } : {}),
        mint: toBeHex(deposit.mint),
        value: toBeHex(deposit.value),
        gas: toBeHex(deposit.gasLimit),
        isSystemTx: deposit.isSystemTx,
        input: deposit.data,
      },
    ])) as string;
    if (l2TxHash.toLowerCase() !== depositHash.toLowerCase()) throw new DepositHashMismatchError(depositHash, l2TxHash);
    const receipt = await l2Provider.waitForTransaction(l2TxHash);
    await store.recordDeposit(streamId, record);
    this.log.info(
      {
        depositHash,
        l1TxHash: deposit.l1TxHash,
        l1Block: deposit.l1BlockNumber.toString(),
        l2Block: receipt?.blockNumber,
        status: receipt?.status,
      },
      'deposit relayed',
    );
    return true;
  }

  /** Polls `step` until `stop`; temporary errors are retried, critical ones stop the loop and are logged. */
  /** Polls `step` until `stop` (see PollLoop for the retry rules). */
  start(onCritical?: (err: unknown) => void): void {
    this.loop = new PollLoop({
      name: 'relayer',
      log: this.log,
      intervalMs: this.parameters.pollIntervalMs ?? 500,
      step: () => this.step(),
      onCritical,
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
