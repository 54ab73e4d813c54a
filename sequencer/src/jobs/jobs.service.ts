import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { Interface, dataLength, getBytes } from 'ethers';
import { DataSource } from 'typeorm';

import { COMMIT_DOMAIN, quantizeInput } from '@verity/circuits';
import { hashJobRequest, jobIdFromDigest, marketDomain, SNARK_SCALAR_FIELD, type JobRequest } from '@verity/contracts';
import { createLogger } from '@verity/core';
import {
  InsufficientBalanceError,
  JobExistsError,
  JobNotFoundError,
  NonceUsedError,
  SignatureInvalidError,
  ValidationError,
} from '../common/errors';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { ModelsService } from '../models/models.service';
import type { SubmitJobDto, SubmitJobResponseDto } from './dto/submit-job.dto';
import { mapJob, type JobViewDto } from './dto/job-view.dto';
import { IntakeCrypto } from './intake-crypto.service';
import { IntakeWriter, type IntakeRow } from './intake-writer.service';
import { JobEventEntity } from './job-event.entity';
import type { JobStatus } from './job-status';
import { JobEntity } from './job.entity';
import { parseAddress } from './parseAddress';

const UINT128_MAX = (1n << 128n) - 1n;
/** The jobs table keeps deadlines in a signed 64-bit column. */
const INT64_MAX = (1n << 63n) - 1n;
/** How long a chain read (fee, balance) is trusted at intake; the market re-checks everything when it opens. */
const CHAIN_CACHE_MS = 2_000;

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * ERC-1271's magic value `bytes4(keccak256("isValidSignature(bytes32,bytes)"))` as the whole 32-byte return word:
 * the market compares the full word (a wallet answering the selector with garbage after it is refused there).
 */
const ERC1271_MAGIC_WORD = '0x1626ba7e' + '00'.repeat(28);
const ERC1271 = new Interface(['function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)']);
/** The market's ERC1271_GAS_LIMIT: a wallet that needs more fails there, so it is refused here too. */
const ERC1271_GAS_LIMIT = 100_000n;

/**
 * Job intake and reads. Intake checks everything the market will check when it opens the job (signature, nonce,
 * deadline, fee, balance) plus what only the sequencer can (the model is served here and active, the input has the
 * model's shape and range, the commitment opens to this input and salt), then stores the job before answering.
 */
