import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import * as snarkjs from 'snarkjs';

import { InvalidInputError } from '../errors';
import { cacheDir } from '../paths';

export type EnsurePtauParameters = {
  /** 2^power must be at least the circuit's constraints + public signals + 1. */
  power: number;
  /** A prepared ceremony file (production); when given it is used as is. */
  ptauFile?: string;
  onProgress?: (step: string) => void;
};

export type EnsurePtauReturnType = {
  file: string;
  sha256: string;
  /** True for a file this machine generated (or any copy of one): its single contributor could forge proofs. */
  insecure: boolean;
  generatedSeconds?: number;
};

const ptauDir = (): string => join(cacheDir(), 'ptau');
const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Hashes of every locally generated powers-of-tau file (written beside each as `<file>.sha256`). */
function localPtauHashes(): Set<string> {
  const dir = ptauDir();
  if (!existsSync(dir)) return new Set();
  return new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.ptau.sha256'))
      .map((f) => readFileSync(join(dir, f), 'utf8').trim()),
  );
}

/**
 * Powers of tau for Groth16 setup. With `ptauFile` (a public ceremony's file) that file is used, unless it is (a
 * copy of) one this machine generated: then it is labelled insecure like the local one, whatever its name or path.
 * Otherwise a local file is generated once per power and cached under ~/.cache/verity/ptau, named INSECURE: its
 * single contributor is this machine, and whoever knows tau can forge proofs whatever phase 2 does. Development and
 * tests only.
 */
export async function ensurePtau(parameters: EnsurePtauParameters): Promise<EnsurePtauReturnType> {
  if (parameters.ptauFile) {
    if (!existsSync(parameters.ptauFile)) throw new InvalidInputError(`ptau file ${parameters.ptauFile} does not exist`);
    const sha256 = sha256File(parameters.ptauFile);
    const local =
      localPtauHashes().has(sha256) ||
      /INSECURE/i.test(basename(parameters.ptauFile)) ||
      resolve(parameters.ptauFile).startsWith(resolve(ptauDir()));
    return { file: parameters.ptauFile, sha256, insecure: local };
  }
  const dir = ptauDir();
  const file = join(dir, `INSECURE-dev-pot${parameters.power}.ptau`);
  if (existsSync(file)) {
    // Files cached by an older version carry no hash marker yet.
    if (!existsSync(`${file}.sha256`)) writeFileSync(`${file}.sha256`, sha256File(file));
    return { file, sha256: readFileSync(`${file}.sha256`, 'utf8').trim(), insecure: true };
  }
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const tmp = join(dir, `tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  try {
    parameters.onProgress?.(`powers of tau 2^${parameters.power}: new accumulator`);
    await snarkjs.powersOfTau.newAccumulator(curve, parameters.power, `${tmp}-0.ptau`);
    parameters.onProgress?.(`powers of tau 2^${parameters.power}: contribution`);
    const entropy = createHash('sha256').update(randomBytes(64)).digest('hex');
    await snarkjs.powersOfTau.contribute(`${tmp}-0.ptau`, `${tmp}-1.ptau`, 'verity insecure dev contribution', entropy);
    parameters.onProgress?.(`powers of tau 2^${parameters.power}: prepare phase 2`);
    await snarkjs.powersOfTau.preparePhase2(`${tmp}-1.ptau`, `${tmp}-2.ptau`);
    // Marker first, rename last: a crash never leaves a half-written file under the cached name, and a cached
    // file always has its marker.
    const sha256 = sha256File(`${tmp}-2.ptau`);
    writeFileSync(`${file}.sha256`, sha256);
    renameSync(`${tmp}-2.ptau`, file);
    return { file, sha256, insecure: true, generatedSeconds: (Date.now() - started) / 1000 };
  } finally {
    for (const k of [0, 1, 2]) rmSync(`${tmp}-${k}.ptau`, { force: true });
  }
}
