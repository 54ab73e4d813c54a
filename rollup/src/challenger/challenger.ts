import type { JsonRpcProvider, Signer } from 'ethers';

import { L2OutputOracle__factory, type L2OutputOracle } from '../../../contracts/build/types';
import { PollLoop } from '../chain/pollLoop';
import { createLogger } from '../logger';
import { computeOutputRoot } from '../proposer/computeOutputRoot';

export type ChallengerParameters = {
  l1Provider: JsonRpcProvider;
  l2Provider: JsonRpcProvider;
  challenger: Signer;
  l2OutputOracle: string;
  pollIntervalMs?: number;
};

export type ChallengeStepReturnType = {
  checked: number;
  deleted?: { l2OutputIndex: bigint; l2BlockNumber: bigint; posted: string; expected: string; l1TxHash: string };
};

/**
 * Recomputes every proposed output from L2 and, when one is wrong and still inside its finalization window,
 * deletes it (and, as the oracle does, every output after it). The proposer then re-posts from that block.
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
      const expected = (await computeOutputRoot({ l2Provider: this.parameters.l2Provider, l2BlockNumber: output.l2BlockNumber }))
        .outputRoot;
      checked++;
      if (expected.toLowerCase() !== output.outputRoot.toLowerCase()) {
        if (l1Now - output.timestamp >= period) {
          this.log.error(
            { l2OutputIndex: index.toString(), l2Block: output.l2BlockNumber.toString() },
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
            l1TxHash: tx.hash,
          },
        };
      }
      this.cursor++;
    }
    return { checked };
  }

  /** Polls `step` until `stop` (see PollLoop for the retry rules). */
  start(onCritical?: (err: unknown) => void): void {
    this.loop = new PollLoop({
      name: 'challenger',
      log: this.log,
      intervalMs: this.parameters.pollIntervalMs ?? 1000,
      step: () => this.step(),
      onCritical,
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
