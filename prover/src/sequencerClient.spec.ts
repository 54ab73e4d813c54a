import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ARTIFACT_NAME, SequencerClient } from './sequencerClient';

/** The prover's HTTP client against a plain server that records what it was asked and answers as the test says. */
describe('SequencerClient', () => {
  let server: Server;
  let client: SequencerClient;
  let dir: string;
  let requests: { method: string; url: string; authorization?: string; body: string }[];
  let answer: { status: number; body?: unknown };
  const payload = Buffer.from('batch key bytes');
  const expected = { sha256: createHash('sha256').update(payload).digest('hex'), bytes: payload.length };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => resolve(body));
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
        if (req.url?.includes('/artifacts/')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(payload);
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new SequencerClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    client.setToken('session-token');
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    requests = [];
    dir = mkdtempSync(join(tmpdir(), 'verity-client-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('downloads batch artifacts by their names, K from 1 to 64', async () => {
    for (const name of ['batch-1-manifest', 'batch-32-zkey', 'batch-64-vkey', 'zkey']) {
      await client.downloadArtifact('7', name, expected, join(dir, name));
      expect(readFileSync(join(dir, name))).toEqual(payload);
    }
    expect(requests.map((r) => r.url)).toEqual([
      '/v1/models/7/artifacts/batch-1-manifest',
      '/v1/models/7/artifacts/batch-32-zkey',
      '/v1/models/7/artifacts/batch-64-vkey',
      '/v1/models/7/artifacts/zkey',
    ]);
  });

  it('refuses any other artifact name before a request is made', async () => {
    for (const name of [
      'batch-0-zkey',
      'batch-65-zkey',
      'batch-032-zkey',
      'batch-32-r1cs',
      'batch-32-zkey/../../x',
      'batch-32-zkeyx',
      'xbatch-32-zkey',
      'batch--1-zkey',
      '../zkey',
      'ZKEY',
    ]) {
      expect(ARTIFACT_NAME.test(name)).toBe(false);
      await expect(client.downloadArtifact('7', name, expected, join(dir, 'f'))).rejects.toMatchObject({
        code: 'ARTIFACT_REFUSED',
      });
    }
    expect(requests).toEqual([]);
  });

  it('leases, submits and returns batch proofs with the session token', async () => {
    answer = { status: 204 };
    expect(await client.leaseBatchProof([])).toBeUndefined();
    const leased = { batchProofId: 'bp/1', modelId: '7', batchSize: 2, giveUpAt: '2030-01-01T00:00:00.000Z', jobs: [] };
    answer = { status: 200, body: leased };
    expect(await client.leaseBatchProof(['7'])).toEqual(leased);
    answer = { status: 200, body: { status: 'proven' } };
    expect(await client.submitBatchProof('bp/1', { proof: { pi_a: [] }, publicSignals: ['7', '1', '5'] })).toEqual({
      status: 'proven',
    });
    await client.returnBatchProof('bp/1');
    expect(
      requests.map(({ method, url, body }) => ({ method, url, body: body ? (JSON.parse(body) as unknown) : undefined })),
    ).toEqual([
      { method: 'POST', url: '/v1/provers/batch-proofs/lease', body: {} },
      { method: 'POST', url: '/v1/provers/batch-proofs/lease', body: { models: ['7'] } },
      {
        method: 'POST',
        url: '/v1/provers/batch-proofs/bp%2F1/result',
        body: { proof: { pi_a: [] }, publicSignals: ['7', '1', '5'] },
      },
      { method: 'POST', url: '/v1/provers/batch-proofs/bp%2F1/return', body: {} },
    ]);
    expect(new Set(requests.map((r) => r.authorization))).toEqual(new Set(['Bearer session-token']));
  });

  it('gives a 409 or 422 answer as a typed error with its status and code', async () => {
    answer = { status: 409, body: { code: 'BATCH_PROOF_NOT_OPEN', message: 'no longer open' } };
    await expect(client.submitBatchProof('b', { proof: {}, publicSignals: [] })).rejects.toMatchObject({
      name: 'SequencerApiError',
      status: 409,
      code: 'BATCH_PROOF_NOT_OPEN',
    });
  });
});
