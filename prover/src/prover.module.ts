import { Module, type DynamicModule } from '@nestjs/common';

import { PROVER_CONFIG, loadProverConfig, type ProverConfig } from './config';
import { SequencerClient } from './sequencerClient';

/**
 * The prover daemon. Today it only watches the sequencer; leasing, inference (onnxruntime-node) and proving
 * arrive with the zkML and job API issues.
 */
@Module({})
export class ProverModule {
  static forRoot(config: ProverConfig = loadProverConfig()): DynamicModule {
    return {
      module: ProverModule,
      providers: [{ provide: PROVER_CONFIG, useValue: config }, SequencerClient],
      exports: [SequencerClient],
    };
  }
}
