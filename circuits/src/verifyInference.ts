import { statSync } from 'node:fs';

import type { Groth16Proof, VerificationKey } from 'snarkjs';

import type { CompiledModel } from './compileModel';
import { FIELD_MODULUS } from './field';
import { checkVerificationKey, loadVerificationKey } from './setup/checkVerificationKey';
import { verifyGroth16 } from './verify/groth16';

export type VerifyInferenceParameters = {
  model: Pick<CompiledModel, 'paths'> | { vkey: VerificationKey };
  proof: Groth16Proof;
  publicSignals: string[];
};

const vkeys = new Map<string, VerificationKey>();

/**
 * Checks a Groth16 proof against the model's verification key: true or false, never a throw for a bad proof. A
 * key that accepts forgeries (no phase-2 contribution) is refused with WeakVerificationKeyError before any check.
 * The check is as strict as the L1 verifier (verify/groth16.ts): canonical affine encodings, B in G2's subgroup.
 */
export async function verifyInference(parameters: VerifyInferenceParameters): Promise<boolean> {
  const { model } = parameters;
  let vkey: VerificationKey;
  if ('vkey' in model) vkey = checkVerificationKey(model.vkey);
  else {
    // Keyed by modification time too: a new setup rewrites the file.
    const key = `${model.paths.vkey}:${statSync(model.paths.vkey).mtimeMs}`;
    vkey = vkeys.get(key) ?? loadVerificationKey(model.paths.vkey);
    vkeys.set(key, vkey);
  }
  if (!Array.isArray(parameters.publicSignals) || parameters.publicSignals.length !== vkey.nPublic) return false;
  // Canonical field elements only: snarkjs reduces modulo p, so s and s + p would both verify (the Solidity
  // verifier refuses the second; so do we).
  if (!parameters.publicSignals.every((s) => typeof s === 'string' && /^[0-9]{1,78}$/.test(s) && BigInt(s) < FIELD_MODULUS))
    return false;
  try {
    return await verifyGroth16(vkey, parameters.publicSignals, parameters.proof);
  } catch {
    // Malformed points or non-field values: an invalid proof, not an error of the verifier.
    return false;
  }
}

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
