import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsEthereumAddress,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';

/** A canonical decimal string (no sign, no leading zeros, at most 78 digits: the length of 2^256 - 1). */
export const UINT_DECIMAL = /^(0|[1-9][0-9]{0,77})$/;
export const UINT256_MAX = (1n << 256n) - 1n;
/** 78 digits still reach past 2^256: the value is bounded too, else EIP-712 encoding throws deep inside intake. */
export const isUint256 = (v: unknown): boolean => typeof v === 'string' && UINT_DECIMAL.test(v) && BigInt(v) <= UINT256_MAX;
const uint = (field: string) =>
  ValidateBy({
    name: 'isUint256',
    validator: { validate: isUint256, defaultMessage: () => `${field} must be a decimal integer string below 2^256 (uint256)` },
  });

/** The EIP-712 JobRequest fields plus the signer, as the market's `openJobs` takes them. */
export class JobRequestDto {
  @ApiProperty({ example: '9562516377654909…', description: 'the circuit’s modelId (decimal)' })
  @IsString()
  @uint('modelId')
  modelId!: string;

  @ApiProperty({ description: 'salted Poseidon commitment to the quantized input (decimal)' })
  @IsString()
  @uint('inputCommitment')
  inputCommitment!: string;

  @ApiProperty({ example: '1000000000000000000', description: 'reward for the prover, in VTY wei' })
  @IsString()
  @uint('reward')
  reward!: string;

  @ApiProperty({ example: '100000000000000000', description: 'largest protocol fee the requester accepts, in VTY wei' })
  @IsString()
  @uint('maxFee')
  maxFee!: string;

  @ApiProperty({ example: 1767225600, description: 'unix seconds: the job must be released by then, or it is refunded' })
  @IsInt({ message: 'deadline must be an integer (unix seconds)' })
  @Min(0)
  deadline!: number;

  @ApiProperty({ example: '1', description: 'any unused number; one signed request per nonce' })
  @IsString()
  @uint('nonce')
  nonce!: string;

  @ApiProperty({ example: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc', description: 'who signed (pays)' })
  @IsEthereumAddress({ message: 'requester must be an address (0x and 40 hex digits)' })
  requester!: string;
}

export class SubmitJobDto {
  @ApiProperty({ type: JobRequestDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => JobRequestDto)
  request!: JobRequestDto;

  @ApiProperty({ description: 'EIP-712 signature of the request (65 bytes, or an ERC-1271 wallet’s)' })
  @IsString()
  @Matches(/^0x([0-9a-fA-F]{2})+$/, { message: 'signature must be 0x-prefixed hex bytes' })
  @MaxLength(4098)
  signature!: string;

  @ApiProperty({ type: [Number], description: 'the input tensor, flattened row-major, as floats' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000_000)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true, message: 'input must hold finite numbers only' })
  input!: number[];

  @ApiProperty({ description: 'the input commitment’s blinding salt (decimal field element); stays off chain' })
  @IsString()
  @uint('inputSalt')
  inputSalt!: string;
}

export class SubmitJobResponseDto {
  @ApiProperty() jobId!: string;
  @ApiProperty({ example: 'accepted' }) status!: string;
  @ApiProperty({ description: 'the protocol fee that will be escrowed with the reward (wei)' }) fee!: string;
  @ApiProperty({ description: 'shown once: send as `Authorization: Bearer …` to read the output opening' })
  accessToken!: string;
}