@Injectable()
export class JobsService {
  private readonly log = createLogger(JobsService.name);
  private feeBps?: { value: bigint; at: number };
  private balances = new Map<string, { value: bigint; at: number }>();

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
    private readonly models: ModelsService,
    private readonly metrics: MetricsService,
    private readonly writer: IntakeWriter,
    private readonly crypto: IntakeCrypto,
  ) {}

  async submit(dto: SubmitJobDto): Promise<SubmitJobResponseDto> {
    const started = performance.now();
    const r = dto.request;
    const request: JobRequest = {
      modelId: BigInt(r.modelId),
      inputCommitment: BigInt(r.inputCommitment),
      reward: BigInt(r.reward),
      maxFee: BigInt(r.maxFee),
      deadline: BigInt(r.deadline),
      nonce: BigInt(r.nonce),
    };
    for (const [field, value] of [
      ['modelId', request.modelId],
      ['inputCommitment', request.inputCommitment],
      ['inputSalt', BigInt(dto.inputSalt)],
    ] as const)
      if (value >= SNARK_SCALAR_FIELD) throw new ValidationError(`${field} must be below the BN254 field modulus`);
    if (request.reward === 0n) throw new ValidationError('reward must be greater than 0');
    if (request.reward > UINT128_MAX) throw new ValidationError('reward must fit in 128 bits');
    if (request.deadline > INT64_MAX) throw new ValidationError('deadline must be at most 2^63 - 1 (unix seconds)');
    const now = BigInt(Math.floor(Date.now() / 1000));
    const { minDeadlineSeconds, maxDeadlineSeconds } = this.config.jobs;
    if (request.deadline < now + BigInt(minDeadlineSeconds))
      throw new ValidationError(
        `deadline ${request.deadline} is ${request.deadline < now ? 'in the past' : 'too close'}: it must be at least ${minDeadlineSeconds} s from now (${now})`,
      );
    // A far deadline would lock the requester's escrow (and the job's queue slot) for as long: bounded.
    if (request.deadline > now + BigInt(maxDeadlineSeconds))
      throw new ValidationError(
        `deadline ${request.deadline} is too far ahead: it must be at most ${maxDeadlineSeconds} s from now (${now})`,
      );
    const requester = parseAddress({ field: 'request.requester', value: r.requester });

    const model = await this.models.getActive(r.modelId);
    // Shape, finiteness and the model's declared range, with the element named; then the commitment.
    let xq: number[];
    try {
      xq = quantizeInput(model.interface, dto.input);
    } catch (err) {
      throw new ValidationError((err as Error).message);
    }
    const { deployment } = this.chain.get();
    const domain = marketDomain(deployment.l2.chainId, deployment.verity.l2.InferenceMarket);
    const digest = hashJobRequest(domain, request);
    // The market's ECDSA check (OpenZeppelin) takes v = 27 or 28 only: a v of 0/1 recovers here but not there.
    const badV = dataLength(dto.signature) === 65 && ![27, 28].includes(getBytes(dto.signature)[64]!);
    const { commitment, signer } = await this.crypto.check({
      values: xq,
      bits: model.interface.inputBits,
      domainTag: COMMIT_DOMAIN.input,
      salt: BigInt(dto.inputSalt),
      eip712: domain,
      request,
      digest,
      signature: badV ? null : dto.signature,
    });
    if (commitment !== request.inputCommitment)
      throw new ValidationError(
        'inputCommitment does not open to this input and inputSalt (check the model’s input scale and the salt)',
      );
    await this.checkSignature(dto.signature, requester, digest, signer, badV);
    const jobId = jobIdFromDigest(digest, requester).toString();

    const feeBps = await this.currentFeeBps();
    const fee = (request.reward * feeBps) / 10_000n;
    if (fee > request.maxFee)
      throw new ValidationError(`the protocol fee is ${fee} wei (${feeBps} bps), above maxFee ${request.maxFee}`);
    // A nonce is checked against this database (unique per requester); one used or cancelled on chain meanwhile is
    // caught when the market opens the job (the job is then `rejected`: nonce used). No RPC per request.
    const needed = request.reward + fee;
    const balance = await this.prepaidBalance(requester, false);

    const accessToken = randomBytes(32).toString('hex');
    const correlationId = randomUUID();
    // Atomic per job, and grouped with the jobs arriving meanwhile (one statement, one commit; see IntakeWriter): the
    // balance guard (the prepaid balance must cover this job and every job of the requester accepted but not yet
    // opened), the job, and its first event. Answered once committed.
    const row = (prepaid: bigint): IntakeRow => ({
      jobId,
      requester,
      modelId: r.modelId,
      inputCommitment: r.inputCommitment,
      reward: r.reward,
      maxFee: r.maxFee,
      fee: fee.toString(),
      deadline: String(r.deadline),
      nonce: r.nonce,
      signature: dto.signature,
      input: JSON.stringify(dto.input),
      inputSalt: dto.inputSalt,
      accessTokenHash: sha256Hex(accessToken),
      correlationId,
      details: JSON.stringify({ correlationId }),
      prepaid: prepaid.toString(),
      needed: needed.toString(),
    });
    let outcome = await this.writer.write(row(balance));
    // A balance that looks short may be stale (a deposit just landed): read the chain once more.
    if (outcome === 'balance_short') outcome = await this.writer.write(row(await this.prepaidBalance(requester, true)));
    if (outcome === 'balance_short')
      throw new InsufficientBalanceError(needed.toString(), (await this.prepaidBalance(requester, false)).toString());
    if (outcome === 'job_exists') throw new JobExistsError(jobId);
    if (outcome === 'nonce_used') throw new NonceUsedError(requester, r.nonce);
    this.metrics.jobsAccepted.inc({ model: model.entity.name });
    this.metrics.intakeSeconds.observe((performance.now() - started) / 1000);
    this.log.info({ jobId, modelId: r.modelId, requester, correlationId }, 'job accepted');
    return { jobId, status: 'accepted', fee: fee.toString(), accessToken };
  }

  /** `signer` is the EOA recovered from the signature (IntakeCrypto), undefined if it is no valid ECDSA signature. */
  private async checkSignature(signature: string, requester: string, digest: string, signer: string | undefined, badV: boolean) {
    if (signer === requester) return;
    // Asked every time, never cached: a wallet deployed (or fixed) after a refusal must be able to try again.
    const { l2 } = this.chain.get();
    if ((await l2.getCode(requester)) !== '0x') {
      const data = ERC1271.encodeFunctionData('isValidSignature', [digest, signature]);
      // As the market calls it: at most ERC1271_GAS_LIMIT for the wallet itself (plus this call's intrinsic gas,
      // which an eth_call also charges), and the first 32-byte word of the answer must be the magic word.
      const calldataGas = getBytes(data).reduce((sum, b) => sum + (b === 0 ? 4n : 16n), 0n);
      const gasLimit = ERC1271_GAS_LIMIT + 21_000n + calldataGas;
      const answer = await l2.call({ to: requester, data, gasLimit }).catch(() => '0x');
      if (dataLength(answer) >= 32 && answer.slice(0, 66).toLowerCase() === ERC1271_MAGIC_WORD) return;
      throw new SignatureInvalidError(
        `the contract wallet ${requester} does not accept this signature (ERC-1271 isValidSignature must return the magic word within ${ERC1271_GAS_LIMIT} gas)`,
      );
    }
    throw new SignatureInvalidError(
      badV
        ? 'the signature’s v byte must be 27 or 28 (the market refuses other values)'
        : signer
          ? `the request is signed by ${signer}, not by the requester ${requester} (check the chain id and market address of the EIP-712 domain)`
          : 'the signature is not a valid signature of this request',
    );
  }

  private async currentFeeBps(): Promise<bigint> {
    if (!this.feeBps || Date.now() - this.feeBps.at > CHAIN_CACHE_MS)
      this.feeBps = { value: await this.chain.get().market.feeBps(), at: Date.now() };
    return this.feeBps.value;
  }

  /** The requester's prepaid market balance, cached a couple of seconds (the market re-checks when it opens). */
  private async prepaidBalance(requester: string, fresh: boolean): Promise<bigint> {
    const hit = this.balances.get(requester);
    if (!fresh && hit && Date.now() - hit.at < CHAIN_CACHE_MS) return hit.value;
    const value = await this.chain.get().market.balances(requester);
    this.balances.set(requester, { value, at: Date.now() });
    return value;
  }

  /** The job as anyone may see it; its output opening only for the holder of the access token. */
  async get(jobId: string, accessToken?: string): Promise<JobViewDto> {
    const job = await this.dataSource.getRepository(JobEntity).findOneBy({ jobId });
    if (!job) throw new JobNotFoundError(jobId);
    const events = await this.dataSource.getRepository(JobEventEntity).find({ where: { jobId }, order: { id: 'ASC' } });
    return mapJob(job, events, accessToken !== undefined && tokenMatches(accessToken, job.accessTokenHash));
  }

  /** Events after `afterId`, oldest first (the SSE stream polls this). */
  async eventsAfter(jobId: string, afterId: string): Promise<JobEventEntity[]> {
    return this.dataSource
      .getRepository(JobEventEntity)
      .createQueryBuilder('e')
      .where('e.job_id = :jobId AND e.id > :afterId', { jobId, afterId })
      .orderBy('e.id', 'ASC')
      .getMany();
  }

  /** The job's status now, or undefined for an unknown job. */
  async statusOf(jobId: string): Promise<JobStatus | undefined> {
    const job = await this.dataSource.getRepository(JobEntity).findOne({ where: { jobId }, select: { status: true } });
    return job?.status;
  }
}

/** Constant-time comparison of a presented token with the stored hash. */
export function tokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(sha256Hex(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
