import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsObject, IsOptional, IsString, Matches } from 'class-validator';

import { UINT_DECIMAL } from '../jobs/dto/submit-job.dto';

export class BatchProofLeaseDto {
  @ApiPropertyOptional({ type: [String], description: 'model ids to take batch proofs for (default: all)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @Matches(UINT_DECIMAL, { each: true, message: 'models must hold decimal model ids' })
  models?: string[];
}

export class SubmitBatchProofDto {
  @ApiProperty({ type: Object, description: 'snarkjs Groth16 proof JSON (pi_a, pi_b, pi_c) of the batch circuit' })
  @IsDefined()
  @IsObject()
  proof!: Record<string, unknown>;

  @ApiProperty({ type: [String], description: 'modelId, count, batchHash (decimal)' })
  @IsArray()
  @ArrayMinSize(3)
  @ArrayMaxSize(3)
  @IsString({ each: true })
  publicSignals!: string[];
}

export class BatchProofJobDto {
  @ApiProperty() jobId!: string;
  @ApiProperty({ type: [Number] }) input!: number[];
  @ApiProperty() inputSalt!: string;
  @ApiProperty() inputCommitment!: string;
  @ApiProperty() outputSalt!: string;
  @ApiProperty() outputCommitment!: string;
}

/** What a prover needs to prove a batch: the jobs it served, in the order the batch hash lists them. */
export class BatchProofLeaseViewDto {
  @ApiProperty() batchProofId!: string;
  @ApiProperty() modelId!: string;
  @ApiProperty({ description: 'K: the batch circuit (its key registered on L1) to prove with' }) batchSize!: number;
  @ApiProperty({ description: 'after this (ISO time) the request is given up and its jobs settle singly' })
  giveUpAt!: string;
  @ApiProperty({ type: [BatchProofJobDto] }) jobs!: BatchProofJobDto[];
}
