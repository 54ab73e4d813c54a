import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { DatabaseUnavailableError, ensureDatabase } from '@verity/core';
import { BatchEntity } from '../batches/batch.entity';
import { ChainTxEntity } from '../chain/chain-tx.entity';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { JobEventEntity } from '../jobs/job-event.entity';
import { JobEntity } from '../jobs/job.entity';
import { ModelEntity } from '../models/model.entity';
import { ProverSessionEntity } from '../provers/prover-session.entity';
import { ProverEntity } from '../provers/prover.entity';
import { Init1764115200000 } from './migrations/1764115200000-Init';
import { PendingIndex1764201600000 } from './migrations/1764201600000-PendingIndex';
import { BatchProofs1764374400000 } from './migrations/1764374400000-BatchProofs';
import { BatchProofEntity } from '../batch-proofs/batch-proof.entity';

export const ENTITIES = [
  JobEntity,
  JobEventEntity,
  ProverEntity,
  ProverSessionEntity,
  BatchEntity,
  ChainTxEntity,
  ModelEntity,
  BatchProofEntity,
];
export const MIGRATIONS = [Init1764115200000, PendingIndex1764201600000, BatchProofs1764374400000];

/**
 * The TypeORM DataSource for the sequencer's PostgreSQL (a real server, or the embedded PGlite that `npm start`
 * runs: pool size 1 there, one shared session). Schema changes go through migrations only (no `synchronize`); they
 * run at boot, serialized by TypeORM's migrations table lock. Wired by hand rather than with @nestjs/typeorm, whose
 * current release is ESM-only (Jest's loader cannot require it on Node 20) and pins an older TypeORM.
 */
export async function createDataSource(config: SequencerConfig['database']): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    url: config.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize: config.poolSize,
    extra: config.poolSize === 1 ? { idleTimeoutMillis: 0 } : {},
    logging: false,
  });
  try {
    await ensureDatabase(config.url);
    await dataSource.initialize();
    await dataSource.runMigrations();
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw new DatabaseUnavailableError(config.url, { cause: err });
  }
  return dataSource;
}

/** Closes the DataSource when the app shuts down. */
@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [SEQUENCER_CONFIG],
      useFactory: (config: SequencerConfig) => createDataSource(config.database),
    },
    DataSourceCloser,
  ],
  exports: [DataSource],
})
export class DatabaseModule {}
