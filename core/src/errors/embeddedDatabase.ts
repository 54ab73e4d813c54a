import { BaseError, type BaseErrorParameters } from './base';

/**
 * Errors of the embedded PostgreSQL (PGlite) that `npm start` runs when no server is configured. Both are critical
 * for the process that meets them: a human must free the data directory or look at the cause.
 */
export class EmbeddedDatabaseLockedError extends BaseError {
  override name = 'EmbeddedDatabaseLockedError';
  readonly dataDir: string;
  readonly lockFile: string;
  /** The process that holds the data directory; undefined only when it could not be read. */
  readonly pid: number | undefined;

  constructor(
    { dataDir, lockFile, pid }: { dataDir: string; lockFile: string; pid: number | undefined },
    parameters?: BaseErrorParameters,
  ) {
    super(
      'EMBEDDED_DATABASE_LOCKED',
      pid === undefined
        ? `embedded database ${dataDir} is in use by another process`
        : `embedded database ${dataDir} is in use by process ${pid}`,
      {
        details:
          pid === undefined
            ? `stop the other process, or delete ${lockFile} if none uses this directory`
            : `stop process ${pid}, or delete ${lockFile} if that pid is not a Verity process`,
        ...parameters,
      },
    );
    this.dataDir = dataDir;
    this.lockFile = lockFile;
    this.pid = pid;
  }
}

/** Where the embedded database failed: while starting, while running (its worker died), or while stopping. */
export type EmbeddedDatabaseStage = 'start' | 'run' | 'stop';

export class EmbeddedDatabaseFailedError extends BaseError {
  override name = 'EmbeddedDatabaseFailedError';
  readonly dataDir: string;
  readonly stage: EmbeddedDatabaseStage;

  constructor({ dataDir, stage }: { dataDir: string; stage: EmbeddedDatabaseStage }, parameters?: BaseErrorParameters) {
    const what = { start: 'failed to start', run: 'crashed', stop: 'failed to stop cleanly' }[stage];
    super('EMBEDDED_DATABASE_FAILED', `embedded database ${dataDir} ${what}`, parameters);
    this.dataDir = dataDir;
    this.stage = stage;
  }
}
