import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

import { ProverSessionsService } from './prover-sessions.service';

export type ProverRequest = Request & { prover: string };

/** Resolves the bearer token to the prover's address (on `req.prover`), or answers 401. */
@Injectable()
export class ProverAuthGuard implements CanActivate {
  constructor(private readonly sessions: ProverSessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ProverRequest>();
    req.prover = await this.sessions.authenticate(req.headers.authorization);
    return true;
  }
}
