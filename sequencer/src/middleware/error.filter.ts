import { randomUUID } from 'node:crypto';

import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

import { createLogger } from '@verity/core';
import { BaseError } from '../common/errors';

/** The one code-to-HTTP table (STYLE.md). Clients branch on `code`. */
export function httpStatusFor(code: string): number {
  if (code === 'VALIDATION_FAILED') return 400;
  if (code === 'UNAUTHORIZED') return 401;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code === 'JOB_INVALID_TRANSITION' || code === 'JOB_ALREADY_CLAIMED') return 409;
  if (code === 'PROOF_INVALID') return 422;
  if (code === 'RATE_LIMITED') return 429;
  return 500;
}

/**
 * Every error leaves as `{ code, message, details? }`. Domain errors map through the table; Nest's own HTTP
 * errors (bad JSON, validation, unknown route) keep their status; anything else is a 500 with a generic body
 * and a correlation id that joins it to the log line.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = createLogger(ErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof BaseError) {
      const status = httpStatusFor(exception.code);
      if (status < 500) {
        response.status(status).json({ code: exception.code, message: exception.shortMessage, details: exception.details });
        return;
      }
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse() as string | { message?: string | string[]; details?: unknown };
      // Terminus reports an unhealthy dependency as a 503 whose body is the health report itself: keep it.
      if (typeof body === 'object' && body.details !== undefined && status === 503) {
        response.status(status).json(body);
        return;
      }
      const message =
        typeof body === 'string'
          ? body
          : Array.isArray(body.message)
            ? body.message.join('; ')
            : (body.message ?? exception.message);
      const code = status === 400 ? 'VALIDATION_FAILED' : status === 404 ? 'ROUTE_NOT_FOUND' : `HTTP_${status}`;
      response.status(status).json({ code, message });
      return;
    }
    const correlationId = randomUUID();
    this.log.error({ correlationId, err: exception instanceof Error ? exception.message : String(exception) }, 'unhandled error');
    response.status(500).json({ code: 'INTERNAL', message: 'internal error', details: `correlation id ${correlationId}` });
  }
}
