import { BaseError } from '@verity/core';
import { toChainError } from '@verity/contracts';
import { isError } from 'ethers';

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
  // Errors are typed where they arise; only a raw ethers error is translated here, at the chain boundary, and
  // anything else is named for what it is: a bug, not a chain problem.
  const e =
    err instanceof BaseError
      ? err
      : isEthersError(err)
        ? toChainError(err)
        : new BaseError('INTERNAL', 'unexpected error', {
            details: (err instanceof Error ? err.message : String(err)).split('\n')[0],
            cause: err,
          });
  process.stderr.write(`error: ${e.shortMessage}${e.details ? `: ${e.details.split('\n')[0]}` : ''}\n`);
  if (debug) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

/** An error thrown by ethers v6 (its errors carry one of ethers' codes), or a failed connection to an RPC. */
function isEthersError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return (
    (typeof code === 'string' && isError(err, code as never)) ||
    /ECONNREFUSED|socket hang up|fetch failed/.test(err instanceof Error ? err.message : String(err))
  );
}
