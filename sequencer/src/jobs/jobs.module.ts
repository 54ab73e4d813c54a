import { Module } from '@nestjs/common';

import { ModelsModule } from '../models/models.module';
import { JobQueueService } from './job-queue.service';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [ModelsModule],
  controllers: [JobsController],
  providers: [JobsService, JobQueueService],
  exports: [JobsService, JobQueueService],
})
export class JobsModule {}
