import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  describe('POST /v1/jobs (the intake route ahead of Express)', () => {
    const valid = () => ({
      request: {
        modelId: '1',
        inputCommitment: '2',
        reward: '1000',
        maxFee: '100',
        deadline: Math.floor(Date.now() / 1000) + 3600,
        nonce: '0',
        requester: '0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc',
      },
      signature: '0x' + '11'.repeat(65),
      input: [1, 2, 3, 4],
      inputSalt: '5',
    });
    const post = (body: string, type = 'application/json') =>
      request(app.getHttpServer()).post('/v1/jobs').set('content-type', type).send(body);

    it('takes a well-formed request to the jobs service (an unknown model here), with the JSON error body', async () => {
      const res = await post(JSON.stringify(valid())).expect(404);
      expect(res.body).toMatchObject({ code: 'MODEL_NOT_FOUND' });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('words a malformed body as class-validator does, naming every bad field', async () => {
      const body = { ...valid(), signature: 'nope', input: ['x'] } as Record<string, unknown>;
      delete body.inputSalt;
      const res = await post(JSON.stringify(body)).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toMatch(/signature/);
      expect(res.body.message).toMatch(/inputSalt/);
      expect(res.body.message).toMatch(/input/);
      const extra = await post(JSON.stringify({ ...valid(), admin: true })).expect(400);
      expect(extra.body.message).toMatch(/admin should not exist/);
    });

    it('refuses invalid JSON, a top level that is not an object, and an empty body with 400s', async () => {
      for (const body of ['{"request":', '"a string"', '42', 'null', '', '   '])
        expect((await post(body).expect(400)).body).toMatchObject({
          code: 'VALIDATION_FAILED',
          message: expect.stringMatching(/not valid JSON/),
        });
    });

    it('refuses a body over the limit with a 413, whether declared or streamed', async () => {
      const big = JSON.stringify({ ...valid(), input: Array(600_000).fill(1) });
      expect((await post(big).expect(413)).body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const server = app.getHttpServer() as Server;
        const listening = server.listening
          ? Promise.resolve()
          : new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        void listening.then(() => {
          const { port } = server.address() as AddressInfo;
          const req = httpRequest(
            { host: '127.0.0.1', port, method: 'POST', path: '/v1/jobs', headers: { 'content-type': 'application/json' } },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve({ status: res.statusCode!, body: text }));
            },
          );
          req.on('error', reject);
          // No content-length: chunked, 2 MiB in 64 KiB chunks.
          for (let i = 0; i < 32; i++) req.write(Buffer.alloc(65_536, 0x20));
          req.end();
        });
      });
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.body)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });

    it('refuses a deeply nested body with a 400 (class-transformer would overflow the stack) and takes a UTF-8 BOM', async () => {
      const nested = '{"x":'.repeat(20_000) + '1' + '}'.repeat(20_000);
      const res = await post(nested).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/nests deeper than 32/) });
      expect((await post('\uFEFF' + JSON.stringify(valid())).expect(404)).body.code).toBe('MODEL_NOT_FOUND');
    });

    it('leaves other content types to the controller, which answers them with 4xx as before', async () => {
      const res = await post(JSON.stringify(valid()), 'text/plain');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  it('publishes its OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/network', '/health']));
  });
});
