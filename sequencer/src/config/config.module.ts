import { Global, Module, type DynamicModule } from '@nestjs/common';

import { SEQUENCER_CONFIG, loadSequencerConfig, type SequencerConfig } from './config';

/** Provides the frozen SequencerConfig under one token; tests pass their own. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: SequencerConfig = loadSequencerConfig()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: SEQUENCER_CONFIG, useValue: config }], exports: [SEQUENCER_CONFIG] };
  }
}
