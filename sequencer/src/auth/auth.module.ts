import { Global, Module } from '@nestjs/common';

import { ProverAuthGuard } from './prover-auth.guard';
import { ProverSessionsService } from './prover-sessions.service';

@Global()
@Module({ providers: [ProverSessionsService, ProverAuthGuard], exports: [ProverSessionsService, ProverAuthGuard] })
export class AuthModule {}
