import { Module } from '@nestjs/common';

import { ModelsModule } from '../models/models.module';
import { IntakeCrypto } from './intake-crypto.service';
import { IntakeWriter } from './intake-writer.service';
import { JobQueueService } from './job-queue.service';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { StreamLimiterService } from './stream-limiter.service';

@Module({
  imports: [ModelsModule],
  controllers: [JobsController],
  providers: [JobsService, JobQueueService, StreamLimiterService, IntakeWriter, IntakeCrypto],
  exports: [JobsService, JobQueueService],
})
export class JobsModule {}
