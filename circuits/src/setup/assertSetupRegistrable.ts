import { closeSync, openSync, readSync } from 'node:fs';

import { BaseError, InvalidInputError } from '../errors';
import { isDevelopmentSetup, type ModelSetup } from '../model/manifest';

/** A model whose proving key came from an INSECURE development setup, offered for registration where money is real. */
export class DevelopmentSetupRefusedError extends BaseError {
  override name = 'DevelopmentSetupRefusedError';
  constructor(shortMessage: string) {
    super('SETUP_DEVELOPMENT_REFUSED', shortMessage);
  }
}

export type AssertSetupRegistrableParameters = {
  model: string;
  setup: ModelSetup | undefined;
  /** The proving key: one without any phase-2 contribution counts as a development setup, whatever the manifest says. */
  zkey?: string;
  /** The L1 chain the model is to be registered on. */
  chainId: number;
  /** Chains where a development setup was explicitly allowed (a local devnet's); empty unless someone asked. */
  developmentChainIds: readonly number[];
};

export type AssertSetupRegistrableErrorType = DevelopmentSetupRefusedError | InvalidInputError;

/**
 * Refuses to register a model with an INSECURE development setup (whoever ran it could have kept the toxic waste
 * and can forge proofs) unless it was explicitly allowed for the chain it goes to, which must be a local devnet.
 * The zkey is checked too, so a hand-edited manifest cannot pass a development key off as a ceremony's.
 */
export function assertSetupRegistrable(parameters: AssertSetupRegistrableParameters): void {
  const { model, setup, chainId, developmentChainIds } = parameters;
  const development =
    isDevelopmentSetup(setup) || (parameters.zkey !== undefined && zkeyContributionCount(parameters.zkey) === 0);
  if (!development || developmentChainIds.includes(chainId)) return;
  throw new DevelopmentSetupRefusedError(
    developmentChainIds.length
      ? `model ${model} has an INSECURE development setup: allowed only on a local devnet (L1 chain ${developmentChainIds.join(', ')}), not on chain ${chainId}`
      : `model ${model} has an INSECURE development setup (anyone who kept its toxic waste can forge proofs): refusing to register it; set it up with \`verity model setup --ptau <ceremony file>\`, or allow it explicitly on the local devnet`,
  );
}

const MAX_ZKEY_SECTIONS = 16;

/**
 * The number of phase-2 contributions a snarkjs Groth16 zkey records (section 10), read without loading the file.
 * A hint against mistakes, not a proof: the prover never reads this section, so whoever holds a key can rewrite it.
 */
export function zkeyContributionCount(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const read = (at: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      if (readSync(fd, buf, 0, length, at) !== length) throw new InvalidInputError(`zkey ${file} is truncated`);
      return buf;
    };
    const head = read(0, 12);
    if (head.toString('latin1', 0, 4) !== 'zkey') throw new InvalidInputError(`${file} is not a zkey`);
    const sections = head.readUInt32LE(8);
    // A Groth16 zkey has 10 sections: a crafted table of millions would hold the event loop (these reads are sync).
    if (sections > MAX_ZKEY_SECTIONS) throw new InvalidInputError(`zkey ${file} declares ${sections} sections`);
    let at = 12;
    let count: number | undefined;
    for (let i = 0; i < sections; i++) {
      const section = read(at, 12);
      const size = Number(section.readBigUInt64LE(4));
      if (section.readUInt32LE(0) === 10) {
        // One contributions section, long enough for its hash (64 bytes) and count: a second one is a forgery's decoy.
        if (count !== undefined || size < 68) throw new InvalidInputError(`zkey ${file} has a malformed contributions section`);
        count = read(at + 12 + 64, 4).readUInt32LE(0);
      }
      at += 12 + size;
    }
    if (count === undefined) throw new InvalidInputError(`zkey ${file} has no contributions section`);
    return count;
  } finally {
    closeSync(fd);
  }
}
