import { randomBytes } from 'node:crypto';

import { Wallet } from 'ethers';

import { COMMIT_DOMAIN, commitVector, quantizeInput, randomSalt } from '@verity/circuits';
import { JOB_REQUEST_TYPES, jobIdOf, marketDomain, type JobRequest } from '@verity/contracts';
import { InvalidArgumentError, type Deployment } from '@verity/core';
import type { ModelListing, SequencerApi } from '../sequencerApi';

export type SubmitJobParameters = {
  api: SequencerApi;
  deployment: Deployment;
  /** A model's name or id, as the sequencer lists it. */
  model: string;
  input: number[];
  privateKey: string;
  reward: bigint;
  /** Largest protocol fee accepted; default 10% of the reward (the market's cap). */
  maxFee?: bigint;
  /** Seconds from now. */
  deadlineSeconds: number;
};

export type SubmitJobReturnType = {
  jobId: string;
  fee: string;
  accessToken: string;
  inputSalt: string;
  model: ModelListing;
  request: JobRequest;
};

/**
 * Resolves a model by id, else by name, among those the sequencer serves. An id match wins: a name is chosen by the
 * publisher and could be another model's id.
 */
export async function findModel(api: SequencerApi, model: string): Promise<ModelListing> {
  const models = await api.models();
  const found = models.find((m) => m.modelId === model) ?? models.find((m) => m.name === model);
  if (!found)
    throw new InvalidArgumentError(
      `the sequencer serves no model '${model}' (it serves: ${models.map((m) => m.name).join(', ') || 'none yet'})`,
    );
  return found;
}

/**
 * Builds, signs and submits a job: a fresh 248-bit salt, the salted commitment of the quantized input (the model's
 * interface comes from the sequencer's listing), the EIP-712 request bound to the market and chain of the
 * deployment, a random nonce. The job id is derived locally and must equal the sequencer's.
 */
export async function submitJob(parameters: SubmitJobParameters): Promise<SubmitJobReturnType> {
  const { api, deployment } = parameters;
  if (!deployment.verity) throw new InvalidArgumentError('the deployment has no Verity market (start one with `npm start`)');
  const model = await findModel(api, parameters.model);
  if (!model.active) throw new InvalidArgumentError(`model ${model.name} is deactivated`);
  if (model.deactivatesAt)
    throw new InvalidArgumentError(
      `model ${model.name} is being deactivated (effective ${model.deactivatesAt}): it takes no new jobs`,
    );
  const program = { inputShape: model.input.shape, inputScale: model.input.scale, inputMaxAbs: model.input.maxAbs };
  const xq = quantizeInput(program, parameters.input);
  const inputSalt = randomSalt();
  const request: JobRequest = {
    modelId: BigInt(model.modelId),
    inputCommitment: commitVector(xq, model.input.bits, COMMIT_DOMAIN.input, BigInt(inputSalt)),
    reward: parameters.reward,
    maxFee: parameters.maxFee ?? parameters.reward / 10n,
    deadline: BigInt(Math.floor(Date.now() / 1000) + parameters.deadlineSeconds),
    nonce: BigInt('0x' + randomBytes(8).toString('hex')),
  };
  const wallet = new Wallet(parameters.privateKey);
  const domain = marketDomain(deployment.l2.chainId, deployment.verity.l2.InferenceMarket);
  const signature = await wallet.signTypedData(domain, JOB_REQUEST_TYPES as never, request);
  const answer = await api.submitJob({
    request: {
      modelId: request.modelId.toString(),
      inputCommitment: request.inputCommitment.toString(),
      reward: request.reward.toString(),
      maxFee: request.maxFee.toString(),
      deadline: Number(request.deadline),
      nonce: request.nonce.toString(),
      requester: wallet.address,
    },
    signature,
    input: parameters.input,
    inputSalt,
  });
  const expected = jobIdOf(domain, request, wallet.address).toString();
  if (answer.jobId !== expected)
    throw new InvalidArgumentError(
      `the sequencer answered job id ${answer.jobId}, the market derives ${expected}: check --deployment`,
    );
  return { jobId: answer.jobId, fee: answer.fee, accessToken: answer.accessToken, inputSalt, model, request };
}
