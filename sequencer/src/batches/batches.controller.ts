import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';

import { BaseError, ValidationError } from '../common/errors';
import { ChainTxEntity } from '../chain/chain-tx.entity';
import { BatchEntity } from './batch.entity';

class BatchViewDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['open', 'settle', 'release', 'refund'] }) kind!: string;
  @ApiProperty({ enum: ['pending', 'confirmed', 'failed'] }) status!: string;
  @ApiProperty({ enum: ['rlc', 'proven'], description: 'settled with single proofs (RLC) or one batch proof' })
  path!: string;
  @ApiProperty({ type: [String] }) jobIds!: string[];
  @ApiPropertyOptional() l1BatchId?: string;
  @ApiPropertyOptional() txHash?: string;
  @ApiPropertyOptional() chainId?: number;
  @ApiPropertyOptional() blockNumber?: string;
  @ApiPropertyOptional() gasUsed?: string;
  @ApiPropertyOptional() error?: string;
  @ApiProperty() createdAt!: string;
}

class BatchNotFoundError extends BaseError {
  override name = 'BatchNotFoundError';
  constructor(id: string) {
    super('BATCH_NOT_FOUND', `no batch ${id}`);
  }
}

@ApiTags('batches')
@Controller('v1/batches')
export class BatchesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':id')
  @ApiOkResponse({ type: BatchViewDto })
  async get(@Param('id') id: string): Promise<BatchViewDto> {
    if (!/^[1-9][0-9]{0,17}$/.test(id)) throw new ValidationError(`batch id '${id.slice(0, 40)}' must be a positive integer`);
    const batch = await this.dataSource.getRepository(BatchEntity).findOneBy({ id });
    if (!batch) throw new BatchNotFoundError(id);
    const tx = batch.txId ? await this.dataSource.getRepository(ChainTxEntity).findOneBy({ id: batch.txId }) : null;
    return {
      id: batch.id,
      kind: batch.kind,
      status: batch.status,
      path: batch.path,
      jobIds: batch.jobIds,
      l1BatchId: batch.l1BatchId ?? undefined,
      txHash: tx?.txHash,
      chainId: tx?.chainId,
      blockNumber: tx?.blockNumber ?? undefined,
      gasUsed: tx?.gasUsed ?? undefined,
      error: batch.error ?? undefined,
      createdAt: batch.createdAt.toISOString(),
    };
  }
}
