import type { JsonRpcProvider, Signer } from 'ethers';

import { L2OutputOracle__factory, type L2OutputOracle } from '@verity/contracts';
import { HEALTHY, PollLoop, type PollLoopHealth } from '@verity/core';
import { classifyChainError } from '../chain/classifyChainError';
import type { ServiceHaltedError } from '../errors/rollup';
import { createLogger } from '@verity/core';
import { computeOutputRoot } from './computeOutputRoot';

export type OutputProposerParameters = {
  l1Provider: JsonRpcProvider;
  l2Provider: JsonRpcProvider;
  proposer: Signer;
  l2OutputOracle: string;
  /** L1 depth of the block hash the proposal commits to (guards against proposing on an L1 fork). */
  l1Confirmations?: number;
  /** At most this many outputs per step, so a long catch-up yields to shutdown. */
  maxProposalsPerStep?: number;
  pollIntervalMs?: number;
  /** Cap of the retry delay after failed steps (see PollLoop). */
  maxBackoffMs?: number;
  /**
   * Computes the root to post. Defaults to the honest computation; tests replace it to act as a faulty
   * proposer for the challenger.
   */
  outputRootFor?: (l2BlockNumber: bigint) => Promise<string>;
};

export type ProposeStepReturnType = { proposed: { l2BlockNumber: bigint; outputRoot: string; l1TxHash: string }[] };

/**
 * Posts output roots to L2OutputOracle. The oracle accepts exactly `nextBlockNumber()` each time, so the proposer
 * asks it rather than keeping its own count, and proposes once the L2 head has reached that block and L1 time has
 * passed the block's timestamp as the oracle computes it (else the oracle reverts "in the future"; on an
 * interval-mined devnet that is the normal state for about a block).
 */
export class OutputProposer {
  private readonly log = createLogger(OutputProposer.name);
  private readonly oracle: L2OutputOracle;
  private loop?: PollLoop;

  constructor(private readonly parameters: OutputProposerParameters) {
    this.oracle = L2OutputOracle__factory.connect(parameters.l2OutputOracle, parameters.proposer);
  }

  async step(): Promise<ProposeStepReturnType> {
    const { l1Provider, l2Provider } = this.parameters;
    const proposed: ProposeStepReturnType['proposed'] = [];
    const max = this.parameters.maxProposalsPerStep ?? 32;
    let retried = false;
    while (proposed.length < max && !this.loop?.isStopped) {
      const next = await this.oracle.nextBlockNumber();
      const l2Head = BigInt(await l2Provider.getBlockNumber());
      if (next > l2Head) break;
      const l1Latest = await l1Provider.getBlock('latest');
      if (!l1Latest || (await this.oracle.computeL2Timestamp(next)) >= BigInt(l1Latest.timestamp)) break;
      const outputRoot = this.parameters.outputRootFor
        ? await this.parameters.outputRootFor(next)
        : (await computeOutputRoot({ l2Provider, l2BlockNumber: next })).outputRoot;
      const l1Head = await l1Provider.getBlockNumber();
      const l1Block = await l1Provider.getBlock(Math.max(0, l1Head - (this.parameters.l1Confirmations ?? 0)));
      if (!l1Block?.hash) break;
      let tx: Awaited<ReturnType<L2OutputOracle['proposeL2Output']>> | undefined;
      try {
        tx = await this.oracle.proposeL2Output(outputRoot, next, l1Block.hash, l1Block.number);
        await tx.wait();
      } catch (err) {
        // A proposal refused or mined but reverted: the oracle's state or L1 moved between our reads and the block
        // that took it (the challenger deleted outputs, another proposal of that block, an L1 reorg under the
        // committed block hash). Read everything again once, saying why; a second revert in one step is an error.
        if (retried || (err as { code?: string }).code !== 'CALL_EXCEPTION') throw err;
        retried = true;
        const reason = await this.oracle.proposeL2Output.staticCall(outputRoot, next, l1Block.hash, l1Block.number).then(
          () => 'it would pass now',
          (e: { reason?: string; shortMessage?: string }) => e.reason ?? e.shortMessage ?? 'unknown',
        );
        this.log.warn(
          { l2Block: next.toString(), l1Block: l1Block.number, txHash: tx?.hash, reason },
          'output proposal reverted; reading the oracle and L1 again',
        );
        continue;
      }
      // Routine every submission interval: debug, so it does not drown the state changes that matter.
      this.log.debug({ l2Block: next.toString(), outputRoot, txHash: tx.hash }, 'output proposed');
      proposed.push({ l2BlockNumber: next, outputRoot, l1TxHash: tx.hash });
    }
    return { proposed };
  }

  /** The loop's health (see PollLoop); healthy before `start`. */
  health(): PollLoopHealth {
    return this.loop?.health() ?? HEALTHY;
  }

  /** Polls `step` until `stop`: failures are retried with back-off and reported by `health` (see PollLoop). */
  start(onHalt?: (err: ServiceHaltedError) => void): void {
    this.loop = new PollLoop({
      classify: classifyChainError,
      name: 'proposer',
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
