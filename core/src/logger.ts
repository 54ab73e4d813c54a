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
  // Logs go to stderr so a CLI's stdout carries only its own output.
  root ??=
    parameters.format === 'pretty'
      ? pino({
          level: parameters.level ?? 'info',
          base: undefined,
          transport: {
            target: 'pino-pretty',
            options: { destination: 2, colorize: true, ignore: 'context', messageFormat: '[{context}] {msg}' },
          },
        })
      : pino({ level: parameters.level ?? 'info', base: undefined }, pino.destination(2));
  return root;
}

/** A child logger whose context is the component or class name; messages stay constant, variables go in fields. */
export function createLogger(context: string): Logger {
  return (root ?? configureLogger({ level: 'silent' })).child({ context });
}
