import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';

import { dropDatabase, writeDeployment, type Deployment } from '@verity/core';
import { AppModule, configureApp } from '../app.module';
import { loadSequencerConfig } from '../config/config';
import { HealthController } from './health.controller';

const address = (n: number) => '0x' + n.toString(16).padStart(40, '0');

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

const deploymentWith = (l1RpcUrl: string, l2RpcUrl: string): Deployment => ({
  l1: {
    chainId: 900,
    rpcUrl: l1RpcUrl,
    contracts: {
      SuperchainConfig: address(1),
      SystemConfig: address(2),
      L2OutputOracle: address(3),
      OptimismPortal: address(4),
      L1CrossDomainMessenger: address(5),
      L1StandardBridge: address(6),
      OptimismMintableERC20Factory: address(7),
    },
  },
  l2: {
    chainId: 901,
    rpcUrl: l2RpcUrl,
    contracts: {
      L2CrossDomainMessenger: address(8),
      L2StandardBridge: address(9),
      OptimismMintableERC20Factory: address(10),
      L1Block: address(11),
      L2ToL1MessagePasser: address(12),
    },
  },
  tokens: { VTY: { symbol: 'VTY', decimals: 18, l1: address(13), l2: address(14) } },
  roles: { deployer: address(15), proposer: address(16), challenger: address(17), guardian: address(18), treasury: address(19) },
  rollup: { finalizationPeriodSeconds: 12, submissionInterval: 2, l2BlockTime: 1 },
});

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
    writeDeployment(join(dir, 'addresses.json'), deploymentWith(l1.url, l2.url));
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
    writeDeployment(join(dir, 'addresses.json'), deploymentWith(moved.url, 'http://127.0.0.1:1'));
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.details).toMatchObject({ l1: { status: 'up', blockNumber: 42 }, l2: { status: 'down' } });
    expect(old.destroyed).toBe(true);
    expect(health.providerFor('l1')).not.toBe(old);
  });
});
