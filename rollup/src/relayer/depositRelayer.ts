import { JsonRpcProvider, toBeHex, type Log } from 'ethers';

import { HEALTHY, PollLoop, type PollLoopHealth } from '@verity/core';
import { classifyChainError } from '../chain/classifyChainError';
import { DepositHashMismatchError, RelayerHaltedError, type ServiceHaltedError } from '../errors/rollup';
import { createLogger } from '@verity/core';
import {
  TRANSACTION_DEPOSITED_TOPIC,
  decodeDepositLog,
  depositTransactionHash,
  type DepositTransaction,
} from './depositTransaction';
import { findL1ForkPoint } from './findL1ForkPoint';
import { findReorgedDeposits } from './findReorgedDeposits';
import { DEFAULT_CHECKPOINT_HISTORY, type RelayerCheckpoint, type RelayerHalt, type RelayerStore } from './relayerStore';

/**
 * How deep an L1 block must be before its deposits are relayed: a number of blocks under the head, or
 * 'finalized' (the L1 node's finalized block).
 *
 * This L2 cannot roll back, so a deposit relayed from an L1 block that later leaves the canonical chain stays
 * minted. Production relays at 'finalized', which no reorg reaches without burning a third of the validators'
 * stake. The devnet uses a small number (RELAYER_CONFIRMATIONS, 1 by default; 0 in tests) because its L1 only
 * reorgs when a test makes it. At any depth the relayer still detects a reorg: it re-scans from the fork point,
 * and halts if a deposit it already minted is gone.
 */
export type RelayDepth = number | 'finalized';

/**
 * The key of a relayer's state in Postgres: L1 chain, genesis hash and portal, so a fresh devnet never inherits an
 * old cursor (or halt).
 */
export async function relayerStreamId(l1Provider: JsonRpcProvider, portal: string): Promise<string> {
  const genesis = await l1Provider.getBlock(0);
  const { chainId } = await l1Provider.getNetwork();
  return `${chainId}:${genesis?.hash}:${portal.toLowerCase()}`;
}

export type DepositRelayerParameters = {
  l1Provider: JsonRpcProvider;
  l2Provider: JsonRpcProvider;
  portal: string;
  store: RelayerStore;
  /** See RelayDepth. */
  confirmations: RelayDepth;
  /** Upper bound of L1 blocks scanned per step. */
  maxBlockRange?: number;
  /** Cursor checkpoints kept to find the fork point after a reorg (default 256). */
  checkpointHistory?: number;
  pollIntervalMs?: number;
  /** Cap of the retry delay after failed steps (see PollLoop). */
  maxBackoffMs?: number;
};

export type RelayStepReturnType = {
  relayed: number;
  skipped: number;
  l1Cursor: bigint;
  /** Set when this step found an L1 reorg under the cursor and moved back to the fork point. */
  reorg?: { fromL1Block: bigint; forkL1Block: bigint };
};

/**
 * Reads TransactionDeposited from the portal at a confirmed L1 depth and submits each as a deposit transaction
 * (type 0x7e) on L2, exactly once. Exactly-once rests on the chain, not on memory: the deposit's L2 hash is
 * derived from its source hash, and a deposit already on L2 is never sent again (anvil would mine a duplicate,
 * whose revert hides the first receipt). The cursor only moves after a block range is fully relayed, so a
 * crash re-reads at most one range and the hash check makes that harmless.
 *
 * L1 reorgs: the source hash commits to the L1 block hash, so a deposit re-included in another block is, for L2,
 * a new deposit. The cursor and each relayed deposit keep the hash of their L1 block. Every step first checks
 * that the cursor's block is still canonical; if not, it finds the newest checkpoint that is and re-scans from
 * there (a deposit that moved to a height at or below the old cursor is not lost). If a deposit that was
 * already minted on L2 came from a block that is gone, relaying the new chain would mint it twice, and L2 cannot
 * undo the first mint: the relayer halts, persists the halt, and mints nothing until an operator clears it.
 */
export class DepositRelayer {
  private readonly log = createLogger(DepositRelayer.name);
  private streamId?: string;
  private loop?: PollLoop;
  private halt?: RelayerHalt;

  constructor(private readonly parameters: DepositRelayerParameters) {}

  async getStreamId(): Promise<string> {
    this.streamId ??= await relayerStreamId(this.parameters.l1Provider, this.parameters.portal);
    return this.streamId;
  }

