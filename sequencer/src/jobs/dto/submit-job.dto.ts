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

const REQUEST_KEYS = ['deadline', 'inputCommitment', 'maxFee', 'modelId', 'nonce', 'requester', 'reward'];
const BODY_KEYS = ['input', 'inputSalt', 'request', 'signature'];
const ETHEREUM_ADDRESS = /^(0x)[0-9a-f]{40}$/i;
const HEX_BYTES = /^0x([0-9a-fA-F]{2})+$/;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const hasKeys = (v: Record<string, unknown>, keys: string[]) => {
  const own = Object.keys(v);
  return own.length === keys.length && own.every((k) => keys.includes(k));
};

/**
 * A SubmitJobDto for a body that every decorator above accepts (exactly these keys, each value of its type and range),
 * else undefined: the global ValidationPipe then validates the body as usual and words the 400. A shortcut for the
 * request every intake sees (class-transformer and class-validator cost more than the rest of the checks together);
 * never more lenient than the decorators.
 */
export function parseValidSubmitJob(body: unknown): SubmitJobDto | undefined {
  if (!isPlainObject(body) || !hasKeys(body, BODY_KEYS)) return undefined;
  const { request, signature, input, inputSalt } = body;
  if (!isPlainObject(request) || !hasKeys(request, REQUEST_KEYS)) return undefined;
  for (const k of ['modelId', 'inputCommitment', 'reward', 'maxFee', 'nonce']) if (!isUint256(request[k])) return undefined;
  const { deadline, requester } = request;
  if (typeof deadline !== 'number' || !Number.isInteger(deadline) || deadline < 0) return undefined;
  if (typeof requester !== 'string' || !ETHEREUM_ADDRESS.test(requester)) return undefined;
  if (typeof signature !== 'string' || signature.length > 4098 || !HEX_BYTES.test(signature)) return undefined;
  if (!isUint256(inputSalt)) return undefined;
  if (!Array.isArray(input) || input.length < 1 || input.length > 1_000_000) return undefined;
  for (const x of input as unknown[]) if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  return Object.assign(new SubmitJobDto(), {
    request: Object.assign(new JobRequestDto(), request),
    signature,
    input: [...(input as number[])],
    inputSalt: inputSalt as string,
  });
}
