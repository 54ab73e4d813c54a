import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as snarkjs from 'snarkjs';

import { InvalidInputError } from './errors';
import { isDevelopmentSetup, type ModelManifest, type ModelSetup } from './model/manifest';
import type { ModelPaths } from './paths';
import { checkVerificationKey } from './setup/checkVerificationKey';
import { developmentSetup } from './setup/developmentSetup';
import { applyBeacon, contributePhase2, SetupVerificationError, startPhase2, verifyPhase2 } from './setup/phase2';
import { ensurePtau } from './toolchain/ptau';

/** What a setup needs of a circuit: its size and public signals, where its files live, and its manifest to record into. */
export type SetupTarget = {
  manifest: { constraints: number; publicSignals: readonly string[]; setup?: ModelSetup };
  paths: Pick<ModelPaths, 'r1cs' | 'zkey' | 'vkey' | 'verifierSol' | 'manifest'>;
};

export type SetupModelParameters = {
  /** A compiled model, or a batch circuit of one (circuits/src/batch). */
  model: SetupTarget;
  /** A prepared ceremony file for production; a cached insecure local one otherwise. */
  ptauFile?: string;
  /**
   * A zkey from a multi-party phase-2 ceremony (`verity model contribute`): verified against the r1cs and the ptau,
   * finished with a beacon, and adopted. Without it, this machine makes the one contribution itself.
   */
  zkeyFile?: string;
  /** The final beacon's public randomness (hex); random when omitted. */
  beaconHash?: string;
  /** Redo the setup even when a verified one exists. */
  force?: boolean;
  /**
   * INSECURE, development only: write the proving key straight from toxic waste sampled on this machine (no powers
   * of tau, no phase 2; seconds instead of minutes). Whoever controls this process can forge proofs, so the
   * manifest records `kind: 'development'` and registration refuses it outside a local devnet. Never the default;
   * excludes `ptauFile`, `zkeyFile` and `beaconHash`.
   */
  insecureDevelopmentSetup?: boolean;
  onProgress?: (step: string) => void;
};

export type SetupModelReturnType = {
  zkey: string;
  vkey: string;
  verifierSol: string;
  seconds: number;
  ptauSeconds?: number;
  insecure: boolean;
  setup: ModelSetup;
};

/** Smallest power of two that holds the circuit's constraints plus its public inputs (snarkjs's domain). */
export function ptauPowerFor(constraints: number, publicSignals: number): number {
  return Math.max(8, Math.ceil(Math.log2(constraints + publicSignals + 1)));
}

const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * A recorded setup is reused only if its files are all there and unchanged, and a development one only when a
 * development setup is what was asked for (a real setup is always good enough for development).
 */
function existingSetup(model: SetupModelParameters['model'], development: boolean): ModelSetup | undefined {
  const { paths } = model;
  if (![paths.zkey, paths.vkey, paths.verifierSol, paths.manifest].every((f) => existsSync(f))) return undefined;
  const setup = (JSON.parse(readFileSync(paths.manifest, 'utf8')) as Pick<ModelManifest, 'setup'>).setup;
  if (!setup || setup.zkeySha256 !== sha256File(paths.zkey) || setup.vkeySha256 !== sha256File(paths.vkey)) return undefined;
  if (isDevelopmentSetup(setup)) return development ? setup : undefined;
  return setup.contributions?.length ? setup : undefined;
}

/** What a development setup records in the manifest instead of a powers-of-tau file and a transcript. */
export const DEVELOPMENT_SETUP_DESCRIPTION =
  'none: INSECURE development setup (toxic waste sampled on this machine, no ceremony); development only';

/**
 * Groth16 setup: powers of tau (ceremony file or cached local one) → the circuit's initial zkey → a phase-2
 * contribution from fresh OS randomness (or a ceremony's zkey) → a final beacon → verification of the result
 * against the r1cs and the ptau → verification key (refused if weak) and Solidity verifier. The transcript goes
 * into the manifest. Cached: a verified setup of the same r1cs is reused.
 *
 * With `insecureDevelopmentSetup`, the proving key is instead computed directly from fresh toxic waste
 * (developmentSetup): INSECURE, labelled so in the manifest, for tests and a local devnet only.
 */
