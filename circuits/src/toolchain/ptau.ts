import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import * as snarkjs from 'snarkjs';

import { cacheDir } from '../paths';

export type EnsurePtauParameters = {
  /** 2^power must be at least the circuit's constraints + public signals + 1. */
  power: number;
  /** A prepared ceremony file (production); when given it is used as is. */
  ptauFile?: string;
  onProgress?: (step: string) => void;
};

export type EnsurePtauReturnType = { file: string; insecure: boolean; generatedSeconds?: number };

/**
 * Powers of tau for Groth16 setup. With `ptauFile` (a public ceremony's file) that file is used. Otherwise a
 * local one is generated once per power and cached under ~/.cache/verity/ptau, named INSECURE: its single
 * contributor is this machine, so whoever ran it could forge proofs. Development and tests only.
 */
export async function ensurePtau(parameters: EnsurePtauParameters): Promise<EnsurePtauReturnType> {
  if (parameters.ptauFile) return { file: parameters.ptauFile, insecure: false };
  const dir = join(cacheDir(), 'ptau');
  const file = join(dir, `INSECURE-dev-pot${parameters.power}.ptau`);
  if (existsSync(file)) return { file, insecure: true };
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
    // Rename last: a crash never leaves a half-written file under the cached name.
    renameSync(`${tmp}-2.ptau`, file);
  } finally {
    for (const k of [0, 1, 2]) rmSync(`${tmp}-${k}.ptau`, { force: true });
  }
  return { file, insecure: true, generatedSeconds: (Date.now() - started) / 1000 };
}
