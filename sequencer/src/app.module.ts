import type { Server } from 'node:http';

import { Module, ValidationPipe, type ArgumentMetadata, type DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

import { AuthModule } from './auth/auth.module';
import { BatchesModule } from './batches/batches.module';
import { ChainModule } from './chain/chain.module';
import type { SequencerConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { parseValidSubmitJob, SubmitJobDto } from './jobs/dto/submit-job.dto';
import { installIntakeRoute } from './jobs/intake.route';
import { JobsModule } from './jobs/jobs.module';
import { JobsService } from './jobs/jobs.service';
import { MetricsModule } from './metrics/metrics.module';
import { ValidationError } from './common/errors';
import { ErrorFilter } from './middleware/error.filter';
import { ModelsModule } from './models/models.module';
import { NetworkModule } from './network/network.module';
import { ProversModule } from './provers/provers.module';

/**
 * The ValidationPipe, with a shortcut for job intake's body: one that passes every check of SubmitJobDto is taken as
 * it is; any other goes through class-validator, which words the 400 as before.
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype === SubmitJobDto) {
      const dto = parseValidSubmitJob(value);
      if (dto) return dto;
    }
    // class-transformer recurses once per level: a deeply nested body would overflow the stack (a 500).
    if (metadata.type === 'body' && nestedDeeperThan(value, MAX_BODY_DEPTH))
      throw new ValidationError(`the request body nests deeper than ${MAX_BODY_DEPTH} levels`);
    return super.transform(value, metadata);
  }
}

/** No API body nests more than a few levels; this bound is far above them and far below the stack's depth. */
const MAX_BODY_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit` (iterative: the check itself must not recurse). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** One module per domain; data flows API → queue → prover → batch → L1 → L2. */
@Module({})
export class AppModule {
  static forRoot(config?: SequencerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        MetricsModule,
        NetworkModule,
        ChainModule,
        AuthModule,
        ModelsModule,
        JobsModule,
        ProversModule,
        BatchesModule,
        HealthModule,
      ],
    };
  }
}

/** Everything an app needs besides its modules, in one place for main.ts and tests alike. */
export function configureApp(
  app: NestExpressApplication,
  config: SequencerConfig,
  options: { shutdownHooks?: boolean } = {},
): void {
  // Bodies are bounded: a client cannot make the process buffer an arbitrary amount (413 past the limit).
  app.useBodyParser('json', { limit: config.http.maxBodyBytes });
  const pipe = new AppValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false });
  app.useGlobalPipes(pipe);
  app.useGlobalFilters(new ErrorFilter());
  installIntakeRoute({
    server: app.getHttpServer() as Server,
    jobs: app.get(JobsService),
    pipe,
    maxBodyBytes: config.http.maxBodyBytes,
  });
  // A process that embeds the app (the CLI's `start`) handles its own signals: Nest would re-raise them and kill it.
  if (options.shutdownHooks ?? true) app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Verity sequencer')
      .setDescription('Verifiable AI inference: submit signed jobs, serve provers, follow settlement')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
