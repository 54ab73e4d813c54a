import { randomBytes } from 'node:crypto';

import { Wallet, hexlify } from 'ethers';

import { hashJobRequest, jobIdFromDigest, jobIdOf, marketDomain } from '@verity/contracts';
import { computeJobId } from './computeJobId';

describe('computeJobId', () => {
  it('equals the ABI-encoded derivation of @verity/contracts', () => {
    for (let i = 0; i < 50; i++) {
      const digest = hexlify(randomBytes(32));
      const requester = Wallet.createRandom().address;
      expect(computeJobId({ digest, requester })).toBe(jobIdFromDigest(digest, requester));
      expect(computeJobId({ digest, requester: requester.toLowerCase() })).toBe(jobIdFromDigest(digest, requester));
    }
  });

  it('equals jobIdOf for a request', () => {
    const domain = marketDomain(901, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
    const request = { modelId: 7n, inputCommitment: 9n, reward: 1000n, maxFee: 100n, deadline: 1_900_000_000n, nonce: 3n };
    const requester = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc';
    expect(computeJobId({ digest: hashJobRequest(domain, request), requester })).toBe(jobIdOf(domain, request, requester));
  });

  it('refuses malformed input', () => {
    expect(() => computeJobId({ digest: '0x12', requester: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc' })).toThrow(TypeError);
    expect(() => computeJobId({ digest: hexlify(randomBytes(32)), requester: '0x1234' })).toThrow(TypeError);
  });
});
