import type { JsonRpcProvider } from 'ethers';

import type { ChainUnavailableError } from '@verity/core';
import type { RelayedDeposit } from './relayerStore';

export type FindReorgedDepositsParameters = {
  l1Provider: JsonRpcProvider;
  deposits: RelayedDeposit[];
};

export type FindReorgedDepositsReturnType = {
  deposit: RelayedDeposit;
  /** The hash of the canonical block at the deposit's height now, or null when the chain is shorter. */
  canonicalL1BlockHash: string | null;
}[];

export type FindReorgedDepositsErrorType = ChainUnavailableError;

/**
 * The recorded deposits whose L1 block is no longer canonical. A deposit without a stored block hash (recorded
 * before hashes were kept) counts as reorged: nothing proves it is still on L1, and the caller errs towards halting.
 *
 * @example const lost = await findReorgedDeposits({ l1Provider, deposits: await store.listDepositsAfter(streamId, fork) });
 */
export async function findReorgedDeposits(parameters: FindReorgedDepositsParameters): Promise<FindReorgedDepositsReturnType> {
  const canonical = new Map<bigint, string | null>();
  const reorged: FindReorgedDepositsReturnType = [];
  for (const deposit of parameters.deposits) {
    if (!canonical.has(deposit.l1BlockNumber))
      canonical.set(deposit.l1BlockNumber, (await parameters.l1Provider.getBlock(deposit.l1BlockNumber))?.hash ?? null);
    const canonicalL1BlockHash = canonical.get(deposit.l1BlockNumber) ?? null;
    if (!deposit.l1BlockHash || canonicalL1BlockHash !== deposit.l1BlockHash) reorged.push({ deposit, canonicalL1BlockHash });
  }
  return reorged;
}
