import { keccak256 } from 'ethers';

import { SNARK_SCALAR_FIELD } from '@verity/contracts';

export type ComputeJobIdParameters = {
  /** The request's EIP-712 digest (0x and 64 hex digits). */
  digest: string;
  /** The requester's address (0x and 40 hex digits). */
  requester: string;
};
export type ComputeJobIdReturnType = bigint;

/**
 * The job id the market derives, keccak256(abi.encode(digest, requester)) modulo the BN254 field, as
 * `jobIdFromDigest` of @verity/contracts computes it, with the 64 encoded bytes laid out by hand: the generic ABI
 * coder parses its type strings on every call, and intake derives an id per request.
 *
 * @example computeJobId({ digest: hashJobRequest(domain, request), requester })
 */
export function computeJobId({ digest, requester }: ComputeJobIdParameters): ComputeJobIdReturnType {
  if (!/^0x[0-9a-fA-F]{64}$/.test(digest) || !/^0x[0-9a-fA-F]{40}$/.test(requester))
    throw new TypeError('computeJobId takes a 32-byte digest and a 20-byte address');
  const encoded = Buffer.alloc(64);
  encoded.write(digest.slice(2), 0, 'hex');
  encoded.write(requester.slice(2), 44, 'hex');
  return BigInt(keccak256(encoded)) % SNARK_SCALAR_FIELD;
}
