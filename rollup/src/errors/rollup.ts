import { BaseError, type BaseErrorParameters } from './base';

export class AnvilStartError extends BaseError {
  override name = 'AnvilStartError';
  constructor(chain: string, parameters?: BaseErrorParameters) {
    super('ANVIL_START_FAILED', `anvil for ${chain} did not start`, parameters);
  }
}

export class DevnetNotRunningError extends BaseError {
  override name = 'DevnetNotRunningError';
  constructor(parameters?: BaseErrorParameters) {
    super('DEVNET_NOT_RUNNING', 'no devnet is running (start one with `verity devnet up`)', parameters);
  }
}

export class DevnetAlreadyRunningError extends BaseError {
  override name = 'DevnetAlreadyRunningError';
  constructor(pid: number, parameters?: BaseErrorParameters) {
    super('DEVNET_ALREADY_RUNNING', `a devnet is already running (pid ${pid}); stop it with \`verity devnet down\``, parameters);
  }
}

export class DepositHashMismatchError extends BaseError {
  override name = 'DepositHashMismatchError';
  constructor(expected: string, actual: string) {
    super('DEPOSIT_HASH_MISMATCH', 'the L2 node hashed a deposit differently from the relayer', {
      details: `expected ${expected}, node returned ${actual}`,
    });
  }
}

export class ContractRevertedError extends BaseError {
  override name = 'ContractRevertedError';
  readonly reason?: string;
  constructor(reason: string | undefined, parameters?: BaseErrorParameters) {
    super('CONTRACT_REVERTED', reason ? `transaction reverted: ${reason}` : 'transaction reverted', parameters);
    this.reason = reason;
  }
}

export class NonceTooLowError extends BaseError {
  override name = 'NonceTooLowError';
  constructor(parameters?: BaseErrorParameters) {
    super('NONCE_TOO_LOW', 'nonce too low', parameters);
  }
}

export class InsufficientFundsError extends BaseError {
  override name = 'InsufficientFundsError';
  constructor(parameters?: BaseErrorParameters) {
    super('INSUFFICIENT_FUNDS', 'insufficient funds for gas * price + value', parameters);
  }
}

export class ChainUnavailableError extends BaseError {
  override name = 'ChainUnavailableError';
  constructor(parameters?: BaseErrorParameters) {
    super('CHAIN_UNAVAILABLE', 'chain RPC is unreachable', parameters);
  }
}

export class DatabaseUnavailableError extends BaseError {
  override name = 'DatabaseUnavailableError';
  constructor(url: string, parameters?: BaseErrorParameters) {
    let where = 'the database';
    try {
      const u = new URL(url);
      where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
    } catch {
      // keep the generic wording: the URL itself is malformed
    }
    super('DATABASE_UNAVAILABLE', `cannot reach PostgreSQL at ${where}`, {
      details: 'start it, or point RELAYER_DATABASE_URL at a reachable server',
      ...parameters,
    });
  }
}
