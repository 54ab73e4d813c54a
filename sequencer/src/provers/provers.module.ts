import { Module } from '@nestjs/common';

import { JobsModule } from '../jobs/jobs.module';
import { ModelsModule } from '../models/models.module';
import { LeasePolicyService } from './lease-policy.service';
import { ProversController } from './provers.controller';

@Module({
  imports: [JobsModule, ModelsModule],
  controllers: [ProversController],
  providers: [LeasePolicyService],
  exports: [LeasePolicyService],
})
export class ProversModule {}
