import { TypedDataEncoder, getBytes, keccak256, toUtf8Bytes, verifyTypedData, type TypedDataDomain } from 'ethers';

import { checksumAddress, keccak256Bytes } from './keccak';

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

const JOB_REQUEST_TYPEHASH = keccak256(
  toUtf8Bytes('JobRequest(uint256 modelId,uint256 inputCommitment,uint256 reward,uint256 maxFee,uint64 deadline,uint256 nonce)'),
);
const UINT64_MAX = (1n << 64n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;
const separators = new Map<string, string>();

/**
 * The EIP-712 digest a requester signs (InferenceMarket.hashJobRequest): keccak256(0x1901 ‖ domain separator ‖
 * struct hash). Encoded by hand because every intake computes it, and ethers' generic TypedDataEncoder costs ~10×
 * more; the domain separator is cached per domain. Tests hold it equal to ethers' encoder and to the contract.
 */
export function hashJobRequest(domain: TypedDataDomain, request: JobRequest): string {
  const key = `${domain.chainId}:${domain.verifyingContract}`;
  let separator = separators.get(key);
  if (!separator) {
    separator = TypedDataEncoder.hashDomain(domain);
    separators.set(key, separator);
  }
  const fields = [request.modelId, request.inputCommitment, request.reward, request.maxFee, request.deadline, request.nonce];
  fields.forEach((v, i) => {
    if (v < 0n || v > (i === 4 ? UINT64_MAX : UINT256_MAX))
      throw new RangeError('a job request field is out of its type’s range');
  });
  // abi.encode of the struct: the type hash, then each field as a 32-byte word.
  const encoded = Buffer.alloc(32 * 7);
  encoded.write(JOB_REQUEST_TYPEHASH.slice(2), 0, 'hex');
  fields.forEach((v, i) => encoded.write(v.toString(16).padStart(64, '0'), 32 * (i + 1), 'hex'));
  const message = Buffer.alloc(66);
  message.write('1901' + separator.slice(2), 0, 'hex');
  keccak256Bytes(encoded).copy(message, 34);
  return '0x' + keccak256Bytes(message).toString('hex');
}

/**
 * The job id the market derives (InferenceMarket.jobIdOf): keccak256(digest ‖ requester) modulo the field, known
 * before the request is opened. The requester is in it so a copy of a request signed by someone else gets another id.
 */
export function jobIdOf(domain: TypedDataDomain, request: JobRequest, requester: string): bigint {
  return jobIdFromDigest(hashJobRequest(domain, request), requester);
}

/**
 * jobIdOf for a digest already computed (intake hashes each request once): keccak256(abi.encode(digest, requester))
 * modulo the field. The 64 encoded bytes are laid out by hand: the generic ABI coder parses its type strings on every
 * call, and intake derives an id per request.
 */
export function jobIdFromDigest(digest: string, requester: string): bigint {
  if (!/^0x[0-9a-fA-F]{64}$/.test(digest) || !/^0x[0-9a-fA-F]{40}$/.test(requester))
    throw new TypeError('jobIdFromDigest takes a 32-byte digest and a 20-byte address');
  const encoded = Buffer.alloc(64);
  encoded.write(digest.slice(2), 0, 'hex');
  encoded.write(requester.slice(2), 44, 'hex');
  return BigInt('0x' + keccak256Bytes(encoded).toString('hex')) % SNARK_SCALAR_FIELD;
}

/** secp256k1's group order n, and n/2: signatures with a larger s are refused (EIP-2), as the market refuses them. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = SECP256K1_N / 2n;

/**
 * The EOA that signed `request` (an ERC-1271 wallet needs an on-chain check instead). Uses libsecp256k1 (the npm
 * `secp256k1` package's prebuilt binding) when it loads: recovery is the costliest step of job intake, ~20× faster
 * natively than in JavaScript. Falls back to ethers. High-s signatures are refused either way.
 */
export function recoverJobRequestSigner(
  domain: TypedDataDomain,
  request: JobRequest,
  signature: string,
  digest = hashJobRequest(domain, request),
): string {
  const bytes = getBytes(signature);
  if (bytes.length !== 65) throw new Error('a job request signature has 65 bytes');
  if (BigInt('0x' + Buffer.from(bytes.subarray(32, 64)).toString('hex')) > HALF_N)
    throw new Error('signature s is in the upper half of the curve order (EIP-2)');
  const v = bytes[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new Error(`invalid signature v ${v}`);
  if (nativeSecp256k1) {
    const message = Buffer.from(digest.slice(2), 'hex');
    if (message.length !== 32 || !/^0x[0-9a-fA-F]{64}$/.test(digest)) throw new Error('a job request digest has 32 bytes');
    const publicKey = nativeSecp256k1.ecdsaRecover(bytes.subarray(0, 64), recovery, message, false);
    return checksumAddress(keccak256Bytes(publicKey.subarray(1)).subarray(12).toString('hex'));
  }
  return verifyTypedData(domain, types, request, signature);
}

type NativeSecp256k1 = { ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array };
const nativeSecp256k1: NativeSecp256k1 | undefined = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional native binding, loaded if present
    return require('secp256k1') as NativeSecp256k1;
  } catch {
    return undefined;
  }
})();
