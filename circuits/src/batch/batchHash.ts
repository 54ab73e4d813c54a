import { poseidon } from '../commit/poseidon';
import { toField } from '../field';

/** One job of a batch as the batch circuit and the L2 market see it (field elements). */
export type BatchJob = { jobId: bigint; prover: bigint; inputCommitment: bigint; outputCommitment: bigint };

/**
 * The hash that binds a batch proof to its ordered list of jobs: h₀ = 0, hᵢ = Poseidon(hᵢ₋₁, jobIdᵢ, proverᵢ,
 * inputCommitmentᵢ, outputCommitmentᵢ), the batch hash is h_count. One Poseidon of width 6 per job: ~330
 * constraints in the circuit, and the L2 market recomputes it from its own records (InferenceMarket, PoseidonT6).
 * Chained, not a Merkle root: the list is read whole on both sides, and a chain costs one permutation per job.
 */
export function batchHash(jobs: readonly BatchJob[]): bigint {
  let h = 0n;
  jobs.forEach((job, i) => {
    const words = [job.jobId, job.prover, job.inputCommitment, job.outputCommitment].map((v, k) =>
      toField(v, `job ${i} ${['jobId', 'prover', 'inputCommitment', 'outputCommitment'][k]}`),
    );
    h = poseidon([h, ...words]);
  });
  return h;
}
