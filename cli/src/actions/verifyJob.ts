import type { JsonRpcProvider } from 'ethers';
import type { VerificationKey } from 'snarkjs';

import {
  checkInputOpening,
  checkOutputOpening,
  verifyInference,
  type InferenceOutput,
  type ModelInterface,
} from '@verity/circuits';
import { fromSolidityVerifyingKey, ModelRegistry__factory } from '@verity/contracts';
import { InvalidArgumentError } from '@verity/core';
import type { JobRecord } from '../jobStore';
import type { JobView, ModelListing } from '../sequencerApi';

/** The key registered on L1 for `modelId`, in snarkjs's JSON layout: what a requester trusts, and nothing else. */
export async function registeredVerificationKey(
  l1: JsonRpcProvider,
  registry: string,
  modelId: string,
): Promise<VerificationKey> {
  return fromSolidityVerifyingKey(
    await ModelRegistry__factory.connect(registry, l1).verifyingKeyOf(modelId),
  ) as unknown as VerificationKey;
}

export type VerifyJobParameters = {
  job: JobView;
  record?: JobRecord;
  model: ModelListing;
  vkey: VerificationKey;
};

/**
 * What a requester checks without trusting the sequencer or the prover: the proof against the key registered on
 * L1, its public signals against the job (model, input commitment, job id), the output opening against the output
 * commitment exactly as the circuit constrains it, and, with the local record, that the committed input is the one
 * the requester sent. Throws, naming what is wrong; returns the verified output.
 */
export async function verifyJob(parameters: VerifyJobParameters): Promise<InferenceOutput> {
  const { job, record, model, vkey } = parameters;
  if (!job.proof || !job.publicSignals)
    throw new InvalidArgumentError(`job ${job.jobId} has no proof yet (status ${job.status})`);
  if (!job.output) throw new InvalidArgumentError(`job ${job.jobId}: no output opening (the access token is missing or wrong)`);
  const expected = [job.modelId, job.inputCommitment, job.outputCommitment, job.jobId];
  expected.forEach((v, i) => {
    if (job.publicSignals![i] !== v) throw new InvalidArgumentError(`proof INVALID: public signal ${i} does not match the job`);
  });
  if (!(await verifyInference({ model: { vkey }, proof: job.proof as never, publicSignals: job.publicSignals })))
    throw new InvalidArgumentError('proof INVALID: it does not verify against the key registered on L1');
  const iface: ModelInterface = {
    inputShape: model.input.shape,
    inputScale: model.input.scale,
    inputBits: model.input.bits,
    inputMaxAbs: model.input.maxAbs,
    outputShape: model.output.shape,
    outputScale: model.output.scale,
    outputBits: model.output.bits,
  };
  const output = checkOutputOpening({ model: { program: iface }, output: job.output, commitment: job.outputCommitment! });
  if (record)
    checkInputOpening({
      model: { program: iface },
      input: record.input,
      salt: record.inputSalt,
      commitment: job.inputCommitment,
    });
  return output;
}
