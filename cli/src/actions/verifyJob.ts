import type { JsonRpcProvider } from 'ethers';
import type { VerificationKey } from 'snarkjs';

import {
  checkOutputOpening,
  inputCommitmentOf,
  verifyInference,
  type InferenceOutput,
  type ModelInterface,
} from '@verity/circuits';
import { fromSolidityVerifyingKey, ModelRegistry__factory } from '@verity/contracts';
import { InvalidArgumentError } from '@verity/core';
import type { JobRecord } from '../jobStore';
import type { JobView } from '../sequencerApi';

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

/** What L1 records of a model: its name, its verifying key and its input/output interface. */
export type RegisteredModel = {
  modelId: string;
  name: string;
  vkey: VerificationKey;
  /** From ModelRegistry.modelInfoOf. The input range is not recorded on L1 and is not needed to check an opening. */
  interface: ModelInterface;
};

/** Reads model `modelId` from the L1 ModelRegistry (key and metadata); throws if it is not registered there. */
export async function registeredModel(l1: JsonRpcProvider, registry: string, modelId: string): Promise<RegisteredModel> {
  const contract = ModelRegistry__factory.connect(registry, l1);
  if (!(await contract.isRegistered(modelId))) throw new InvalidArgumentError(`model ${modelId} is not registered on L1`);
  const [vk, info] = await Promise.all([contract.verifyingKeyOf(modelId), contract.modelInfoOf(modelId)]);
  return {
    modelId,
    name: info.name,
    vkey: fromSolidityVerifyingKey(vk) as unknown as VerificationKey,
    interface: {
      inputShape: info.inputShape.map(Number),
      inputScale: Number(info.inputScale),
      inputBits: Number(info.inputBits),
      inputMaxAbs: Number.POSITIVE_INFINITY,
      outputShape: info.outputShape.map(Number),
      outputScale: Number(info.outputScale),
      outputBits: Number(info.outputBits),
    },
  };
}

export type VerifyJobParameters = {
  /** The job id asked about. */
  jobId: string;
  /** What the sequencer answered (not trusted: checked against the record and L1). */
  job: JobView;
  /** The requester's own record of the job it signed, if it has one. */
  record?: JobRecord;
  /** The model as registered on L1, for `record.modelId` (or, without a record, the job's model). */
  model: RegisteredModel;
};
export type VerifyJobReturnType = InferenceOutput;
export type VerifyJobErrorType = InvalidArgumentError;

const fail = (why: string): never => {
  throw new InvalidArgumentError(`proof INVALID: ${why}`);
};

/**
 * What a requester checks without trusting the sequencer or the prover. The public signals must be the job the
 * requester signed: with the local record, the model id, the job id and the input commitment recomputed from the
 * input and salt the requester kept (none of it taken from the sequencer's answer); the proof must verify against
 * the key registered on L1 for that model; the output opening must match the output commitment exactly as the
 * circuit constrains it, under the interface recorded on L1. Without a record only the job id asked about is
 * pinned. Throws, naming what is wrong; returns the verified output.
 */
export async function verifyJob(parameters: VerifyJobParameters): Promise<VerifyJobReturnType> {
  const { jobId, job, record, model } = parameters;
  if (job.jobId !== jobId) fail(`the sequencer answered for job ${String(job.jobId).slice(0, 80)}, not ${jobId}`);
  if (!job.proof || !job.publicSignals) throw new InvalidArgumentError(`job ${jobId} has no proof yet (status ${job.status})`);
  if (!job.output) throw new InvalidArgumentError(`job ${jobId}: no output opening (the access token is missing or wrong)`);
  if (!Array.isArray(job.publicSignals) || job.publicSignals.length !== 5) fail('the proof does not have 5 public signals');

  let modelId = job.modelId;
  let inputCommitment = job.inputCommitment;
  if (record) {
    if (record.jobId !== jobId) fail(`the local record is for job ${record.jobId}`);
    modelId = record.modelId;
    try {
      inputCommitment = inputCommitmentOf({ program: model.interface }, record.input, record.inputSalt).toString();
    } catch (err) {
      fail(`your saved input does not fit the model registered on L1: ${(err as Error).message}`);
    }
    if (record.inputCommitment !== undefined && record.inputCommitment !== inputCommitment)
      fail('your saved input and salt do not open the input commitment you signed');
    if (job.modelId !== modelId) fail(`the sequencer reports model ${job.modelId}, you signed for model ${modelId}`);
    if (job.inputCommitment !== inputCommitment) fail('the sequencer reports another input commitment than the one you signed');
  }
  if (model.modelId !== modelId) fail(`the key checked is model ${model.modelId}'s, the job is for model ${modelId}`);
  const names = ['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover'];
  const expected = [modelId, inputCommitment, job.outputCommitment, jobId];
  expected.forEach((v, i) => {
    if (job.publicSignals![i] !== v) fail(`public signal ${i} (${names[i]}) is not the job you signed`);
  });
  if (job.prover !== undefined) {
    let prover = '';
    try {
      prover = BigInt(job.prover).toString();
    } catch {
      fail(`the reported prover ${String(job.prover).slice(0, 60)} is not an address`);
    }
    if (job.publicSignals[4] !== prover) fail(`the proof is bound to another prover than the reported ${job.prover}`);
  }
  if (!(await verifyInference({ model: { vkey: model.vkey }, proof: job.proof as never, publicSignals: job.publicSignals })))
    fail('it does not verify against the key registered on L1');
  return checkOutputOpening({ model: { program: model.interface }, output: job.output, commitment: job.outputCommitment! });
}
