import { createHash, randomBytes } from 'node:crypto';

import * as snarkjs from 'snarkjs';

import { BaseError } from '../errors';

/** One entry of a zkey's phase-2 transcript, as snarkjs reports it. */
export type Phase2Contribution = {
  /** 1-based position in the transcript. */
  index: number;
  name: string;
  /** blake2b-512 contribution hash, hex: what a contributor publishes so anyone can find their step. */
  hash: string;
  /** Present for the final beacon: its public randomness and 2^iterationsExp hash iterations. */
  beacon?: { hash: string; iterationsExp: number };
};

export class SetupVerificationError extends BaseError {
  override name = 'SetupVerificationError';
  constructor(shortMessage: string, details?: string) {
    super('SETUP_INVALID', shortMessage, { details });
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** snarkjs logs progress through this interface; we keep its info lines (the transcript) and errors. */
function captureLogger() {
  const info: string[] = [];
  const errors: string[] = [];
  const logger = {
    debug: () => undefined,
    info: (m: string) => void info.push(m),
    warn: (m: string) => void info.push(m),
    error: (m: string) => void errors.push(m),
  };
  return { logger, info, errors };
}

export type StartPhase2Parameters = { r1cs: string; ptau: string; out: string };

/**
 * The ceremony's starting zkey (snarkjs `newZKey`). Never usable as is: δ = γ = 1 there, so anyone can forge;
 * at least one contribution must follow (checkVerificationKey refuses such a key everywhere).
 */
export async function startPhase2(parameters: StartPhase2Parameters): Promise<void> {
  await snarkjs.zKey.newZKey(parameters.r1cs, parameters.ptau, parameters.out, captureLogger().logger);
}

export type ContributePhase2Parameters = { in: string; out: string; name: string };
export type ContributePhase2ReturnType = { hash: string };

/**
 * One phase-2 contribution from 64 bytes of fresh OS randomness. The randomness (the contribution's share of δ)
 * lives only inside this call; as long as one contributor discards theirs, nobody can forge proofs.
 */
export async function contributePhase2(parameters: ContributePhase2Parameters): Promise<ContributePhase2ReturnType> {
  const entropy = createHash('sha512').update(randomBytes(64)).digest('hex');
  const hash = await snarkjs.zKey.contribute(parameters.in, parameters.out, parameters.name, entropy, captureLogger().logger);
  return { hash: hex(hash) };
}

export type ApplyBeaconParameters = {
  in: string;
  out: string;
  name?: string;
  /** Public randomness nobody could predict (e.g. a future L1 block hash), hex; random when omitted. */
  beaconHash?: string;
  /** 2^iterationsExp sequential hashes (snarkjs accepts 10..63). */
  iterationsExp?: number;
};

/** The ceremony's final step: a contribution derived from public randomness, so the last contributor cannot grind. */
export async function applyBeacon(
  parameters: ApplyBeaconParameters,
): Promise<ContributePhase2ReturnType & { beaconHash: string }> {
  const beaconHash = (parameters.beaconHash ?? randomBytes(32).toString('hex')).replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{2,510}$/.test(beaconHash) || beaconHash.length % 2 !== 0)
    throw new SetupVerificationError(`beacon '${parameters.beaconHash}' is not an even-length hex string of at most 255 bytes`);
  const iterations = parameters.iterationsExp ?? 10;
  const hash = await snarkjs.zKey.beacon(
    parameters.in,
    parameters.out,
    parameters.name ?? 'final beacon',
    beaconHash,
    iterations,
    captureLogger().logger,
  );
  if (!hash) throw new SetupVerificationError('snarkjs refused the beacon parameters', `iterations exponent ${iterations}`);
  return { hash: hex(hash), beaconHash };
}

export type VerifyPhase2Parameters = { r1cs: string; ptau: string; zkey: string };
export type VerifyPhase2ReturnType = { valid: boolean; contributions: Phase2Contribution[]; problems: string[] };

/**
 * Checks a zkey against the circuit (r1cs) and the powers of tau, replaying every phase-2 step (snarkjs
 * `verifyFromR1cs`), and returns its transcript. snarkjs exposes the transcript only through this check's log, so
 * the log is parsed here, oldest contribution first.
 */
export async function verifyPhase2(parameters: VerifyPhase2Parameters): Promise<VerifyPhase2ReturnType> {
  const { logger, info, errors } = captureLogger();
  let valid = false;
  try {
    valid = await snarkjs.zKey.verifyFromR1cs(parameters.r1cs, parameters.ptau, parameters.zkey, logger);
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  const contributions: Phase2Contribution[] = [];
  for (const line of info) {
    const head = /^contribution #(\d+) ?(.*):\n([\s\S]*)$/.exec(line);
    if (head) {
      contributions.push({ index: Number(head[1]), name: head[2]!.trim(), hash: head[3]!.replace(/\s+/g, '') });
      continue;
    }
    const last = contributions[contributions.length - 1];
    const beacon = /^Beacon generator: ([0-9a-f]+)$/.exec(line);
    if (beacon && last) last.beacon = { hash: beacon[1]!, iterationsExp: 0 };
    const iterations = /^Beacon iterations Exp: (\d+)$/.exec(line);
    if (iterations && last?.beacon) last.beacon.iterationsExp = Number(iterations[1]);
  }
  contributions.sort((a, b) => a.index - b.index);
  return { valid: valid && errors.length === 0, contributions, problems: errors };
}
