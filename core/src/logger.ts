import pino, { type Logger } from 'pino';

export type { Logger };

export type CreateLoggerParameters = {
  level?: string;
  /** 'json' for deployed environments, 'pretty' for a terminal. */
  format?: 'json' | 'pretty';
};

let root: Logger | undefined;
/** True while the root is the silent fallback of a createLogger called before configureLogger. */
let fallback = false;

/**
 * Configures the process-wide logger once (from the process's typed config); later calls are ignored. A silent
 * fallback made by an earlier createLogger is replaced (loggers already made from it stay silent: make them lazily).
 */
export function configureLogger(parameters: CreateLoggerParameters): Logger {
  if (fallback) root = undefined;
  fallback = false;
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
  if (!root) {
    configureLogger({ level: 'silent' });
    fallback = true;
  }
  return root!.child({ context });
}