  /**
   * One pass: check the cursor against the canonical chain (rewinding or halting on a reorg), then relay every
   * confirmed deposit after the cursor (bounded by maxBlockRange). Throws RelayerHaltedError while halted.
   */
  async step(): Promise<RelayStepReturnType> {
    const { l1Provider, store, portal } = this.parameters;
    const streamId = await this.getStreamId();
    const halt = await store.getHalt(streamId);
    if (halt) {
      this.halt = halt;
      throw new RelayerHaltedError(halt.reason);
    }
    this.halt = undefined;

    let cursor = await store.getCursor(streamId);
    let reorg: RelayStepReturnType['reorg'];
    if (cursor) {
      const canonical = await l1Provider.getBlock(cursor.l1BlockNumber);
      if (!canonical?.hash || (cursor.l1BlockHash !== null && canonical.hash !== cursor.l1BlockHash)) {
        const fork = await this.recoverFromReorg(streamId, cursor.l1BlockNumber, canonical?.hash ?? null);
        reorg = { fromL1Block: cursor.l1BlockNumber, forkL1Block: fork?.l1BlockNumber ?? -1n };
        cursor = fork;
      } else if (cursor.l1BlockHash === null) {
        // Written before hashes were stored (or set by hand): adopt today's block; older reorgs cannot be seen.
        await store.setCursor(streamId, cursor.l1BlockNumber, canonical.hash, this.checkpointHistory);
      }
    }

    const cursorNumber = cursor?.l1BlockNumber ?? -1n;
    const confirmed = await this.confirmedL1Head();
    const fromBlock = cursorNumber + 1n;
    if (confirmed < fromBlock) return { relayed: 0, skipped: 0, l1Cursor: cursorNumber, reorg };
    const range = BigInt(this.parameters.maxBlockRange ?? 2000);
    const toBlock = confirmed < fromBlock + range - 1n ? confirmed : fromBlock + range - 1n;

    // The cursor will carry this block's hash. Read it before and after the logs: if it changed, the chain
    // reorganized during the read and the logs may mix two chains, so nothing is relayed from them.
    const pinned = await l1Provider.getBlock(toBlock);
    const logs: Log[] = await l1Provider.getLogs({
      address: portal,
      topics: [TRANSACTION_DEPOSITED_TOPIC],
      fromBlock: toBeHex(fromBlock),
      toBlock: toBeHex(toBlock),
    });
    const pinnedAfter = await l1Provider.getBlock(toBlock);
    if (!pinned?.hash || pinned.hash !== pinnedAfter?.hash) {
      this.log.debug({ l1Block: toBlock.toString() }, 'L1 changed while reading deposits, retrying next step');
      return { relayed: 0, skipped: 0, l1Cursor: cursorNumber, reorg };
    }
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);

