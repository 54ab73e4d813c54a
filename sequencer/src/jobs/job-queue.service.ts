import { Inject, Injectable } from '@nestjs/common';
import { getAddress } from 'ethers';
import { DataSource } from 'typeorm';

import { checkOutputOpening, OpeningInvalidError, verifyInference, type InferenceOutput } from '@verity/circuits';
import { createLogger } from '@verity/core';
import type { Groth16Proof } from 'snarkjs';
import { JobNotFoundError, LeaseNotHeldError, ProofInvalidError } from '../common/errors';
import { canonicalizeProof, storedProofEquals } from './canonicalizeProof';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { ModelsService } from '../models/models.service';
import { JobEntity } from './job.entity';
import { transitionJob } from './transition-job';

export type LeasedJob = {
  jobId: string;
  modelId: string;
  input: number[];
  inputSalt: string;
  inputCommitment: string;
  deadline: number;
  correlationId: string;
  leaseExpiresAt: string;
};

export type SubmitResultParameters = {
  jobId: string;
  prover: string;
  output: Partial<Record<keyof InferenceOutput, unknown>>;
  /** As received: canonicalized (or refused) before anything else. */
  proof: unknown;
  publicSignals: string[];
};

/** A refused result: the full reason for the prover, and one without opening values for the public job events. */
class ResultRefusedError extends ProofInvalidError {
  constructor(
    shortMessage: string,
    readonly publicReason: string = shortMessage,
  ) {
    super(shortMessage);
  }
}

/**
 * The proving queue in Postgres. Leasing takes the oldest open job (or one whose lease lapsed) with
 * `FOR UPDATE SKIP LOCKED`, so sequencer replicas sharing the database never hand one job to two provers. A result
 * is accepted only if the proof verifies against the model's key and the opening matches the commitment, for this
 * job and this prover; anything else sends the job back to the queue.
 */
