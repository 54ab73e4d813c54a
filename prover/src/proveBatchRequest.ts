import {
  proveBatch,
  quantizeInput,
  toField,
  type BatchSlot,
  type Groth16ProverProcess,
  type ProveBatchReturnType,
} from '@verity/circuits';
import { BaseError } from '@verity/core';
import type { ModelCache } from './modelCache';
import type { LeasedBatchProof } from './sequencerClient';

/**
 * A batch proof request this prover will not prove: it names another batch circuit than the request's model and K,
 * or its jobs are not what this prover served (a commitment the openings do not reproduce).
 */
export class BatchProofRefusedError extends BaseError {
  override name = 'BatchProofRefusedError';
  constructor(shortMessage: string) {
    super('BATCH_PROOF_REFUSED', shortMessage);
  }
}

export type ProveBatchRequestParameters = {
  request: LeasedBatchProof;
  cache: ModelCache;
  /** This prover's address: every job of the request was proven by it, so every slot names it. */
  prover: string;
  /** The child process that proves (the caller's event loop only waits on IPC). */
  proverProcess: Groth16ProverProcess;
};

export type ProveBatchRequestReturnType = ProveBatchReturnType;

export type ProveBatchRequestErrorType = BatchProofRefusedError | BaseError;

/**
 * Proves a leased batch proof request with the model's batch key of K (fetched and cached), in `proverProcess`,
 * then holds the commitments the circuit computed to the ones the sequencer sent: a mismatch is refused
 * (BatchProofRefusedError) rather than submitted, since the batch hash would name other jobs than the market's.
 *
 * @example
 * const proved = await proveBatchRequest({ request, cache, prover: wallet.address, proverProcess });
 * await client.submitBatchProof(request.batchProofId, { proof: proved.proof, publicSignals: proved.publicSignals });
 */
export async function proveBatchRequest(parameters: ProveBatchRequestParameters): Promise<ProveBatchRequestReturnType> {
  const { request, cache } = parameters;
  // Checked before anything is downloaded: a request for 65 jobs or none is not worth fetching a zkey for.
  if (!Array.isArray(request.jobs) || request.jobs.length < 1 || request.jobs.length > request.batchSize)
    throw new BatchProofRefusedError(
      `request ${request.batchProofId} holds ${request.jobs?.length} jobs for a batch circuit of ${request.batchSize} slots`,
    );
  if (!(Date.parse(request.giveUpAt) > Date.now()))
    throw new BatchProofRefusedError(`request ${request.batchProofId} was already given up at ${request.giveUpAt}`);
  const model = await cache.get(request.modelId);
  const batch = await cache.getBatch(request.modelId, request.batchSize);
  const prover = BigInt(parameters.prover);
  const slots: BatchSlot[] = request.jobs.map((job) => ({
    xq: quantizeInput(model.program, job.input),
    inputSalt: toField(job.inputSalt, 'input salt'),
    outputSalt: toField(job.outputSalt, 'output salt'),
    jobId: toField(job.jobId, 'jobId'),
    prover,
  }));
  const proved = await proveBatch(batch, model.program, slots, { proverProcess: parameters.proverProcess });
  request.jobs.forEach((job, i) => {
    const computed = proved.jobs[i];
    if (computed?.inputCommitment !== toField(job.inputCommitment, 'input commitment'))
      throw new BatchProofRefusedError(`job ${job.jobId}: its input and salt do not open its input commitment`);
    if (computed.outputCommitment !== toField(job.outputCommitment, 'output commitment'))
      throw new BatchProofRefusedError(`job ${job.jobId}: the model's output under its salt is not its output commitment`);
  });
  return proved;
}
