import type { JsonRpcProvider } from 'ethers';

import type { ChainUnavailableError } from '@verity/core';
import type { RelayerCheckpoint } from './relayerStore';

export type FindL1ForkPointParameters = {
  l1Provider: JsonRpcProvider;
  /** The relayer's cursor checkpoints, newest first. */
  checkpoints: RelayerCheckpoint[];
};

/** The newest checkpoint whose block is still on the canonical chain, or undefined when none is. */
export type FindL1ForkPointReturnType = RelayerCheckpoint | undefined;

export type FindL1ForkPointErrorType = ChainUnavailableError;

/**
 * Where the relayer's view of L1 and the canonical chain last agree. Everything the relayer did above it was read
 * from blocks that may be gone, so it re-scans from there. Newest first: a reorg is normally a few blocks deep, so
 * the answer is usually one of the first checkpoints asked.
 *
 * @example const fork = await findL1ForkPoint({ l1Provider, checkpoints: await store.listCheckpoints(streamId) });
 */
export async function findL1ForkPoint(parameters: FindL1ForkPointParameters): Promise<FindL1ForkPointReturnType> {
  for (const checkpoint of parameters.checkpoints) {
    const block = await parameters.l1Provider.getBlock(checkpoint.l1BlockNumber);
    if (block?.hash === checkpoint.l1BlockHash) return checkpoint;
  }
  return undefined;
}
