import { Inject, Injectable } from '@nestjs/common';
import { getAddress } from 'ethers';
import { DataSource, In } from 'typeorm';

import { batchHash, verifyInference } from '@verity/circuits';
import { createLogger } from '@verity/core';
import type { Groth16Proof } from 'snarkjs';
import { BatchProofNotFoundError, BatchProofNotOpenError, ProofInvalidError } from '../common/errors';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { canonicalizeProof, storedProofEquals } from '../jobs/canonicalizeProof';
import { JobEntity } from '../jobs/job.entity';
import { MetricsService } from '../metrics/metrics.service';
import { ModelsService } from '../models/models.service';
import { abandonBatchProof } from './abandon-batch-proof';
import { BatchProofEntity } from './batch-proof.entity';
import type { BatchProofLeaseViewDto } from './dto';

/**
 * The prover's side of batch proofs: it takes the requests made for the jobs it served (nobody else's: a batch
 * reveals only inputs its prover already had), proves, and submits. A submission is accepted only if its public
 * signals are exactly (modelId, count, batchHash) recomputed here from the jobs' stored records and the proof
 * verifies against the batch key (the one registered on L1); anything else is a 422 and the request stays open
 * until its timeout.
 */
@Injectable()
export class BatchProofsService {
  private readonly log = createLogger(BatchProofsService.name);

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly models: ModelsService,
    private readonly metrics: MetricsService,
  ) {}

  /** The prover's oldest open request (again, if it took it before and has not proven it), or undefined. */
  async lease(prover: string, models: string[]): Promise<BatchProofLeaseViewDto | undefined> {
    const qb = this.dataSource
      .getRepository(BatchProofEntity)
      .createQueryBuilder('b')
      // This process's clock, as the planner's and `open`'s: one clock decides a request's time.
      .where(`b.status = 'requested' AND b.prover = :prover AND b.give_up_at > :now`, {
        prover: getAddress(prover),
        now: new Date(),
      })
      .orderBy('b.id', 'ASC')
      .limit(1);
    if (models.length) qb.andWhere('b.model_id IN (:...models)', { models });
    const request = await qb.getOne();
    if (!request) return undefined;
    // The first lease starts the proving timeout (until then the request had only the lease window).
    if (!request.leasedAt) request.giveUpAt = new Date(Date.now() + this.config.batchProofs.timeoutMs);
    await this.dataSource
      .getRepository(BatchProofEntity)
      .update(
        { id: request.id, status: 'requested' },
        { attempts: request.attempts + 1, leasedAt: new Date(), giveUpAt: request.giveUpAt },
      );
    const jobs = await this.jobsOf(request);
    this.log.info({ batchProofId: request.id, prover, jobs: jobs.length }, 'batch proof leased');
    return {
      batchProofId: request.id,
      modelId: request.modelId,
      batchSize: request.batchSize,
      giveUpAt: request.giveUpAt.toISOString(),
      jobs: jobs.map((j) => ({
        jobId: j.jobId,
        input: j.input,
        inputSalt: j.inputSalt,
        inputCommitment: j.inputCommitment,
        outputSalt: String((j.output as { salt?: unknown } | null)?.salt ?? ''),
        outputCommitment: j.outputCommitment!,
      })),
    };
  }

  /** Idempotent for the same proof; see the class comment for what is checked. */
  async submit(prover: string, id: string, body: { proof: unknown; publicSignals: string[] }): Promise<{ status: string }> {
    const proof = canonicalizeProof(body.proof);
    const request = await this.open(prover, id, { allowDone: true });
    if (request.status !== 'requested') {
      if (request.proof && storedProofEquals(request.proof, proof)) return { status: request.status };
      throw new BatchProofNotOpenError(id, `is ${request.status}`);
    }
    const jobs = await this.jobsOf(request);
    const hash = batchHash(
      jobs.map((j) => ({
        jobId: BigInt(j.jobId),
        prover: BigInt(j.prover!),
        inputCommitment: BigInt(j.inputCommitment),
        outputCommitment: BigInt(j.outputCommitment!),
      })),
    );
    const expected = [request.modelId, String(jobs.length), hash.toString()];
    const names = ['modelId', 'count', 'batchHash'];
    expected.forEach((value, i) => {
      if (body.publicSignals[i] !== value)
        throw new ProofInvalidError(
          `public signal ${i} (${names[i]}) is ${String(body.publicSignals[i]).slice(0, 80)}, expected ${value}`,
        );
    });
    const started = performance.now();
    const vkey = this.models.batchVerificationKey(await this.models.find(request.modelId), request.batchSize);
    const valid = await verifyInference({
      model: { vkey },
      proof: proof as unknown as Groth16Proof,
      publicSignals: body.publicSignals,
    });
    this.metrics.proofVerifySeconds.observe((performance.now() - started) / 1000);
    if (!valid) {
      await this.dataSource
        .getRepository(BatchProofEntity)
        .update({ id }, { error: 'a submitted proof did not verify against the batch key' });
      throw new ProofInvalidError('the batch proof does not verify against the batch key registered on L1');
    }
    // Conditional, and after abandonBatchProof's row lock: either the proof lands or the give-up does, never both.
    const result = await this.dataSource.getRepository(BatchProofEntity).update(
      { id, status: 'requested' },
      {
        status: 'proven',
        // jsonb: TypeORM's deep-partial type does not follow an open record.
        proof: proof as never,
        publicSignals: body.publicSignals,
        batchHash: hash.toString(),
        provenAt: new Date(),
        error: null,
      },
    );
    if (result.affected !== 1) throw new BatchProofNotOpenError(id, 'was given up while its proof was checked');
    this.log.info({ batchProofId: id, prover, jobs: jobs.length }, 'batch proof accepted');
    return { status: 'proven' };
  }

  /** The prover cannot prove it: its jobs settle singly now rather than at the timeout. */
  async giveBack(prover: string, id: string): Promise<void> {
    const request = await this.open(prover, id, { allowDone: false });
    await this.dataSource.transaction((manager) => abandonBatchProof(manager, request, 'returned by its prover'));
    this.log.info({ batchProofId: id, prover }, 'batch proof returned; its jobs settle singly');
  }

  private async open(prover: string, id: string, options: { allowDone: boolean }): Promise<BatchProofEntity> {
    const request = await this.dataSource.getRepository(BatchProofEntity).findOneBy({ id });
    if (!request) throw new BatchProofNotFoundError(id);
    if (request.prover !== getAddress(prover)) throw new BatchProofNotOpenError(id, 'is another prover’s');
    if (options.allowDone && request.status !== 'requested') return request;
    if (request.status !== 'requested' || request.giveUpAt.getTime() <= Date.now())
      throw new BatchProofNotOpenError(id, request.status === 'requested' ? 'timed out' : `is ${request.status}`);
    return request;
  }

  /** The request's jobs in its order (the order its batch hash lists them). */
  private async jobsOf(request: BatchProofEntity): Promise<JobEntity[]> {
    const rows = await this.dataSource.getRepository(JobEntity).findBy({ jobId: In(request.jobIds) });
    const byId = new Map(rows.map((j) => [j.jobId, j]));
    return request.jobIds.map((jobId) => {
      const job = byId.get(jobId);
      if (job?.status !== 'batched' || job.batchProofId !== request.id || !job.outputCommitment || !job.prover)
        throw new BatchProofNotOpenError(request.id, `no longer holds job ${jobId}`);
      return job;
    });
  }
}
