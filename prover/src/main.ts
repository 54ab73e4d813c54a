import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';

import { configureLogger, createLogger } from '@verity/core';
import { loadProverConfig } from './config';
import { ProverModule } from './prover.module';
import { SequencerClient } from './sequencerClient';

async function bootstrap(): Promise<void> {
  const config = loadProverConfig();
  configureLogger(config.log);
  const log = createLogger('Prover');
  const app = await NestFactory.createApplicationContext(ProverModule.forRoot(config), { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  const sequencer = app.get(SequencerClient);
  let last: string | undefined;
  const beat = async (): Promise<void> => {
    const health = await sequencer.health();
    const now = health.reachable ? `reachable (${health.status})` : 'unreachable';
    if (now !== last)
      log[health.reachable ? 'info' : 'warn']({ sequencerUrl: config.sequencerUrl, sequencer: now }, 'sequencer status changed');
    last = now;
  };
  await beat();
  const timer = setInterval(() => void beat(), config.heartbeatMs);
  const stop = async (): Promise<void> => {
    clearInterval(timer);
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

bootstrap().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
});
