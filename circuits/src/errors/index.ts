import { BaseError, type BaseErrorParameters } from '@verity/core';

export { BaseError };

export class OnnxParseError extends BaseError {
  override name = 'OnnxParseError';
  constructor(shortMessage: string, parameters?: BaseErrorParameters) {
    super('ONNX_INVALID', shortMessage, parameters);
  }
}

export class UnsupportedOperatorError extends BaseError {
  override name = 'UnsupportedOperatorError';
  constructor(opType: string, nodeName: string, why?: string) {
    super('ONNX_UNSUPPORTED_OPERATOR', `unsupported operator ${opType} in node '${nodeName}'${why ? `: ${why}` : ''}`);
  }
}

export class InvalidInputError extends BaseError {
  override name = 'InvalidInputError';
  constructor(shortMessage: string, parameters?: BaseErrorParameters) {
    super('VALIDATION_FAILED', shortMessage, parameters);
  }
}

export class ActivationOverflowError extends BaseError {
  override name = 'ActivationOverflowError';
  constructor(layer: string, value: number, bound: number) {
    super('ACTIVATION_OUT_OF_RANGE', `input drives layer ${layer} out of its calibrated range (|${value}| ≥ ${bound})`);
  }
}

/** An output or input opening that does not match what the circuit commits to; `field` names the culprit. */
export class OpeningInvalidError extends BaseError {
  override name = 'OpeningInvalidError';
  readonly field: string;
  constructor(field: string, problem: string) {
    super('OPENING_INVALID', `${field} ${problem}`);
    this.field = field;
  }
}

/** A verifying key that accepts forged proofs (e.g. δ₂ = γ₂ after a setup with no phase-2 contribution). */
export class WeakVerificationKeyError extends BaseError {
  override name = 'WeakVerificationKeyError';
  constructor(why: string, parameters?: BaseErrorParameters) {
    super('VERIFICATION_KEY_INSECURE', `refusing an insecure verification key: ${why}`, parameters);
  }
}
