import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';

import { writeDeployment } from '@verity/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { dropDatabase } from '@verity/core';
import { AppModule, configureApp } from './app.module';
import { loadSequencerConfig, type SequencerConfig } from './config/config';
import { placeholderDeployment } from './testing/placeholderDeployment';

// Nothing listens on port 1: the chains count as down, which the health check must report.
const deployment = placeholderDeployment();

describe('sequencer HTTP app', () => {
  let app: INestApplication;
  let dir: string;

  const databaseUrl = `${process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/verity_app_spec_${process.pid}`;

  async function boot(deploymentFile: string): Promise<INestApplication> {
    const config: SequencerConfig = loadSequencerConfig({
      SEQUENCER_DATABASE_URL: databaseUrl,
      SEQUENCER_DEPLOYMENT_FILE: deploymentFile,
      SEQUENCER_WORKERS: 'off',
      LOG_LEVEL: 'silent',
    });
    const created = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
      logger: false,
      bodyParser: false,
    });
    configureApp(created, config);
    await created.init();
    return created;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-seq-'));
    writeDeployment(join(dir, 'addresses.json'), deployment);
    app = await boot(join(dir, 'addresses.json'));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  });

  it('serves the network description without RPC URLs', async () => {
    const res = await request(app.getHttpServer()).get('/v1/network').expect(200);
    expect(res.body.l1.chainId).toBe(900);
    expect(res.body.tokens[0]).toMatchObject({ symbol: 'VTY', l2: deployment.tokens.VTY!.l2 });
    expect(JSON.stringify(res.body)).not.toContain('rpcUrl');
  });

  it('reports Postgres up and unreachable chains down, as a 503', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.l1.status).toBe('down');
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await request(app.getHttpServer()).get('/v1/nothing').expect(404);
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('answers 404 DEPLOYMENT_NOT_FOUND when no deployment file exists', async () => {
    const bare = await boot(join(dir, 'missing.json'));
    try {
      const res = await request(bare.getHttpServer()).get('/v1/network').expect(404);
      expect(res.body.code).toBe('DEPLOYMENT_NOT_FOUND');
      expect(res.body.message).toMatch(/verity devnet up/);
    } finally {
      await bare.close();
    }
  });

  it('publishes its OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/network', '/health']));
  });
});
