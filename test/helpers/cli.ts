import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const VERITY = join(__dirname, '..', '..', 'bin', 'verity');

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs `bin/verity` as a user would (child process, real environment plus `env`); never throws. */
export async function verity(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(VERITY, args, {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A CLI failure is exactly one line on stderr, a non-zero exit, and no stack trace. */
export function expectOneLineError(result: CliResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}
