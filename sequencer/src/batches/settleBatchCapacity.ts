import { InferenceSettlement__factory } from '@verity/contracts';

export type SettleBatchCapacityParameters = { maxBytes: number };
export type SettleBatchCapacityReturnType = number;

const settlement = InferenceSettlement__factory.createInterface();
const sizeOf = (jobs: number) => {
  const job = { modelId: 0, inputCommitment: 0, outputCommitment: 0, jobId: 0, prover: '0x' + '00'.repeat(20) };
  const proof = {
    a: [0, 0],
    b: [
      [0, 0],
      [0, 0],
    ],
    c: [0, 0],
  };
  return (settlement.encodeFunctionData('settleBatch', [Array(jobs).fill(job), Array(jobs).fill(proof)]).length - 2) / 2;
};
/** Job and Proof are static structs: the calldata is a fixed head plus the same bytes for every job. */
const HEAD_BYTES = sizeOf(0);
const JOB_BYTES = sizeOf(1) - HEAD_BYTES;

/**
 * How many jobs one `settleBatch` may carry within `maxBytes` of calldata (at least one): a node refuses an
 * oversized transaction outright, so a batch never grows past what it accepts.
 *
 * @example
 * settleBatchCapacity({ maxBytes: 120_000 }); // 288
 */
export function settleBatchCapacity({ maxBytes }: SettleBatchCapacityParameters): SettleBatchCapacityReturnType {
  return Math.max(1, Math.floor((maxBytes - HEAD_BYTES) / JOB_BYTES));
}
