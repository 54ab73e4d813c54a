import { AbiCoder, keccak256, toBeHex, type JsonRpcProvider } from 'ethers';

import { PREDEPLOYS } from '../devnet/predeploys';
import { L2BlockNotFoundError } from '../errors/rollup';

export type ComputeOutputRootParameters = { l2Provider: JsonRpcProvider; l2BlockNumber: bigint };
export type ComputeOutputRootReturnType = {
  outputRoot: string;
  stateRoot: string;
  messagePasserStorageRoot: string;
  blockHash: string;
};
export type ComputeOutputRootErrorType = L2BlockNotFoundError;

const OUTPUT_VERSION_V0 = '0x' + '00'.repeat(32);

/**
 * Output root v0 (OP spec): keccak256(version ++ stateRoot ++ withdrawalStorageRoot ++ blockHash), where the
 * withdrawal storage root is the storage root of the L2ToL1MessagePasser at that block.
 */
export async function computeOutputRoot(parameters: ComputeOutputRootParameters): Promise<ComputeOutputRootReturnType> {
  const { l2Provider, l2BlockNumber } = parameters;
  const tag = toBeHex(l2BlockNumber);
  const block = (await l2Provider.send('eth_getBlockByNumber', [tag, false])) as { hash: string; stateRoot: string } | null;
  if (!block) throw new L2BlockNotFoundError(l2BlockNumber);
  const proof = (await l2Provider.send('eth_getProof', [PREDEPLOYS.L2ToL1MessagePasser, [], tag])) as { storageHash: string };
  const outputRoot = keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ['bytes32', 'bytes32', 'bytes32', 'bytes32'],
      [OUTPUT_VERSION_V0, block.stateRoot, proof.storageHash, block.hash],
    ),
  );
  return { outputRoot, stateRoot: block.stateRoot, messagePasserStorageRoot: proof.storageHash, blockHash: block.hash };
}
