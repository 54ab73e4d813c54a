import { BaseError, type BaseErrorParameters } from './base';

/**
 * Errors of chains and databases that every part may meet (the bridge, the rollup services, the sequencer, the
 * CLI). Only the classes live here; translating a library's errors into them happens at each library's boundary
 * (toChainError for ethers v6 in @verity/contracts, the bridge's own for ethers v5).
 */
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
      details: 'start it, or point the process’s database URL (e.g. RELAYER_DATABASE_URL) at a reachable server',
      ...parameters,
    });
  }
}
