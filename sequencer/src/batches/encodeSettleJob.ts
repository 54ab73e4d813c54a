import { BN254_P } from '@verity/circuits';
import { InferenceSettlement__factory, type SolidityProof } from '@verity/contracts';
import { BaseError } from '@verity/core';
import type { JobEntity } from '../jobs/job.entity';
import type { SettledJobTuple } from './batch.entity';

export type EncodeSettleJobParameters = Pick<
  JobEntity,
  'jobId' | 'modelId' | 'inputCommitment' | 'outputCommitment' | 'prover' | 'proof'
>;
export type EncodeSettleJobReturnType = { tuple: SettledJobTuple; proof: SolidityProof };
export type EncodeSettleJobErrorType = UnencodableSettleJobError;

export class UnencodableSettleJobError extends BaseError {
  override name = 'UnencodableSettleJobError';
  constructor(jobId: string, problem: string) {
    super('SETTLE_JOB_UNENCODABLE', `job ${jobId} cannot go into a settlement: ${problem}`);
  }
}

const settlement = InferenceSettlement__factory.createInterface();
const DECIMAL = /^[0-9]{1,78}$/;

/**
 * One job's share of `settleBatch` calldata (its tuple and its proof in the Solidity layout), checked so that one
 * stored proof can never break the encoding of a whole batch: every coordinate L1 reads must be a decimal string
 * below the BN254 base field modulus p (L1 refuses anything else anyway) and the job must ABI-encode on its own.
 *
 * @example
 * const { tuple, proof } = encodeSettleJob(job); // throws UnencodableSettleJobError for a malformed proof
 */
export function encodeSettleJob(job: EncodeSettleJobParameters): EncodeSettleJobReturnType {
  const fail = (problem: string): never => {
    throw new UnencodableSettleJobError(job.jobId, problem);
  };
  const proof = job.proof as { pi_a?: unknown; pi_b?: unknown; pi_c?: unknown } | null;
  if (!proof || typeof proof !== 'object') fail('it has no stored proof');
  const coordinate = (value: unknown, where: string): bigint => {
    if (typeof value !== 'string' || !DECIMAL.test(value)) fail(`proof ${where} is not a decimal string`);
    const n = BigInt(value as string);
    if (n >= BN254_P) fail(`proof ${where} is not below the base field modulus`);
    return n;
  };
  const pair = (value: unknown, where: string): [bigint, bigint] => {
    if (!Array.isArray(value) || value.length < 2) fail(`proof ${where} is not a point`);
    const v = value as unknown[];
    return [coordinate(v[0], `${where}[0]`), coordinate(v[1], `${where}[1]`)];
  };
  const a = pair(proof!.pi_a, 'pi_a');
  const c = pair(proof!.pi_c, 'pi_c');
  if (!Array.isArray(proof!.pi_b) || proof!.pi_b.length < 2) fail('proof pi_b is not a G2 point');
  const b = proof!.pi_b as unknown[];
  const bx = pair(b[0], 'pi_b[0]');
  const by = pair(b[1], 'pi_b[1]');
  // G2 in the precompile order, imaginary part first (as toSolidityProof does).
  const solidity: SolidityProof = {
    a,
    b: [
      [bx[1], bx[0]],
      [by[1], by[0]],
    ],
    c,
  };

  if (!job.outputCommitment || !job.prover) fail('it has no output commitment or prover');
  const tuple: SettledJobTuple = {
    modelId: job.modelId,
    inputCommitment: job.inputCommitment,
    outputCommitment: job.outputCommitment!,
    jobId: job.jobId,
    prover: job.prover!,
  };
  try {
    settlement.encodeFunctionData('settleBatch', [[tuple], [solidity]]);
  } catch {
    fail('its job tuple does not ABI-encode');
  }
  return { tuple, proof: solidity };
}
