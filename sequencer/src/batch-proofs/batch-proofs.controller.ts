import { Body, Controller, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { ProverAuthGuard, type ProverRequest } from '../auth/prover-auth.guard';
import { ValidationError } from '../common/errors';
import { LeasePolicyService } from '../provers/lease-policy.service';
import { BatchProofsService } from './batch-proofs.service';
import { BatchProofLeaseDto, BatchProofLeaseViewDto, SubmitBatchProofDto } from './dto';

function batchProofIdParam(id: string): string {
  if (!/^[1-9][0-9]{0,17}$/.test(id)) throw new ValidationError(`batch proof id '${id.slice(0, 40)}' must be a positive integer`);
  return id;
}

@ApiTags('provers')
@Controller('v1/provers/batch-proofs')
@UseGuards(ProverAuthGuard)
@ApiBearerAuth()
export class BatchProofsController {
  constructor(
    private readonly batchProofs: BatchProofsService,
    private readonly policy: LeasePolicyService,
  ) {}

  /**
   * The oldest batch proof asked of this prover (over jobs it proved), or 204 when there is none. Refused while its
   * heartbeat has lapsed (401) or once it is no longer staked (403).
   */
  @Post('lease')
  @ApiOkResponse({ type: BatchProofLeaseViewDto })
  async lease(
    @Body() dto: BatchProofLeaseDto,
    @Req() req: ProverRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BatchProofLeaseViewDto | undefined> {
    await this.policy.checkProver(req.prover, { leaseCap: false });
    const request = await this.batchProofs.lease(req.prover, dto.models ?? []);
    res.status(request ? 200 : 204);
    return request;
  }

  @Post(':id/result')
  @HttpCode(200)
  async submit(@Param('id') id: string, @Body() dto: SubmitBatchProofDto, @Req() req: ProverRequest) {
    return this.batchProofs.submit(req.prover, batchProofIdParam(id), dto);
  }

  @Post(':id/return')
  @HttpCode(200)
  async giveBack(@Param('id') id: string, @Req() req: ProverRequest) {
    await this.batchProofs.giveBack(req.prover, batchProofIdParam(id));
    return { ok: true };
  }
}
