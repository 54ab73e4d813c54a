import { readFileSync } from 'node:fs';

import * as snarkjs from 'snarkjs';
import type { Groth16Proof, VerificationKey } from 'snarkjs';

import type { CompiledModel } from './compileModel';

export type VerifyInferenceParameters = {
  model: Pick<CompiledModel, 'paths'> | { vkey: VerificationKey };
  proof: Groth16Proof;
  publicSignals: string[];
};

const vkeys = new Map<string, VerificationKey>();

/** Checks a Groth16 proof against the model's verification key: true or false, never a throw for a bad proof. */
export async function verifyInference(parameters: VerifyInferenceParameters): Promise<boolean> {
  const { model } = parameters;
  let vkey: VerificationKey;
  if ('vkey' in model) vkey = model.vkey;
  else {
    vkey = vkeys.get(model.paths.vkey) ?? (JSON.parse(readFileSync(model.paths.vkey, 'utf8')) as VerificationKey);
    vkeys.set(model.paths.vkey, vkey);
  }
  if (parameters.publicSignals.length !== vkey.nPublic) return false;
  try {
    return await snarkjs.groth16.verify(vkey, parameters.publicSignals, parameters.proof, silentLogger);
  } catch {
    // Malformed points or non-field values: an invalid proof, not an error of the verifier.
    return false;
  }
}

const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * snarkjs keeps one bn128 curve (with its worker threads) per process once used; release it on shutdown so the
 * process can exit. The next verify builds it again.
 */
export async function releaseCurves(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
  const curve = g.curve_bn128;
  g.curve_bn128 = undefined;
  await curve?.terminate();
}
