import { homedir } from 'node:os';
import { join, relative } from 'node:path';

/** Every artifact path of the zkML pipeline, built in one place (circomkit's CircomkitPath habit). */
export const repoRoot = join(__dirname, '..', '..');
export const circuitsDir = join(repoRoot, 'circuits');
export const modelsDir = join(circuitsDir, 'models');
/** Build outputs (r1cs, keys, verifier) live under the repo, ignored by git. */
export const buildRoot = join(circuitsDir, 'build');

/** Slow, reusable files (powers of tau) live outside the repo. */
export function cacheDir(): string {
  return join(homedir(), '.cache', 'verity');
}

export type ModelPaths = {
  dir: string;
  r1cs: string;
  zkey: string;
  vkey: string;
  verifierSol: string;
  manifest: string;
  program: string;
};

export function modelPaths(name: string, hash: string): ModelPaths {
  const dir = join(buildRoot, `${name}-${hash.slice(0, 12)}`);
  return {
    dir,
    r1cs: join(dir, 'model.r1cs'),
    zkey: join(dir, 'model.zkey'),
    vkey: join(dir, 'verification_key.json'),
    verifierSol: join(dir, 'Groth16Verifier.sol'),
    manifest: join(dir, 'manifest.json'),
    program: join(dir, 'program.json'),
  };
}

export const relativeToRoot = (path: string): string => relative(repoRoot, path);
