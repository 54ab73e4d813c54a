import { Module } from '@nestjs/common';

import { JobsModule } from '../jobs/jobs.module';
import { ProversController } from './provers.controller';

@Module({ imports: [JobsModule], controllers: [ProversController] })
export class ProversModule {}
