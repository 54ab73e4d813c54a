import { Global, Module } from '@nestjs/common';

import { NetworkModule } from '../network/network.module';
import { ChainService } from './chain.service';

@Global()
@Module({ imports: [NetworkModule], providers: [ChainService], exports: [ChainService] })
export class ChainModule {}
