import { Module, ValidationPipe, type DynamicModule, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

import { ConfigModule } from './config/config.module';
import type { SequencerConfig } from './config/config';
import { HealthModule } from './health/health.module';
import { ErrorFilter } from './middleware/error.filter';
import { NetworkModule } from './network/network.module';

/** One module per domain. Jobs, provers, batches and models arrive with the job API issue. */
@Module({})
export class AppModule {
  static forRoot(config?: SequencerConfig): DynamicModule {
    return { module: AppModule, imports: [ConfigModule.forRoot(config), NetworkModule, HealthModule] };
  }
}

/** Everything an app needs besides its modules, in one place for main.ts and tests alike. */
export function configureApp(app: INestApplication): void {
  app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }));
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Verity sequencer')
      .setDescription('Verifiable AI inference: job API')
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
