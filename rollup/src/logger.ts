import pino, { type Logger } from 'pino';

export type { Logger };

export type CreateLoggerParameters = {
  level?: string;
  /** 'json' for deployed environments, 'pretty' for a terminal. */
  format?: 'json' | 'pretty';
};

let root: Logger | undefined;

/** Configures the process-wide logger once (from the process's typed config); later calls are ignored. */
export function configureLogger(parameters: CreateLoggerParameters): Logger {
  root ??= pino({
    level: parameters.level ?? 'info',
    base: undefined,
    ...(parameters.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'context', messageFormat: '[{context}] {msg}' } } }
      : {}),
  });
  return root;
}

/** A child logger whose context is the component or class name; messages stay constant, variables go in fields. */
export function createLogger(context: string): Logger {
  return (root ?? configureLogger({ level: 'silent' })).child({ context });
}
