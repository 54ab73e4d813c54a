import { randomUUID } from 'node:crypto';

import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

import { createLogger } from '@verity/core';
import { BaseError } from '../common/errors';

/** The one code-to-HTTP table (STYLE.md). Clients branch on `code`. */
const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  OPENING_INVALID: 400,
  ARTIFACT_INVALID: 400,
  UNAUTHORIZED: 401,
  SIGNATURE_INVALID: 401,
  INSUFFICIENT_BALANCE: 402,
  PROVER_NOT_STAKED: 403,
  JOB_INVALID_TRANSITION: 409,
  JOB_ALREADY_CLAIMED: 409,
  JOB_ALREADY_EXISTS: 409,
  NONCE_USED: 409,
  MODEL_INACTIVE: 409,
  MODEL_ALREADY_PUBLISHED: 409,
  LEASE_NOT_HELD: 409,
  BATCH_PROOF_NOT_OPEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  PROOF_INVALID: 422,
  ACTIVATION_OUT_OF_RANGE: 422,
  RATE_LIMITED: 429,
  DEPLOYMENT_INCOMPLETE: 503,
  SEQUENCER_READ_ONLY: 503,
};

export function httpStatusFor(code: string): number {
  if (code in STATUS_BY_CODE) return STATUS_BY_CODE[code]!;
  if (code.endsWith('_NOT_FOUND')) return 404;
  return 500;
}

export type ErrorResponse = { status: number; body: unknown };

/** Made on first use: a logger created at import would be the silent fallback, before main.ts configures logging. */
let log: ReturnType<typeof createLogger> | undefined;

/**
 * Every error leaves as `{ code, message, details? }`. Domain errors map through the table; Nest's own HTTP
 * errors (bad JSON, validation, unknown route) keep their status; anything else is a 500 with a generic body
 * and a correlation id that joins it to the log line. Shared by the filter and the intake route (intake.route.ts).
 */
export function errorResponse(exception: unknown): ErrorResponse {
  if (exception instanceof BaseError) {
    const status = httpStatusFor(exception.code);
    if (status < 500 || status === 503)
      return { status, body: { code: exception.code, message: exception.shortMessage, details: exception.details } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse() as string | { message?: string | string[]; details?: unknown };
    // Terminus reports an unhealthy dependency as a 503 whose body is the health report itself: keep it.
    if (typeof body === 'object' && body.details !== undefined && status === 503) return { status, body };
    const message =
      typeof body === 'string'
        ? body
        : Array.isArray(body.message)
          ? body.message.join('; ')
          : (body.message ?? exception.message);
    const code = status === 400 ? 'VALIDATION_FAILED' : status === 404 ? 'ROUTE_NOT_FOUND' : `HTTP_${status}`;
    return { status, body: { code, message } };
  }
  // body-parser's own errors (malformed JSON, a body over the limit, a bad charset) reach here as plain errors
  // carrying an HTTP status: they are the client's fault, so they get their 4xx, never a 500.
  const parser = exception as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown };
  if (typeof parser.type === 'string' && typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
    const code = parser.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED';
    const message =
      parser.type === 'entity.parse.failed'
        ? `the request body is not valid JSON: ${String(parser.message)}`
        : parser.status === 413
          ? 'the request body is larger than this sequencer accepts'
          : String(parser.message);
    return { status: parser.status, body: { code, message } };
  }
  const correlationId = randomUUID();
  (log ??= createLogger('ErrorFilter')).error(
    { correlationId, err: exception instanceof Error ? exception.message : String(exception) },
    'unhandled error',
  );
  return { status: 500, body: { code: 'INTERNAL', message: 'internal error', details: `correlation id ${correlationId}` } };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body } = errorResponse(exception);
    host.switchToHttp().getResponse<Response>().status(status).json(body);
  }
}
