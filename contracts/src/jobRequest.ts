import { AbiCoder, TypedDataEncoder, keccak256, verifyTypedData, type TypedDataDomain } from 'ethers';

/** BN254 scalar field: job ids are field elements so the circuit can take them as a public signal. */
export const SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** What a requester signs (EIP-712), exactly as InferenceMarket.JOB_REQUEST_TYPEHASH defines it. */
export type JobRequest = {
  modelId: bigint;
  inputCommitment: bigint;
  reward: bigint;
  maxFee: bigint;
  /** Unix seconds. */
  deadline: bigint;
  nonce: bigint;
};

export const JOB_REQUEST_TYPES = {
  JobRequest: [
    { name: 'modelId', type: 'uint256' },
    { name: 'inputCommitment', type: 'uint256' },
    { name: 'reward', type: 'uint256' },
    { name: 'maxFee', type: 'uint256' },
    { name: 'deadline', type: 'uint64' },
    { name: 'nonce', type: 'uint256' },
  ],
} as const;

/** The market's EIP-712 domain: name and version fixed by the contract, bound to one chain and one market. */
export function marketDomain(chainId: number | bigint, market: string): TypedDataDomain {
  return { name: 'Verity InferenceMarket', version: '1', chainId, verifyingContract: market };
}

const types = JOB_REQUEST_TYPES as unknown as Record<string, { name: string; type: string }[]>;

/** The EIP-712 digest a requester signs (InferenceMarket.hashJobRequest). */
export function hashJobRequest(domain: TypedDataDomain, request: JobRequest): string {
  return TypedDataEncoder.hash(domain, types, request);
}

/**
 * The job id the market derives (InferenceMarket.jobIdOf): keccak256(digest ‖ requester) modulo the field, known
 * before the request is opened. The requester is in it so a copy of a request signed by someone else gets another id.
 */
export function jobIdOf(domain: TypedDataDomain, request: JobRequest, requester: string): bigint {
  const digest = hashJobRequest(domain, request);
  return BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32', 'address'], [digest, requester]))) % SNARK_SCALAR_FIELD;
}

/** The EOA that signed `request` (an ERC-1271 wallet needs an on-chain check instead). */
export function recoverJobRequestSigner(domain: TypedDataDomain, request: JobRequest, signature: string): string {
  return verifyTypedData(domain, types, request, signature);
}
