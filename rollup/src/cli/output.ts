import { BaseError } from '../errors/base';
import { toChainError } from '../chain/toChainError';

/** Human output of the CLI goes to stdout; logs (pino) go to stderr-free JSON or pretty lines. */
export function say(line = ''): void {
  process.stdout.write(line + '\n');
}

export function table(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) say(`  ${k.padEnd(width)}  ${v}`);
}

/**
 * Every CLI failure ends here: one line `error: <message>` on stderr, exit code 1, never a stack trace
 * (VERITY_DEBUG=1 adds the cause chain for developers).
 */
export function fail(err: unknown, debug = false): never {
  const e = err instanceof BaseError ? err : toChainError(err);
  process.stderr.write(`error: ${e.shortMessage}${e.details ? `: ${e.details.split('\n')[0]}` : ''}\n`);
  if (debug) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}
