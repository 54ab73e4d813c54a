import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEthereumAddress, IsOptional, IsString, Matches } from 'class-validator';

const MODEL_ID = /^(0|[1-9][0-9]{0,77})$/;

export class ChallengeDto {
  @ApiProperty() @IsEthereumAddress({ message: 'address must be an address (0x and 40 hex digits)' }) address!: string;
}

export class RegisterDto {
  @ApiProperty() @IsEthereumAddress({ message: 'address must be an address (0x and 40 hex digits)' }) address!: string;
  @ApiProperty()
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'challenge must be the 64 hex digits you were given' })
  challenge!: string;
  @ApiProperty({ description: 'EIP-191 signature of the challenge message' })
  @IsString()
  @Matches(/^0x[0-9a-fA-F]{130}$/, { message: 'signature must be a 65-byte hex signature' })
  signature!: string;
  @ApiPropertyOptional({ type: [String], description: 'model ids this prover serves (default: all)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @Matches(MODEL_ID, { each: true, message: 'models must hold decimal model ids' })
  models?: string[];
}

export class LeaseDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @Matches(MODEL_ID, { each: true, message: 'models must hold decimal model ids' })
  models?: string[];
}
