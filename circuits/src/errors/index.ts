import { BaseError, type BaseErrorParameters } from '../../../rollup/src/errors/base';

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
