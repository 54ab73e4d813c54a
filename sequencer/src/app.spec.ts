import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';

import { writeDeployment, type Deployment } from '@verity/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { dropDatabase } from '@verity/core';
import { AppModule, configureApp } from './app.module';
import { loadSequencerConfig, type SequencerConfig } from './config/config';

const address = (n: number) => '0x' + n.toString(16).padStart(40, '0');
const deployment: Deployment = {
  // Nothing listens on port 1: the chains count as down, which the health check must report.
  l1: {
    chainId: 900,
    rpcUrl: 'http://127.0.0.1:1',
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
    rpcUrl: 'http://127.0.0.1:1',
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
};

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
    expect(res.body.tokens[0]).toMatchObject({ symbol: 'VTY', l2: address(14) });
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
