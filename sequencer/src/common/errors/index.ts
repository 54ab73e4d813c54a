import { BaseError, type BaseErrorParameters } from '@verity/core';

export { BaseError, InvalidArgumentError } from '@verity/core';

/** The sequencer's domain errors. Services throw these (never HttpException): the same services run in workers. */
export class DeploymentNotFoundError extends BaseError {
  override name = 'DeploymentNotFoundError';
  constructor(file: string) {
    super(
      'DEPLOYMENT_NOT_FOUND',
      `no deployment at ${file}: start a devnet (\`verity devnet up\`) or set SEQUENCER_DEPLOYMENT_FILE`,
    );
  }
}

export class ValidationError extends BaseError {
  override name = 'ValidationError';
  constructor(shortMessage: string, parameters?: BaseErrorParameters) {
    super('VALIDATION_FAILED', shortMessage, parameters);
  }
}

export class JobNotFoundError extends BaseError {
  override name = 'JobNotFoundError';
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `no job ${jobId}`);
  }
}

export class JobExistsError extends BaseError {
  override name = 'JobExistsError';
  constructor(jobId: string) {
    super('JOB_ALREADY_EXISTS', `job ${jobId} was already submitted (a signed request is accepted once)`);
  }
}

export class JobInvalidTransitionError extends BaseError {
  override name = 'JobInvalidTransitionError';
  constructor(jobId: string, to: string, actual: string | undefined) {
    super('JOB_INVALID_TRANSITION', `job ${jobId} cannot become ${to} from ${actual ?? 'nothing'}`);
  }
}

export class ModelNotFoundError extends BaseError {
  override name = 'ModelNotFoundError';
  constructor(modelId: string) {
    super('MODEL_NOT_FOUND', `no model ${modelId} on this sequencer (see GET /v1/models)`);
  }
}

export class ModelInactiveError extends BaseError {
  override name = 'ModelInactiveError';
  constructor(modelId: string) {
    super('MODEL_INACTIVE', `model ${modelId} is deactivated: it accepts no new jobs`);
  }
}

export class SignatureInvalidError extends BaseError {
  override name = 'SignatureInvalidError';
  constructor(shortMessage: string) {
    super('SIGNATURE_INVALID', shortMessage);
  }
}

export class NonceUsedError extends BaseError {
  override name = 'NonceUsedError';
  constructor(requester: string, nonce: string) {
    super('NONCE_USED', `nonce ${nonce} of ${requester} is already used or cancelled`);
  }
}

export class InsufficientBalanceError extends BaseError {
  override name = 'InsufficientBalanceError';
  constructor(needed: string, available: string) {
    super(
      'INSUFFICIENT_BALANCE',
      `the prepaid market balance (${available} wei, after jobs already accepted) does not cover reward + fee (${needed} wei): deposit with \`verity market deposit\``,
    );
  }
}

export class UnauthorizedError extends BaseError {
  override name = 'UnauthorizedError';
  constructor(shortMessage: string) {
    super('UNAUTHORIZED', shortMessage);
  }
}

export class ProverNotStakedError extends BaseError {
  override name = 'ProverNotStakedError';
  constructor(address: string) {
    super('PROVER_NOT_STAKED', `${address} is not an active prover in ProverRegistry (stake at least the minimum first)`);
  }
}

export class LeaseNotHeldError extends BaseError {
  override name = 'LeaseNotHeldError';
  constructor(jobId: string) {
    super('LEASE_NOT_HELD', `you do not hold the lease of job ${jobId} (it lapsed, or another prover has it)`);
  }
}

export class ProofInvalidError extends BaseError {
  override name = 'ProofInvalidError';
  constructor(shortMessage: string, parameters?: BaseErrorParameters) {
    super('PROOF_INVALID', shortMessage, parameters);
  }
}

export class ArtifactInvalidError extends BaseError {
  override name = 'ArtifactInvalidError';
  constructor(shortMessage: string) {
    super('ARTIFACT_INVALID', shortMessage);
  }
}

/** Too many event streams open (in all, or from one client address): close one, or retry later. */
export class TooManyStreamsError extends BaseError {
  override name = 'TooManyStreamsError';
  constructor(shortMessage: string) {
    super('RATE_LIMITED', shortMessage);
  }
}

/** A model whose deactivation is scheduled on L1 takes no new jobs (jobs already accepted may still settle). */
export class ModelDeactivationScheduledError extends BaseError {
  override name = 'ModelDeactivationScheduledError';
  constructor(modelId: string, deactivatesAt: Date) {
    super(
      'MODEL_INACTIVE',
      `model ${modelId} is being deactivated on L1 (effective ${deactivatesAt.toISOString()}): it accepts no new jobs`,
    );
  }
}

/** An artifact upload larger than this sequencer accepts. */
export class ArtifactTooLargeError extends BaseError {
  override name = 'ArtifactTooLargeError';
  constructor(shortMessage: string) {
    super('PAYLOAD_TOO_LARGE', shortMessage);
  }
}

/** Every artifact upload slot is taken: retry later. */
export class UploadsBusyError extends BaseError {
  override name = 'UploadsBusyError';
  constructor(limit: number) {
    super('RATE_LIMITED', `${limit} artifact upload(s) already in progress: retry in a moment`);
  }
}

/** The prover already holds as many leases as one prover may. */
export class ProverLeaseLimitError extends BaseError {
  override name = 'ProverLeaseLimitError';
  constructor(prover: string, limit: number) {
    super(
      'RATE_LIMITED',
      `prover ${prover} already holds ${limit} lease(s), the most one prover may: submit or return one first`,
    );
  }
}

/** The prover's heartbeat lapsed: it gets no lease until it sends one (POST /v1/provers/heartbeat). */
export class ProverHeartbeatLapsedError extends BaseError {
  override name = 'ProverHeartbeatLapsedError';
  constructor(prover: string, timeoutSeconds: number) {
    super(
      'UNAUTHORIZED',
      `no heartbeat from prover ${prover} in the last ${timeoutSeconds} s: send POST /v1/provers/heartbeat, then lease again`,
    );
  }
}

export class BatchProofNotFoundError extends BaseError {
  override name = 'BatchProofNotFoundError';
  constructor(id: string) {
    super('BATCH_PROOF_NOT_FOUND', `no batch proof request ${id}`);
  }
}

/** A batch proof request that is not this prover's, or no longer waits for a proof. */
export class BatchProofNotOpenError extends BaseError {
  override name = 'BatchProofNotOpenError';
  constructor(id: string, why: string) {
    super('BATCH_PROOF_NOT_OPEN', `batch proof request ${id} ${why}`);
  }
}
