import { Module } from '@nestjs/common';

import { BatchProofsModule } from '../batch-proofs/batch-proofs.module';
import { BatchesController } from './batches.controller';
import { LeaderService } from './leader.service';
import { OpenBatcher } from './open-batcher';
import { RefundBatcher } from './refund-batcher';
import { ReleaseBatcher } from './release-batcher';
import { SettleBatcher } from './settle-batcher';
import { WorkersService } from './workers.service';

@Module({
  imports: [BatchProofsModule],
  controllers: [BatchesController],
  providers: [LeaderService, OpenBatcher, SettleBatcher, ReleaseBatcher, RefundBatcher, WorkersService],
  exports: [WorkersService, OpenBatcher, SettleBatcher, ReleaseBatcher, RefundBatcher, LeaderService],
})
export class BatchesModule {}
