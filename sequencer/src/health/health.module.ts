import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';

import { NetworkModule } from '../network/network.module';
import { HealthController } from './health.controller';

@Module({ imports: [TerminusModule, NetworkModule], controllers: [HealthController] })
export class HealthModule {}
