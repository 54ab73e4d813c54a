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

/**
 * A deliberate stop: a service found a state it must not act on (minting again could create money) and waits for
 * an operator. The only kind of error that ends a PollLoop; every other failure is retried.
 */
export class ServiceHaltedError extends BaseError {
  override name = 'ServiceHaltedError';
}

export class RelayerHaltedError extends ServiceHaltedError {
  override name = 'RelayerHaltedError';
  constructor(reason: string, parameters?: BaseErrorParameters) {
    super('RELAYER_HALTED', 'the deposit relayer is halted until an operator clears it', { details: reason, ...parameters });
  }
}

export class L2BlockNotFoundError extends BaseError {
  override name = 'L2BlockNotFoundError';
  readonly l2BlockNumber: bigint;
  constructor(l2BlockNumber: bigint, parameters?: BaseErrorParameters) {
    super('L2_BLOCK_NOT_FOUND', `L2 block ${l2BlockNumber} not found`, parameters);
    this.l2BlockNumber = l2BlockNumber;
  }
}
