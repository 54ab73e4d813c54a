import { BaseError, InvalidArgumentError, type BaseErrorParameters } from '@verity/core';

export { BaseError, InvalidArgumentError };

export class UnknownTokenError extends BaseError {
  override name = 'UnknownTokenError';
  constructor(token: string, known: string[]) {
    super('TOKEN_NOT_FOUND', `unknown token '${token}' (known: ${known.join(', ') || 'none'})`);
  }
}

export class InsufficientBalanceError extends BaseError {
  override name = 'InsufficientBalanceError';
  constructor(chain: 'L1' | 'L2', wanted: string, available: string, symbol: string) {
    super('INSUFFICIENT_BALANCE', `amount ${wanted} ${symbol} exceeds the ${chain} balance of ${available} ${symbol}`);
  }
}

export class MessageNotFoundError extends BaseError {
  override name = 'MessageNotFoundError';
  constructor(txHash: string, parameters?: BaseErrorParameters) {
    super('MESSAGE_NOT_FOUND', `no bridge message in transaction ${txHash}`, parameters);
  }
}

export class WithdrawalNotReadyError extends BaseError {
  override name = 'WithdrawalNotReadyError';
  readonly status: string;
  constructor(step: 'prove' | 'finalize', status: string, details?: string) {
    super('WITHDRAWAL_NOT_READY', `withdrawal cannot be ${step === 'prove' ? 'proven' : 'finalized'} yet (status ${status})`, {
      details,
    });
    this.status = status;
  }
}

export class WithdrawalAlreadyFinalizedError extends BaseError {
  override name = 'WithdrawalAlreadyFinalizedError';
  constructor(txHash: string) {
    super('WITHDRAWAL_ALREADY_FINALIZED', `withdrawal ${txHash} was already finalized`);
  }
}

export class DepositFailedError extends BaseError {
  override name = 'DepositFailedError';
  constructor(txHash: string) {
    super('DEPOSIT_FAILED', `deposit ${txHash} failed on L2 (the message can be replayed on the L2 messenger)`);
  }
}

export class BridgeTimeoutError extends BaseError {
  override name = 'BridgeTimeoutError';
  constructor(what: string, seconds: number) {
    super('BRIDGE_TIMEOUT', `timed out after ${seconds} s waiting for ${what}`);
  }
}
