import { encodeOpenRequest, UnencodableOpenRequestError } from './encodeOpenRequest';

const job = {
  jobId: '9',
  modelId: '1',
  inputCommitment: '2',
  reward: '1000',
  maxFee: '10',
  deadline: '1900000000',
  nonce: '5',
  requester: '0x' + '22'.repeat(20),
  signature: '0x' + 'ab'.repeat(65),
};

describe('encodeOpenRequest', () => {
  it('returns the request and signature as openJobs takes them', () => {
    expect(encodeOpenRequest(job)).toEqual({
      request: {
        modelId: '1',
        inputCommitment: '2',
        reward: '1000',
        maxFee: '10',
        deadline: '1900000000',
        nonce: '5',
        requester: job.requester,
      },
      signature: job.signature,
    });
  });

  it.each([
    ['a signature that is not hex', { signature: '0xzz' }],
    ['a signature without 0x', { signature: 'ab'.repeat(65) }],
    ['a requester that is not an address', { requester: '0x1234' }],
    ['a deadline beyond uint64', { deadline: (2n ** 64n).toString() }],
    ['a reward beyond uint256', { reward: (2n ** 256n).toString() }],
  ])('refuses %s with UnencodableOpenRequestError', (_, patch) => {
    expect(() => encodeOpenRequest({ ...job, ...patch })).toThrow(UnencodableOpenRequestError);
  });
});
