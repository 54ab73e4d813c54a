import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as snarkjs from 'snarkjs';

import type { CompiledModel } from './compileModel';
import { ensurePtau } from './toolchain/ptau';

export type SetupModelParameters = {
  model: Pick<CompiledModel, 'manifest' | 'paths'>;
  /** A prepared ceremony file for production; a cached insecure local one otherwise. */
  ptauFile?: string;
  onProgress?: (step: string) => void;
};

export type SetupModelReturnType = {
  zkey: string;
  vkey: string;
  verifierSol: string;
  seconds: number;
  ptauSeconds?: number;
  insecure: boolean;
};

/** Smallest power of two that holds the circuit's constraints plus its public inputs (snarkjs's domain). */
export function ptauPowerFor(constraints: number, publicSignals: number): number {
  return Math.max(8, Math.ceil(Math.log2(constraints + publicSignals + 1)));
}

/**
 * Groth16 setup: powers of tau (ceremony file or cached local one) → circuit zkey → verification key and a
 * Solidity verifier. Cached: an existing zkey for the same r1cs is reused.
 */
export async function setupModel(parameters: SetupModelParameters): Promise<SetupModelReturnType> {
  const { paths, manifest } = parameters.model;
  const started = Date.now();
  const power = ptauPowerFor(manifest.constraints, manifest.publicSignals.length);
  const ptau = await ensurePtau({ power, ptauFile: parameters.ptauFile, onProgress: parameters.onProgress });
  if (!existsSync(paths.zkey) || !existsSync(paths.vkey) || !existsSync(paths.verifierSol)) {
    parameters.onProgress?.('circuit-specific setup (zkey)');
    await snarkjs.zKey.newZKey(paths.r1cs, ptau.file, paths.zkey);
    writeFileSync(paths.vkey, JSON.stringify(await snarkjs.zKey.exportVerificationKey(paths.zkey), null, 2));
    const template = readFileSync(join(require.resolve('snarkjs'), '..', '..', 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
    writeFileSync(paths.verifierSol, await snarkjs.zKey.exportSolidityVerifier(paths.zkey, { groth16: template }));
  }
  const manifestFile = JSON.parse(readFileSync(paths.manifest, 'utf8')) as typeof manifest;
  if (!manifestFile.setup) {
    manifestFile.setup = {
      ptau: ptau.insecure ? `local 2^${power} (INSECURE, development only)` : ptau.file,
      insecure: ptau.insecure,
      zkeySha256: createHash('sha256').update(readFileSync(paths.zkey)).digest('hex'),
    };
    writeFileSync(paths.manifest, JSON.stringify(manifestFile, null, 2) + '\n');
  }
  manifest.setup = manifestFile.setup;
  return {
    zkey: paths.zkey,
    vkey: paths.vkey,
    verifierSol: paths.verifierSol,
    seconds: (Date.now() - started) / 1000,
    ptauSeconds: ptau.generatedSeconds,
    insecure: ptau.insecure,
  };
}
