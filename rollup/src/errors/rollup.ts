import { BaseError, ServiceHaltedError, type BaseErrorParameters } from '@verity/core';

export { ServiceHaltedError };

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

/**
 * A deliberate stop: a service found a state it must not act on (minting again could create money) and waits for
 * an operator. The only kind of error that ends a PollLoop; every other failure is retried.
 */
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
