import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsObject, IsString } from 'class-validator';

/** A prover's result: the output opening, the Groth16 proof and its public signals (checked in the service). */
export class SubmitResultDto {
  @ApiProperty({ type: Object, description: 'output opening: integers, argmax, scale, values, salt' })
  @IsDefined()
  @IsObject()
  output!: Record<string, unknown>;

  @ApiProperty({ type: Object, description: 'snarkjs Groth16 proof JSON (pi_a, pi_b, pi_c)' })
  @IsDefined()
  @IsObject()
  proof!: Record<string, unknown>;

  @ApiProperty({ type: [String], description: 'modelId, inputCommitment, outputCommitment, jobId, prover' })
  @IsArray()
  @ArrayMinSize(5)
  @ArrayMaxSize(5)
  @IsString({ each: true })
  publicSignals!: string[];
}
