/**
 * The one error base of the project (viem-style): a fixed `code` clients branch on, a one-line `shortMessage`
 * for humans, optional `details`, and the `cause` chain. Codes are SCREAMING_SNAKE and never renamed once shipped.
 */
export type BaseErrorParameters = {
  details?: string;
  cause?: unknown;
};

export class BaseError extends Error {
  override name = 'BaseError';
  readonly code: string;
  readonly shortMessage: string;
  readonly details?: string;

  constructor(code: string, shortMessage: string, parameters: BaseErrorParameters = {}) {
    super(parameters.details ? `${shortMessage}\n\nDetails: ${parameters.details}` : shortMessage, {
      cause: parameters.cause,
    });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = parameters.details;
  }

  /** Follows the cause chain; returns the first error `fn` accepts, or the deepest one when no `fn`. */
  walk(fn?: (err: unknown) => boolean): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts at this error
    let current: unknown = this;
    for (;;) {
      if (fn?.(current)) return current;
      const next = current instanceof Error ? current.cause : undefined;
      if (next === undefined) return fn ? undefined : current;
      current = next;
    }
  }
}

/** How a worker loop reacts to an error (after op-node's derive errors): retry, re-sync, or stop. */
export type ErrorSeverity = 'temporary' | 'reset' | 'critical';

export class InvalidArgumentError extends BaseError {
  override name = 'InvalidArgumentError';
  constructor(shortMessage: string, parameters?: BaseErrorParameters) {
    super('VALIDATION_FAILED', shortMessage, parameters);
  }
}

/**
 * Thrown by a service step on purpose to stop its loop until an operator acts (a relayer that would otherwise mint
 * twice). Every other error is retried.
 */
export class ServiceHaltedError extends BaseError {
  override name = 'ServiceHaltedError';
}
