import { randomBytes } from 'node:crypto';

import { AbiCoder, hexlify, keccak256, TypedDataEncoder, Wallet } from 'ethers';

import {
  hashJobRequest,
  JOB_REQUEST_TYPES,
  jobIdFromDigest,
  jobIdOf,
  marketDomain,
  recoverJobRequestSigner,
  SNARK_SCALAR_FIELD,
  type JobRequest,
} from './jobRequest';

const domain = marketDomain(901, '0x8A791620dd6260079BF849Dc5567aDC3F2FdC318');
const request: JobRequest = {
  modelId: 123n,
  inputCommitment: 456n,
  reward: 10n ** 18n,
  maxFee: 10n ** 17n,
  deadline: 1_767_225_600n,
  nonce: 42n,
};

describe('job requests (EIP-712)', () => {
  it('hashes exactly as ethers’ generic encoder does', () => {
    expect(hashJobRequest(domain, request)).toBe(TypedDataEncoder.hash(domain, JOB_REQUEST_TYPES as never, request));
    const other = marketDomain(900, domain.verifyingContract!);
    expect(hashJobRequest(other, request)).toBe(TypedDataEncoder.hash(other, JOB_REQUEST_TYPES as never, request));
    expect(hashJobRequest(other, request)).not.toBe(hashJobRequest(domain, request));
  });

  it('recovers the signer, and refuses a malleated (high-s) copy of a valid signature', async () => {
    const wallet = Wallet.createRandom();
    const signature = await wallet.signTypedData(domain, JOB_REQUEST_TYPES as never, request);
    expect(recoverJobRequestSigner(domain, request, signature)).toBe(wallet.address);
    expect(recoverJobRequestSigner(domain, { ...request, nonce: 43n }, signature)).not.toBe(wallet.address);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt('0x' + signature.slice(66, 130));
    const v = parseInt(signature.slice(130, 132), 16);
    const malleated = signature.slice(0, 66) + (n - s).toString(16).padStart(64, '0') + (v === 27 ? '1c' : '1b');
    expect(() => recoverJobRequestSigner(domain, request, malleated)).toThrow(/upper half/);
    expect(() => recoverJobRequestSigner(domain, request, '0x1234')).toThrow(/65 bytes/);
  });

  it('binds the job id to the requester', () => {
    expect(jobIdOf(domain, request, '0x' + '11'.repeat(20))).not.toBe(jobIdOf(domain, request, '0x' + '22'.repeat(20)));
  });

  it('derives the job id as keccak256(abi.encode(digest, requester)) modulo the field, whatever the address case', () => {
    for (let i = 0; i < 50; i++) {
      const digest = hexlify(randomBytes(32));
      const requester = Wallet.createRandom().address;
      const abiEncoded = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32', 'address'], [digest, requester])));
      expect(jobIdFromDigest(digest, requester)).toBe(abiEncoded % SNARK_SCALAR_FIELD);
      expect(jobIdFromDigest(digest, requester.toLowerCase())).toBe(abiEncoded % SNARK_SCALAR_FIELD);
    }
  });

  it('refuses a malformed digest or address for the job id', () => {
    expect(() => jobIdFromDigest('0x12', '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc')).toThrow(TypeError);
    expect(() => jobIdFromDigest(hexlify(randomBytes(32)), '0x1234')).toThrow(TypeError);
  });
});
