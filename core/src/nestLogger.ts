import { createLogger } from './logger';

/**
 * A NestJS LoggerService (matched structurally, so core needs no Nest dependency) that writes Nest's own lines
 * through the process's pino logger: one log stream, one format, whatever emitted the line.
 */
export function nestLogger() {
  const log = createLogger('Nest');
  const text = (message: unknown) => (typeof message === 'string' ? message : JSON.stringify(message));
  const fields = (params: unknown[]) => {
    const context =
      params.length && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    return context ? { nestContext: context } : {};
  };
  return {
    log: (message: unknown, ...params: unknown[]) => log.info(fields(params), text(message)),
    error: (message: unknown, ...params: unknown[]) => log.error(fields(params), text(message)),
    warn: (message: unknown, ...params: unknown[]) => log.warn(fields(params), text(message)),
    debug: (message: unknown, ...params: unknown[]) => log.debug(fields(params), text(message)),
    verbose: (message: unknown, ...params: unknown[]) => log.trace(fields(params), text(message)),
    fatal: (message: unknown, ...params: unknown[]) => log.fatal(fields(params), text(message)),
  };
}
