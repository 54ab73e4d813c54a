import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';

import { configureLogger, createLogger } from '@verity/core';
import { AppModule, configureApp } from './app.module';
import { loadSequencerConfig } from './config/config';

async function bootstrap(): Promise<void> {
  const config = loadSequencerConfig();
  configureLogger(config.log);
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: ['error', 'warn'] });
  configureApp(app);
  await app.listen(config.http.port, config.http.host);
  createLogger('Sequencer').info({ url: await app.getUrl() }, 'sequencer listening');
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
});
