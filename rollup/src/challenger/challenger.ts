import type { JsonRpcProvider, Signer } from 'ethers';

import { L2OutputOracle__factory, type L2OutputOracle } from '@verity/contracts';
import { HEALTHY, PollLoop, type PollLoopHealth } from '@verity/core';
import { classifyChainError } from '../chain/classifyChainError';
import type { ServiceHaltedError } from '../errors/rollup';
import { createLogger } from '@verity/core';
import { computeOutputRoot } from '../proposer/computeOutputRoot';

export type ChallengerParameters = {
  l1Provider: JsonRpcProvider;
  l2Provider: JsonRpcProvider;
  challenger: Signer;
  l2OutputOracle: string;
  pollIntervalMs?: number;
  /** Cap of the retry delay after failed steps (see PollLoop). */
  maxBackoffMs?: number;
};

/** Why an output is wrong: its root differs from L2's, or it names an L2 block that does not exist. */
export type WrongOutputReason = 'WRONG_ROOT' | 'FUTURE_L2_BLOCK';

export type ChallengeStepReturnType = {
  checked: number;
  deleted?: {
    l2OutputIndex: bigint;
    l2BlockNumber: bigint;
    posted: string;
    /** null for an output beyond the L2 head: there is no root to expect. */
    expected: string | null;
    reason: WrongOutputReason;
    l1TxHash: string;
  };
};

/**
 * Recomputes every proposed output from L2 and, when one is wrong and still inside its finalization window,
 * deletes it (and, as the oracle does, every output after it). The proposer then re-posts from that block.
 * An output for an L2 block beyond the head is wrong too: nobody could know that block's root, and left alone it
 * would finalize and back forged withdrawals. The challenger must outlive every RPC failure, so its loop retries
 * everything (see PollLoop).
 */
export class Challenger {
  private readonly log = createLogger(Challenger.name);
  private readonly oracle: L2OutputOracle;
  /** Next output index to check; outputs before it were found correct. */
  private cursor = 0n;
  private loop?: PollLoop;

  constructor(private readonly parameters: ChallengerParameters) {
    this.oracle = L2OutputOracle__factory.connect(parameters.l2OutputOracle, parameters.challenger);
  }

  async step(): Promise<ChallengeStepReturnType> {
    const nextIndex = await this.oracle.nextOutputIndex();
    // Deletions shrink the list: never point past its end.
    if (this.cursor > nextIndex) this.cursor = nextIndex;
    let checked = 0;
    const period = await this.oracle.finalizationPeriodSeconds();
    const l1Now = BigInt((await this.parameters.l1Provider.getBlock('latest'))?.timestamp ?? 0);
    while (this.cursor < nextIndex) {
      const index = this.cursor;
      const output = await this.oracle.getL2Output(index);
      // The head is read after the output: an honest proposer posts only blocks that existed when it posted, and
      // L2 never rolls back, so a block above today's head did not exist then. Raw RPC: ethers may answer
      // getBlockNumber from a cache, and a stale head would make an honest output look like a future one.
      const l2Head = BigInt(await this.parameters.l2Provider.send('eth_blockNumber', []));
      const expected =
        output.l2BlockNumber > l2Head
          ? null
          : (await computeOutputRoot({ l2Provider: this.parameters.l2Provider, l2BlockNumber: output.l2BlockNumber })).outputRoot;
      checked++;
      if (expected === null || expected.toLowerCase() !== output.outputRoot.toLowerCase()) {
        const reason: WrongOutputReason = expected === null ? 'FUTURE_L2_BLOCK' : 'WRONG_ROOT';
        if (l1Now - output.timestamp >= period) {
          this.log.error(
            { l2OutputIndex: index.toString(), l2Block: output.l2BlockNumber.toString(), l2Head: l2Head.toString(), reason },
            'wrong output already finalized',
          );
          this.cursor++;
          continue;
        }
        const tx = await this.oracle.deleteL2Outputs(index);
        await tx.wait();
        this.log.warn(
          {
            l2OutputIndex: index.toString(),
            l2Block: output.l2BlockNumber.toString(),
            posted: output.outputRoot,
            expected,
            reason,
            l2Head: l2Head.toString(),
            txHash: tx.hash,
          },
          'wrong output deleted',
        );
        return {
          checked,
          deleted: {
            l2OutputIndex: index,
            l2BlockNumber: output.l2BlockNumber,
            posted: output.outputRoot,
            expected,
            reason,
            l1TxHash: tx.hash,
          },
        };
      }
      this.cursor++;
    }
    return { checked };
  }

  /** The loop's health (see PollLoop); healthy before `start`. */
  health(): PollLoopHealth {
    return this.loop?.health() ?? HEALTHY;
  }

  /** Polls `step` until `stop`: failures are retried with back-off and reported by `health` (see PollLoop). */
  start(onHalt?: (err: ServiceHaltedError) => void): void {
    this.loop = new PollLoop({
      classify: classifyChainError,
      name: 'challenger',
      log: this.log,
      intervalMs: this.parameters.pollIntervalMs ?? 1000,
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
