import { BaseError } from '@verity/core';

/** The market a prover serves: the L2 chain and the InferenceMarket its stake and rewards live in. */
export type ProverMarket = { chainId: number; address: string };

export type CheckRegistrationMessageParameters = {
  /** The message the sequencer asks the prover to sign. */
  message: string;
  /** The challenge the sequencer returned with it. */
  challenge: string;
  /** The market this prover serves; the message must name exactly it. */
  market: ProverMarket;
};
export type CheckRegistrationMessageReturnType = void;
export type CheckRegistrationMessageErrorType = RegistrationMessageRefusedError;

/** The sequencer asked for a signature the prover will not give. */
export class RegistrationMessageRefusedError extends BaseError {
  override name = 'RegistrationMessageRefusedError';
  constructor(why: string) {
    super('REGISTRATION_MESSAGE_REFUSED', `refusing to sign the sequencer's registration message: ${why}`);
  }
}

/** The one message a prover signs to register, rebuilt here from what the prover knows (never taken on trust). */
export function registrationMessage(challenge: string, market: ProverMarket): string {
  return `Verity prover registration\nmarket: ${market.address} (chain ${market.chainId})\nchallenge: ${challenge}`;
}

/**
 * Checks, before signing, that the registration message the sequencer sent is the one for this prover's market and
 * chain and this challenge. A sequencer that relayed another market's challenge (to register there in the prover's
 * name) gets no signature.
 */
export function checkRegistrationMessage(parameters: CheckRegistrationMessageParameters): CheckRegistrationMessageReturnType {
  const { message, challenge, market } = parameters;
  if (!/^[0-9a-f]{64}$/.test(challenge)) throw new RegistrationMessageRefusedError('the challenge is not 64 hex digits');
  const m = /^Verity prover registration\nmarket: (0x[0-9a-fA-F]{40}) \(chain (\d{1,20})\)\nchallenge: ([0-9a-f]{64})$/.exec(
    message,
  );
  if (!m) throw new RegistrationMessageRefusedError('it is not a Verity prover registration message');
  if (m[1]!.toLowerCase() !== market.address.toLowerCase())
    throw new RegistrationMessageRefusedError(`it names market ${m[1]}, this prover serves ${market.address}`);
  if (m[2] !== String(market.chainId))
    throw new RegistrationMessageRefusedError(`it names chain ${m[2]}, this prover serves chain ${market.chainId}`);
  if (m[3] !== challenge) throw new RegistrationMessageRefusedError('it names another challenge');
}
