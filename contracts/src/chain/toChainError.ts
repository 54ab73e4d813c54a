import { isError } from 'ethers';

import { BaseError, ChainUnavailableError, ContractRevertedError, InsufficientFundsError, NonceTooLowError } from '@verity/core';

export type ToChainErrorReturnType =
  | ChainUnavailableError
  | ContractRevertedError
  | InsufficientFundsError
  | NonceTooLowError
  | BaseError;

/** The one place ethers v6 errors become domain errors; callers branch on the class, never on message text. */
export function toChainError(err: unknown): ToChainErrorReturnType {
  if (err instanceof BaseError) return err;
  if (isError(err, 'CALL_EXCEPTION')) return new ContractRevertedError(err.reason ?? undefined, { cause: err });
  if (isError(err, 'INSUFFICIENT_FUNDS')) return new InsufficientFundsError({ cause: err });
  if (isError(err, 'NONCE_EXPIRED')) return new NonceTooLowError({ cause: err });
  if (isError(err, 'NETWORK_ERROR') || isError(err, 'TIMEOUT') || isError(err, 'SERVER_ERROR'))
    return new ChainUnavailableError({ cause: err });
  const message = err instanceof Error ? err.message : String(err);
  if (/ECONNREFUSED|socket hang up|fetch failed/.test(message)) return new ChainUnavailableError({ cause: err });
  return new BaseError('CHAIN_ERROR', 'unexpected chain error', { details: message.split('\n')[0], cause: err });
}

/**
 * How loud a failed step is. PollLoop retries both kinds (stopping would leave the service's post unguarded);
 * a temporary one is a warning, a critical one an error because a human should look at it.
 */
export function chainErrorSeverity(err: unknown): 'temporary' | 'critical' {
  const e = toChainError(err);
  return e instanceof ChainUnavailableError || e instanceof NonceTooLowError ? 'temporary' : 'critical';
}
