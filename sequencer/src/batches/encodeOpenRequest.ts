import { InferenceMarket__factory } from '@verity/contracts';
import { BaseError } from '@verity/core';
import type { JobEntity } from '../jobs/job.entity';

export type EncodeOpenRequestParameters = Pick<
  JobEntity,
  'jobId' | 'modelId' | 'inputCommitment' | 'reward' | 'maxFee' | 'deadline' | 'nonce' | 'requester' | 'signature'
>;
/** InferenceMarket.OpenRequest and its signature, as `openJobs` takes them. */
export type EncodeOpenRequestReturnType = {
  request: {
    modelId: string;
    inputCommitment: string;
    reward: string;
    maxFee: string;
    deadline: string;
    nonce: string;
    requester: string;
  };
  signature: string;
};
export type EncodeOpenRequestErrorType = UnencodableOpenRequestError;

export class UnencodableOpenRequestError extends BaseError {
  override name = 'UnencodableOpenRequestError';
  constructor(jobId: string) {
    super('OPEN_REQUEST_UNENCODABLE', `job ${jobId} cannot go into openJobs: its stored request does not ABI-encode`);
  }
}

const market = InferenceMarket__factory.createInterface();

/**
 * One job's share of `openJobs` calldata, checked on its own so that one stored request (a signature that is not
 * hex, a value out of its type's range) can never break the encoding of a whole batch.
 *
 * @example
 * const { request, signature } = encodeOpenRequest(job); // throws UnencodableOpenRequestError
 */
export function encodeOpenRequest(job: EncodeOpenRequestParameters): EncodeOpenRequestReturnType {
  const request = {
    modelId: job.modelId,
    inputCommitment: job.inputCommitment,
    reward: job.reward,
    maxFee: job.maxFee,
    deadline: job.deadline,
    nonce: job.nonce,
    requester: job.requester,
  };
  try {
    market.encodeFunctionData('openJobs', [[request], [job.signature]]);
  } catch {
    throw new UnencodableOpenRequestError(job.jobId);
  }
  return { request, signature: job.signature };
}
