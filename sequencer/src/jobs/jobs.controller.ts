import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Sse,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Observable } from 'rxjs';

import { ProverAuthGuard, type ProverRequest } from '../auth/prover-auth.guard';
import { ValidationError } from '../common/errors';
import { JobViewDto } from './dto/job-view.dto';
import { SubmitJobDto, SubmitJobResponseDto, UINT_DECIMAL } from './dto/submit-job.dto';
import { SubmitResultDto } from './dto/submit-result.dto';
import { JobQueueService } from './job-queue.service';
import { isTerminal, type JobStatus } from './job-status';
import { JobsService } from './jobs.service';
import { StreamLimiterService } from './stream-limiter.service';

const STREAM_POLL_MS = 250;
/** Event ids are a bigint column. */
const EVENT_ID_MAX = (1n << 63n) - 1n;

export function jobIdParam(id: string): string {
  if (!UINT_DECIMAL.test(id)) throw new ValidationError(`job id '${id.slice(0, 80)}' must be a decimal integer`);
  return id;
}
const bearer = (authorization?: string) => /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];

@ApiTags('jobs')
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly queue: JobQueueService,
    private readonly streams: StreamLimiterService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: SubmitJobResponseDto, description: 'stored; opened on L2 in the next batch' })
  submit(@Body() dto: SubmitJobDto): Promise<SubmitJobResponseDto> {
    return this.jobs.submit(dto);
  }

  @Get(':id')
  @ApiBearerAuth()
  @ApiOkResponse({ type: JobViewDto, description: 'with `Authorization: Bearer <accessToken>` the output opening too' })
  get(@Param('id') id: string, @Headers('authorization') authorization?: string): Promise<JobViewDto> {
    return this.jobs.get(jobIdParam(id), bearer(authorization));
  }

  /**
   * Server-sent events: every status change from the start (or after the event id `after`), then live ones, until
   * the job ends. An unknown job gets one error event and the end of the stream. Streams are capped in all and per
   * client address (429 past the cap).
   */
  @Sse(':id/events')
  @ApiQuery({ name: 'after', required: false, description: 'resume after this event id' })
  events(@Param('id') id: string, @Req() req: Request, @Query('after') after?: string): Observable<MessageEvent> {
    const jobId = jobIdParam(id);
    if (after !== undefined && !(/^\d{1,19}$/.test(after) && BigInt(after) <= EVENT_ID_MAX))
      throw new ValidationError('after must be an event id (a decimal integer below 2^63)');
    // The socket's own address: a forwarded-for header would let one client claim many addresses.
    const release = this.streams.acquire(req.socket.remoteAddress ?? 'unknown');
    // The slot is given back when the response closes, however it ends (job over, client gone, or never subscribed).
    req.res?.once('close', release);
    return new Observable<MessageEvent>((subscriber) => {
      let last = after ?? '0';
      let status: JobStatus | undefined;
      let timer: NodeJS.Timeout | undefined;
      let closed = false;
      const poll = async () => {
        try {
          if (status === undefined) {
            // Once, whatever `after` says: a stream for a job that does not exist ends at once.
            status = await this.jobs.statusOf(jobId);
            if (status === undefined) {
              subscriber.next({ type: 'error', data: { code: 'JOB_NOT_FOUND', message: `no job ${jobId}` } });
              subscriber.complete();
              return;
            }
          }
          for (const e of await this.jobs.eventsAfter(jobId, last)) {
            last = e.id;
            subscriber.next({
              id: e.id,
              type: 'status',
              data: { jobId, status: e.status, at: e.createdAt.toISOString(), details: e.details },
            });
            if (isTerminal(e.status as JobStatus)) {
              subscriber.complete();
              return;
            }
          }
          // The job had ended before the first poll and its last event lies at or before `after`: nothing will come.
          if (isTerminal(status)) {
            subscriber.complete();
            return;
          }
        } catch (err) {
          subscriber.error(err);
          return;
        }
        if (!closed) timer = setTimeout(() => void poll(), STREAM_POLL_MS);
      };
      void poll();
      return () => {
        closed = true;
        clearTimeout(timer);
        release();
      };
    });
  }

  @Post(':id/result')
  @HttpCode(200)
  @UseGuards(ProverAuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ description: 'proof and opening verified: the job is proven' })
  submitResult(@Param('id') id: string, @Body() dto: SubmitResultDto, @Req() req: ProverRequest): Promise<{ status: string }> {
    return this.queue.submitResult({
      jobId: jobIdParam(id),
      prover: req.prover,
      output: dto.output,
      proof: dto.proof,
      publicSignals: dto.publicSignals,
    });
  }
}
