import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import type { JobEventEntity } from '../job-event.entity';
import type { JobEntity } from '../job.entity';

export class JobEventDto {
  @ApiProperty() status!: string;
  @ApiProperty() at!: string;
  @ApiProperty({ type: Object }) details!: Record<string, unknown>;
}

/** What anyone may see of a job; the output opening only with the requester's access token. */
export class JobViewDto {
  @ApiProperty() jobId!: string;
  @ApiProperty() status!: string;
  @ApiPropertyOptional() reason?: string;
  @ApiProperty() modelId!: string;
  @ApiProperty() requester!: string;
  @ApiProperty() inputCommitment!: string;
  @ApiProperty() reward!: string;
  @ApiProperty() fee!: string;
  @ApiProperty() deadline!: number;
  @ApiPropertyOptional() prover?: string;
  @ApiPropertyOptional() outputCommitment?: string;
  @ApiPropertyOptional({ type: Object, description: 'Groth16 proof (snarkjs JSON)' }) proof?: Record<string, unknown>;
  @ApiPropertyOptional({ type: [String] }) publicSignals?: string[];
  @ApiPropertyOptional({ type: Object, description: 'the output opening: only with the access token' })
  output?: Record<string, unknown>;
  @ApiProperty({ type: Object }) transactions!: { open?: string; settle?: string; release?: string; refund?: string };
  @ApiPropertyOptional() l1BatchId?: string;
  @ApiProperty({ type: [JobEventDto] }) events!: JobEventDto[];
}

export function mapJob(job: JobEntity, events: JobEventEntity[], withOpening: boolean): JobViewDto {
  const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
  return {
    jobId: job.jobId,
    status: job.status,
    reason: opt(job.reason),
    modelId: job.modelId,
    requester: job.requester,
    inputCommitment: job.inputCommitment,
    reward: job.reward,
    fee: job.fee,
    deadline: Number(job.deadline),
    prover: opt(job.prover),
    outputCommitment: opt(job.outputCommitment),
    proof: opt(job.proof),
    publicSignals: opt(job.publicSignals),
    output: withOpening ? opt(job.output) : undefined,
    transactions: {
      open: opt(job.openTxHash),
      settle: opt(job.settleTxHash),
      release: opt(job.releaseTxHash),
      refund: opt(job.refundTxHash),
    },
    l1BatchId: opt(job.l1BatchId),
    events: events.map((e) => ({ status: e.status, at: e.createdAt.toISOString(), details: e.details })),
  };
}
