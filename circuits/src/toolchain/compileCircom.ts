import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { BaseError } from '../errors';
import { relativeToRoot, repoRoot } from '../paths';

const run = promisify(execFile);

export type CompileCircomParameters = { circomFile: string; outDir: string };
export type CompileCircomReturnType = { r1cs: string; wasm: string; seconds: number };

export class CircomCompileError extends BaseError {
  override name = 'CircomCompileError';
  constructor(details: string) {
    super('CIRCOM_COMPILE_FAILED', 'circom could not compile the circuit', { details });
  }
}

/**
 * circom 2 (the npm `circom2` WebAssembly build) → r1cs + witness wasm. It runs under WASI with only its working
 * directory visible, so it runs from the repo root with repo-relative paths and circomlib from node_modules.
 * --O2 applies full linear simplification: fewer constraints, faster proofs.
 */
export async function compileCircom(parameters: CompileCircomParameters): Promise<CompileCircomReturnType> {
  const started = Date.now();
  const cli = join(dirname(require.resolve('circom2/package.json')), 'cli.js');
  try {
    await run(
      process.execPath,
      [
        cli,
        relativeToRoot(parameters.circomFile),
        '--r1cs',
        '--wasm',
        '--O2',
        '-l',
        'node_modules',
        '-o',
        relativeToRoot(parameters.outDir),
      ],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new CircomCompileError((e.stderr || e.stdout || e.message).trim().split('\n').slice(-5).join(' | '));
  }
  const base = parameters.circomFile
    .replace(/\.circom$/, '')
    .split('/')
    .pop()!;
  const r1cs = join(parameters.outDir, `${base}.r1cs`);
  const wasm = join(parameters.outDir, `${base}_js`, `${base}.wasm`);
  if (!existsSync(r1cs) || !existsSync(wasm)) throw new CircomCompileError('compiler finished without writing r1cs and wasm');
  return { r1cs, wasm, seconds: (Date.now() - started) / 1000 };
}
