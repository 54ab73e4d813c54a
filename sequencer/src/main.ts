import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { configureLogger, createLogger, loadDotEnv, nestLogger } from '@verity/core';
import { AppModule, configureApp } from './app.module';
import { loadSequencerConfig } from './config/config';

/** `npm run start:sequencer`: the API (and, with SEQUENCER_WORKERS=on, the batchers) until SIGINT/SIGTERM. */
async function bootstrap(): Promise<void> {
  loadDotEnv();
  const config = loadSequencerConfig();
  configureLogger(config.log);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: nestLogger(),
    bodyParser: false,
  });
  configureApp(app, config);
  await app.listen(config.http.port, config.http.host);
  createLogger('Sequencer').info({ url: await app.getUrl() }, 'sequencer listening');
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
});
