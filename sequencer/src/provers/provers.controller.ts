import { Body, Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';

import { ProverAuthGuard, type ProverRequest } from '../auth/prover-auth.guard';
import { ProverSessionsService } from '../auth/prover-sessions.service';
import { JobQueueService, type LeasedJob } from '../jobs/job-queue.service';
import { jobIdParam } from '../jobs/jobs.controller';
import { ChallengeDto, LeaseDto, RegisterDto } from './dto';
import { LeasePolicyService } from './lease-policy.service';
import { ProverEntity } from './prover.entity';

@ApiTags('provers')
@Controller('v1/provers')
export class ProversController {
  constructor(
    private readonly sessions: ProverSessionsService,
    private readonly queue: JobQueueService,
    private readonly policy: LeasePolicyService,
    private readonly dataSource: DataSource,
  ) {}

  @Post('challenge')
  @HttpCode(200)
  @ApiOkResponse({ description: 'sign `message` with the staked key, then POST /v1/provers/register' })
  challenge(@Body() dto: ChallengeDto) {
    return this.sessions.challenge(dto.address);
  }

  @Post('register')
  @HttpCode(200)
  @ApiOkResponse({ description: 'a bearer token for the prover routes' })
  register(@Body() dto: RegisterDto) {
    return this.sessions.register({ ...dto, models: dto.models ?? [] });
  }

  @Post('heartbeat')
  @HttpCode(200)
  @UseGuards(ProverAuthGuard)
  @ApiBearerAuth()
  async heartbeat(@Req() req: ProverRequest) {
    await this.dataSource.getRepository(ProverEntity).update({ address: req.prover }, { lastHeartbeatAt: new Date() });
    return { ok: true };
  }

  /**
   * The oldest open job this prover serves, or 204 when there is none. Refused while the prover's heartbeat has
   * lapsed (401), once it is no longer staked (403) or while it holds the most leases one prover may (429).
   */
  @Post('lease')
  @UseGuards(ProverAuthGuard)
  @ApiBearerAuth()
  async lease(
    @Body() dto: LeaseDto,
    @Req() req: ProverRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LeasedJob | undefined> {
    const job = await this.policy.lease(req.prover, dto.models ?? [], (models) => this.queue.lease(req.prover, models));
    res.status(job ? 200 : 204);
    return job;
  }

  @Post('leases/:jobId/return')
  @HttpCode(200)
  @UseGuards(ProverAuthGuard)
  @ApiBearerAuth()
  async returnLease(@Param('jobId') jobId: string, @Req() req: ProverRequest) {
    await this.queue.returnLease(req.prover, jobIdParam(jobId));
    return { ok: true };
  }
}
