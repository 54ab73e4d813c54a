import * as snarkjs from 'snarkjs';
import type { VerificationKey } from 'snarkjs';

import { InvalidInputError } from '../errors';

/**
 * The verification key a Groth16 zkey carries (α, β, γ, δ, IC from its header sections), so a zkey can be held to
 * the key registered on L1. Check the section table first (zkeyContributionCount bounds it): snarkjs reads it all.
 */
export async function zkeyVerificationKey(file: string): Promise<VerificationKey> {
  try {
    return await snarkjs.zKey.exportVerificationKey(file);
  } catch (err) {
    throw new InvalidInputError(
      `not a readable Groth16 zkey: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
}