@Injectable()
export class JobQueueService {
  private readonly log = createLogger(JobQueueService.name);

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly models: ModelsService,
    private readonly metrics: MetricsService,
  ) {}

  async lease(prover: string, models: string[]): Promise<LeasedJob | undefined> {
    const leaseMs = this.config.jobs.leaseTimeoutMs;
    return this.dataSource.transaction(async (manager) => {
      const qb = manager
        .getRepository(JobEntity)
        .createQueryBuilder('j')
        .where(`(j.status = 'open' OR (j.status = 'proving' AND j.lease_expires_at < now()))`)
        // A job whose deadline is about to pass is not worth starting.
        .andWhere('j.deadline > :soon', { soon: Math.floor(Date.now() / 1000) + Math.ceil(leaseMs / 1000) })
        .orderBy('j.created_at', 'ASC')
        .limit(1)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked');
      if (models.length) qb.andWhere('j.model_id IN (:...models)', { models });
      const job = await qb.getOne();
      if (!job) return undefined;
      const leaseExpiresAt = new Date(Date.now() + leaseMs);
      if (job.status === 'proving') {
        // The previous lease lapsed: record the job's return to the queue before it leaves again.
        await transitionJob(manager, {
          jobId: job.jobId,
          from: ['proving'],
          to: 'open',
          patch: { leaseProver: null, leaseExpiresAt: null },
          details: { reason: 'lease lapsed', prover: job.leaseProver },
        });
      }
      await transitionJob(manager, {
        jobId: job.jobId,
        from: ['open'],
        to: 'proving',
        patch: { leaseProver: prover, leaseExpiresAt, attempts: job.attempts + 1 },
        details: { prover },
      });
      this.log.info({ jobId: job.jobId, prover, correlationId: job.correlationId }, 'job leased');
      return {
        jobId: job.jobId,
        modelId: job.modelId,
        input: job.input,
        inputSalt: job.inputSalt,
        inputCommitment: job.inputCommitment,
        deadline: Number(job.deadline),
        correlationId: job.correlationId,
        leaseExpiresAt: leaseExpiresAt.toISOString(),
      };
    });
  }

  /** A prover gives a job back (shutting down, or it cannot serve the model). */
  async returnLease(prover: string, jobId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const job = await manager.getRepository(JobEntity).findOne({ where: { jobId }, lock: { mode: 'pessimistic_write' } });
      if (!job) throw new JobNotFoundError(jobId);
      if (job.status !== 'proving' || job.leaseProver !== prover) throw new LeaseNotHeldError(jobId);
      await transitionJob(manager, {
        jobId,
        from: ['proving'],
        to: 'open',
        patch: { leaseProver: null, leaseExpiresAt: null },
        details: { reason: 'lease returned', prover },
      });
    });
  }

  /**
   * Idempotent: the same prover submitting the same proof again gets the job as it is. A proof that is not in the
   * canonical encoding is refused with a 400 before the job is touched (the lease holder may send it again, correctly
   * encoded, while its lease lasts). A wrong result is refused (422) and the job goes back to the queue for someone
   * else. Either way of ending the lease happens only while this prover still holds it.
   */
  async submitResult(parameters: SubmitResultParameters): Promise<{ status: string }> {
    const { jobId } = parameters;
    const prover = getAddress(parameters.prover);
    // First, and outside any job state: an encoding L1 would refuse must never be stored (it would break settlement).
    const proof = canonicalizeProof(parameters.proof);
    const job = await this.dataSource.getRepository(JobEntity).findOneBy({ jobId });
    if (!job) throw new JobNotFoundError(jobId);
    if (job.prover === prover && job.proof && storedProofEquals(job.proof, proof)) return { status: job.status };
    if (job.status !== 'proving' || job.leaseProver !== prover) throw new LeaseNotHeldError(jobId);

    const started = performance.now();
    let failure: ResultRefusedError | undefined;
    let outputCommitment = '';
    let opening: InferenceOutput | undefined;
    try {
      const model = await this.models.getForProof(job.modelId);
      const signals = parameters.publicSignals;
      if (!Array.isArray(signals) || signals.length !== 5 || !signals.every((s) => typeof s === 'string'))
        throw new ResultRefusedError('publicSignals must be the 5 decimal strings the circuit outputs');
      const expected = [job.modelId, job.inputCommitment, signals[2]!, job.jobId, BigInt(prover).toString()];
      const names = ['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover'];
      signals.forEach((s, i) => {
        if (s !== expected[i])
          throw new ResultRefusedError(
            `public signal ${i} (${names[i]}) is ${s.slice(0, 80)}, expected ${expected[i]}`,
            `public signal ${i} (${names[i]}) is wrong`,
          );
      });
      outputCommitment = signals[2]!;
      try {
        opening = checkOutputOpening({
          model: { program: model.interface },
          output: parameters.output,
          commitment: outputCommitment,
        });
      } catch (err) {
        // The message names values of the opening (the requester's private output, the salt): the prover may see
        // them (it sent them), the public job events only the field.
        const field = err instanceof OpeningInvalidError ? err.field : 'output';
        throw new ResultRefusedError(
          `the output opening is wrong: ${(err as Error).message}`,
          `the output opening is wrong at ${field}`,
        );
      }
      if (
        !(await verifyInference({ model: { vkey: model.vkey }, proof: proof as unknown as Groth16Proof, publicSignals: signals }))
      )
        throw new ResultRefusedError('the Groth16 proof does not verify against the model’s key');
    } catch (err) {
      if (!(err instanceof ResultRefusedError)) throw err;
      failure = err;
    } finally {
      this.metrics.proofVerifySeconds.observe((performance.now() - started) / 1000);
    }

    await this.dataSource.transaction(async (manager) => {
      // The lease may have lapsed and gone to another prover while the proof was checked: decide under the row lock
      // (lease() skips locked rows), so an old lease holder can neither complete nor requeue someone else's lease.
      const current = await manager.getRepository(JobEntity).findOne({
        where: { jobId },
        select: { jobId: true, status: true, leaseProver: true },
        lock: { mode: 'pessimistic_write' },
      });
      if (current?.status !== 'proving' || current.leaseProver !== prover) throw new LeaseNotHeldError(jobId);
      if (failure)
        await transitionJob(manager, {
          jobId,
          from: ['proving'],
          to: 'open',
          patch: { leaseProver: null, leaseExpiresAt: null },
          details: { reason: 'result refused', prover, error: failure.publicReason },
        });
      else
        await transitionJob(manager, {
          jobId,
          from: ['proving'],
          to: 'proven',
          patch: {
            prover,
            output: opening as unknown as Record<string, unknown>,
            outputCommitment,
            proof: proof as unknown as Record<string, unknown>,
            publicSignals: parameters.publicSignals,
            provenAt: new Date(),
            leaseExpiresAt: null,
          },
          details: { prover, outputCommitment },
        });
    });
    if (failure) {
      this.log.warn({ jobId, prover, err: failure.publicReason }, 'result refused, job back in the queue');
      throw failure;
    }
    this.log.info({ jobId, prover, correlationId: job.correlationId }, 'job proven');
    return { status: 'proven' };
  }
}
