import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const known = new Map<string, string>();

/**
 * SHA-256 over a source directory's files (name and bytes, sorted, specs left out), computed once per process: a
 * circuit builder hashes its own sources so that any change to them names a new circuit (and a new build directory).
 */
export function sourcesSha256(dir: string): string {
  let digest = known.get(dir);
  if (digest) return digest;
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.includes('.spec.'))
    .sort())
    hash.update(file).update(readFileSync(join(dir, file)));
  digest = hash.digest('hex');
  known.set(dir, digest);
  return digest;
}
