import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { dropDatabase, writeDeployment } from '@verity/core';
import { AppModule, configureApp } from '../app.module';
import { loadSequencerConfig } from '../config/config';
import { HealthController } from './health.controller';
import { placeholderDeployment } from '../testing/placeholderDeployment';

/** A JSON-RPC endpoint that answers eth_blockNumber (the one call the probe makes), standing in for a chain. */
async function rpcServer(blockNumber: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const calls = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
      const answer = (c: { id: number; method: string }) =>
        c.method === 'eth_blockNumber'
          ? { jsonrpc: '2.0', id: c.id, result: '0x' + blockNumber.toString(16) }
          : { jsonrpc: '2.0', id: c.id, error: { code: -32601, message: 'method not found' } };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(calls) ? calls.map(answer) : answer(calls)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('GET /health', () => {
  let app: INestApplication;
  let dir: string;
  const servers: Server[] = [];
  const databaseUrl = `${process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/verity_health_spec_${process.pid}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-health-'));
    const l1 = await rpcServer(7);
    const l2 = await rpcServer(11);
    servers.push(l1.server, l2.server);
    writeDeployment(join(dir, 'addresses.json'), placeholderDeployment(l1.url, l2.url));
    const config = loadSequencerConfig({
      SEQUENCER_DATABASE_URL: databaseUrl,
      SEQUENCER_DEPLOYMENT_FILE: join(dir, 'addresses.json'),
      SEQUENCER_WORKERS: 'off',
      LOG_LEVEL: 'silent',
    });
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false, bodyParser: false });
    configureApp(app as NestExpressApplication, config);
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(databaseUrl);
  });

  it('checks both chains through one provider per chain, kept from one request to the next', async () => {
    const health = app.get(HealthController);
    const first = await request(app.getHttpServer()).get('/health').expect(200);
    expect(first.body.details).toMatchObject({ l1: { status: 'up', blockNumber: 7 }, l2: { status: 'up', blockNumber: 11 } });
    const l1 = health.providerFor('l1');
    for (let i = 0; i < 5; i++) await request(app.getHttpServer()).get('/health').expect(200);
    expect(health.providerFor('l1')).toBe(l1);
    expect(health.providerFor('l2')).not.toBe(l1);
    expect(l1.destroyed).toBe(false);
  });

  it('replaces (and closes) a chain’s provider when the deployment names another endpoint', async () => {
    const health = app.get(HealthController);
    const old = health.providerFor('l1');
    const moved = await rpcServer(42);
    servers.push(moved.server);
    writeDeployment(join(dir, 'addresses.json'), placeholderDeployment(moved.url, 'http://127.0.0.1:1'));
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.details).toMatchObject({ l1: { status: 'up', blockNumber: 42 }, l2: { status: 'down' } });
    expect(old.destroyed).toBe(true);
    expect(health.providerFor('l1')).not.toBe(old);
  });
});