    let relayed = 0;
    let skipped = 0;
    for (const log of logs) {
      const deposit = decodeDepositLog(log);
      if (await this.relay(streamId, deposit)) relayed++;
      else skipped++;
    }
    await store.setCursor(streamId, toBlock, pinned.hash, this.checkpointHistory);
    return { relayed, skipped, l1Cursor: toBlock, reorg };
  }

  private get checkpointHistory(): number {
    return this.parameters.checkpointHistory ?? DEFAULT_CHECKPOINT_HISTORY;
  }

  private async confirmedL1Head(): Promise<bigint> {
    const { l1Provider, confirmations } = this.parameters;
    if (confirmations === 'finalized') {
      const finalized = await l1Provider.getBlock('finalized');
      return finalized ? BigInt(finalized.number) : -1n;
    }
    return BigInt(await l1Provider.getBlockNumber()) - BigInt(confirmations);
  }

  /**
   * The cursor's block left the canonical chain. Finds the fork point, then looks at every deposit recorded above
   * it: one from a lost block that L2 never minted is forgotten (the new chain's copy will be relayed); one that
   * L2 minted halts the relayer. Returns the fork point the cursor was moved back to.
   */
  private async recoverFromReorg(
    streamId: string,
    cursorL1Block: bigint,
    canonicalL1BlockHash: string | null,
  ): Promise<RelayerCheckpoint | undefined> {
    const { l1Provider, l2Provider, store } = this.parameters;
    const fork = await findL1ForkPoint({ l1Provider, checkpoints: await store.listCheckpoints(streamId) });
    const forkL1Block = fork?.l1BlockNumber ?? -1n;
    const reorged = await findReorgedDeposits({ l1Provider, deposits: await store.listDepositsAfter(streamId, forkL1Block) });

    const minted: typeof reorged = [];
    const unminted: string[] = [];
    for (const entry of reorged) {
      // Raw RPC: ethers' getTransaction does not parse deposit transactions (type 0x7e) and answers null.
      const onL2 = await l2Provider.send('eth_getTransactionByHash', [entry.deposit.depositHash]);
      if (onL2) minted.push(entry);
      else unminted.push(entry.deposit.depositHash);
    }

    if (minted.length > 0) {
      const first = minted[0]!.deposit;
      const halt: RelayerHalt = {
        reason:
          `deposit ${first.depositHash} (L1 tx ${first.l1TxHash}) was minted on L2 from L1 block ${first.l1BlockNumber} ` +
          `(${first.l1BlockHash ?? 'hash unknown'}), which is no longer canonical; ${minted.length} minted deposit(s) affected`,
        depositHash: first.depositHash,
        l1BlockNumber: first.l1BlockNumber,
        l1BlockHash: first.l1BlockHash,
        l1TxHash: first.l1TxHash,
      };
      await store.halt(
        streamId,
        halt,
        minted.map((m) => m.deposit.depositHash),
      );
      this.halt = halt;
      for (const { deposit, canonicalL1BlockHash: canonicalHash } of minted)
        this.log.fatal(
          {
            severity: 'critical',
            streamId,
            depositHash: deposit.depositHash,
            l1TxHash: deposit.l1TxHash,
            l1Block: deposit.l1BlockNumber.toString(),
            l1BlockHash: deposit.l1BlockHash,
            canonicalL1BlockHash: canonicalHash,
            forkL1Block: forkL1Block.toString(),
          },
          'minted deposit reorged out of L1: relayer halted, operator action required',
        );
      throw new RelayerHaltedError(halt.reason);
    }

    await store.rewind(streamId, fork, unminted);
    this.log.warn(
      {
        streamId,
        fromL1Block: cursorL1Block.toString(),
        canonicalL1BlockHash,
        forkL1Block: forkL1Block.toString(),
        forgottenDeposits: unminted.length,
      },
      'L1 reorg under the relayer cursor, re-scanning from the fork point',
    );
    return fork;
  }

  /** Submits one deposit unless it is already on L2; returns whether it was sent now. */
  private async relay(streamId: string, deposit: DepositTransaction): Promise<boolean> {
    const { l2Provider, store } = this.parameters;
    const depositHash = depositTransactionHash(deposit);
    // Recorded before sending: should the process die between the two, the reorg check still knows of it.
    await store.recordDeposit(streamId, {
      depositHash,
      l1BlockNumber: deposit.l1BlockNumber,
      l1BlockHash: deposit.l1BlockHash,
      l1LogIndex: deposit.l1LogIndex,
      l1TxHash: deposit.l1TxHash,
      l2TxHash: depositHash,
    });
    // Raw RPC: ethers' getTransaction does not parse deposit transactions (type 0x7e) and answers null.
    const existing = (await l2Provider.send('eth_getTransactionByHash', [depositHash])) as { hash: string } | null;
    if (existing) {
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
    this.log.info(
      {
        depositHash,
        l1TxHash: deposit.l1TxHash,
        l1Block: deposit.l1BlockNumber.toString(),
        l1BlockHash: deposit.l1BlockHash,
        l2Block: receipt?.blockNumber,
        status: receipt?.status,
      },
      'deposit relayed',
    );
    return true;
  }

  /** Unhealthy while halted (persisted, so a restarted relayer reports it after its first step) or failing. */
  health(): PollLoopHealth {
    if (this.halt)
      return {
        healthy: false,
        halted: true,
        consecutiveFailures: 0,
        reason: `halted: ${this.halt.reason}`,
        lastError: { code: 'RELAYER_HALTED', message: this.halt.reason },
      };
    return this.loop?.health() ?? HEALTHY;
  }

  /**
   * The operator's way out of a halt, once L2 has been reconciled by hand (the reorged-out mint stays on L2).
   * The relayer then re-scans from the fork point and relays the canonical chain's deposits, including a
   * re-included copy of the reorged one. Restart the loop (`start`) afterwards. Returns whether a halt was cleared.
   */
  async clearHalt(): Promise<boolean> {
    const streamId = await this.getStreamId();
    const cleared = await this.parameters.store.clearHalt(streamId);
    if (cleared) this.log.warn({ streamId, depositHash: this.halt?.depositHash }, 'relayer halt cleared by an operator');
    this.halt = undefined;
    // The halted loop is over; its health no longer describes the relayer.
    if (this.loop?.isStopped) this.loop = undefined;
    return cleared;
  }

  /**
   * Polls `step` until `stop`. Failures are retried with back-off (see PollLoop); only a halt ends the loop, and
   * `onHalt` hears of it.
   */
  start(onHalt?: (err: ServiceHaltedError) => void): void {
    this.loop = new PollLoop({
      classify: classifyChainError,
      name: 'relayer',
      log: this.log,
      intervalMs: this.parameters.pollIntervalMs ?? 500,
      maxBackoffMs: this.parameters.maxBackoffMs,
      step: () => this.step(),
      onHalt,
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
