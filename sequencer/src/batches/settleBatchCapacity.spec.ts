import { InferenceSettlement__factory } from '@verity/contracts';
import { settleBatchCapacity } from './settleBatchCapacity';

const settlement = InferenceSettlement__factory.createInterface();
const calldataBytes = (n: number) => {
  const job = { modelId: 1, inputCommitment: 2, outputCommitment: 3, jobId: 4, prover: '0x' + '11'.repeat(20) };
  const proof = {
    a: [1, 2],
    b: [
      [3, 4],
      [5, 6],
    ],
    c: [7, 8],
  };
  return (settlement.encodeFunctionData('settleBatch', [Array(n).fill(job), Array(n).fill(proof)]).length - 2) / 2;
};

describe('settleBatchCapacity', () => {
  it.each([1_024, 5_000, 120_000])('fits the most jobs whose calldata stays within %i bytes', (maxBytes) => {
    const n = settleBatchCapacity({ maxBytes });
    expect(calldataBytes(n)).toBeLessThanOrEqual(maxBytes);
    expect(calldataBytes(n + 1)).toBeGreaterThan(maxBytes);
  });

  it('always allows one job', () => {
    expect(settleBatchCapacity({ maxBytes: 1 })).toBe(1);
  });
});