export async function setupModel(parameters: SetupModelParameters): Promise<SetupModelReturnType> {
  const { paths, manifest } = parameters.model;
  const started = Date.now();
  const development = parameters.insecureDevelopmentSetup === true;
  if (development && (parameters.ptauFile || parameters.zkeyFile || parameters.beaconHash))
    throw new InvalidInputError('an INSECURE development setup takes no powers of tau, ceremony zkey or beacon');
  const cached = parameters.force || parameters.zkeyFile ? undefined : existingSetup(parameters.model, development);
  if (cached) {
    manifest.setup = cached;
    return {
      zkey: paths.zkey,
      vkey: paths.vkey,
      verifierSol: paths.verifierSol,
      seconds: 0,
      insecure: cached.insecure,
      setup: cached,
    };
  }

  const progress = parameters.onProgress ?? (() => undefined);
  if (development) return await developmentSetupModel(parameters, started);
  const power = ptauPowerFor(manifest.constraints, manifest.publicSignals.length);
  const ptau = await ensurePtau({ power, ptauFile: parameters.ptauFile, onProgress: progress });
  const tmp = (k: string) => `${paths.zkey}.${process.pid}.${k}`;
  try {
    if (parameters.zkeyFile) {
      copyFileSync(parameters.zkeyFile, tmp('ceremony'));
    } else {
      progress('circuit-specific setup (initial zkey)');
      await startPhase2({ r1cs: paths.r1cs, ptau: ptau.file, out: tmp('init') });
      progress('phase-2 contribution (fresh randomness)');
      await contributePhase2({ in: tmp('init'), out: tmp('ceremony'), name: 'verity setup' });
    }
    progress('final beacon');
    await applyBeacon({ in: tmp('ceremony'), out: tmp('final'), beaconHash: parameters.beaconHash });
    progress('verify the zkey against the circuit and the powers of tau');
    const verified = await verifyPhase2({ r1cs: paths.r1cs, ptau: ptau.file, zkey: tmp('final') });
    if (!verified.valid)
      throw new SetupVerificationError(
        'the zkey does not match the circuit and powers of tau',
        verified.problems.join('; ') || undefined,
      );
    if (!verified.contributions.some((c) => !c.beacon))
      throw new SetupVerificationError('the zkey has no phase-2 contribution besides the beacon');
    await adoptZkey(paths, tmp('final'));
    const setup = recordSetup(parameters.model, {
      kind: 'powers-of-tau',
      insecure: ptau.insecure,
      ptau: ptau.insecure
        ? `local 2^${power} (INSECURE: generated on this machine, development only)`
        : `${parameters.ptauFile} (provided)`,
      ptauSha256: ptau.sha256,
      contributions: verified.contributions,
    });
    return {
      zkey: paths.zkey,
      vkey: paths.vkey,
      verifierSol: paths.verifierSol,
      seconds: (Date.now() - started) / 1000,
      ptauSeconds: ptau.generatedSeconds,
      insecure: ptau.insecure,
      setup,
    };
  } finally {
    for (const k of ['init', 'ceremony', 'final']) rmSync(tmp(k), { force: true });
  }
}

/** Moves a finished zkey into place with its checked verification key and Solidity verifier. */
async function adoptZkey(paths: SetupModelParameters['model']['paths'], zkey: string): Promise<void> {
  const vkey = checkVerificationKey(await snarkjs.zKey.exportVerificationKey(zkey));
  renameSync(zkey, paths.zkey);
  writeFileSync(paths.vkey, JSON.stringify(vkey, null, 2));
  const template = readFileSync(join(require.resolve('snarkjs'), '..', '..', 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  writeFileSync(paths.verifierSol, await snarkjs.zKey.exportSolidityVerifier(paths.zkey, { groth16: template }));
}

/** Writes the setup record (with the hashes of the files now in place) into the manifest file and object. */
function recordSetup(model: SetupModelParameters['model'], setup: Omit<ModelSetup, 'zkeySha256' | 'vkeySha256'>): ModelSetup {
  const { paths, manifest } = model;
  const full: ModelSetup = { ...setup, zkeySha256: sha256File(paths.zkey), vkeySha256: sha256File(paths.vkey) };
  const manifestFile = JSON.parse(readFileSync(paths.manifest, 'utf8')) as Pick<ModelManifest, 'setup'>;
  manifestFile.setup = full;
  writeFileSync(paths.manifest, JSON.stringify(manifestFile, null, 2) + '\n');
  manifest.setup = full;
  return full;
}

/** The INSECURE development path of setupModel: proving key from fresh toxic waste, checked, labelled. */
async function developmentSetupModel(parameters: SetupModelParameters, started: number): Promise<SetupModelReturnType> {
  const { paths } = parameters.model;
  const tmp = `${paths.zkey}.${process.pid}.development`;
  try {
    await developmentSetup({ r1cs: paths.r1cs, zkey: tmp, onProgress: parameters.onProgress });
    parameters.onProgress?.('INSECURE development setup: verification key and Solidity verifier');
    await adoptZkey(paths, tmp);
  } finally {
    rmSync(tmp, { force: true });
  }
  const setup = recordSetup(parameters.model, {
    kind: 'development',
    insecure: true,
    ptau: DEVELOPMENT_SETUP_DESCRIPTION,
    ptauSha256: '',
    contributions: [],
  });
  return {
    zkey: paths.zkey,
    vkey: paths.vkey,
    verifierSol: paths.verifierSol,
    seconds: (Date.now() - started) / 1000,
    insecure: true,
    setup,
  };
}
