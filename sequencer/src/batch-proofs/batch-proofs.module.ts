import { Module } from '@nestjs/common';

import { ModelsModule } from '../models/models.module';
import { ProversModule } from '../provers/provers.module';
import { BatchProofPlanner } from './batch-proof-planner';
import { BatchProofsController } from './batch-proofs.controller';
import { BatchProofsService } from './batch-proofs.service';
import { ProvenSettler } from './proven-settler';

/** Batch proofs: the planner asks provers for them, provers submit them here, the proven settler takes them to L1. */
@Module({
  imports: [ModelsModule, ProversModule],
  controllers: [BatchProofsController],
  providers: [BatchProofsService, BatchProofPlanner, ProvenSettler],
  exports: [BatchProofPlanner, ProvenSettler],
})
export class BatchProofsModule {}
