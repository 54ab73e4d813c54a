import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ModelCache } from './modelCache';
import { SequencerClient } from './sequencerClient';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The prover's model cache against a hostile sequencer (a plain HTTP server that lists and serves whatever the test
 * says): an artifact hash that is not 64 hex digits never becomes a path, and a download is held to the size the
 * listing gave.
 */
describe('ModelCache against a hostile sequencer', () => {
  let server: Server;
  let url: string;
  let root: string;
  let cacheDir: string;
  let listing: Record<string, { sha256: string; bytes: number }>;
  let served: Buffer;
  /** Per-artifact contents, where a test needs them to differ (`served` otherwise). */
  let servedByName: Record<string, Buffer> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/v1/models/7') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ modelId: '7', name: 'm', active: true, artifacts: listing, manifest: {} }));
      } else if (req.url?.startsWith('/v1/models/7/artifacts/')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(servedByName[req.url.split('/').pop()!] ?? served);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    servedByName = {};
    root = mkdtempSync(join(tmpdir(), 'verity-cache-spec-'));
    cacheDir = join(root, 'cache');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const fetchModel = () => new ModelCache(new SequencerClient(url), cacheDir).get('7');

  it('refuses an artifact hash that would name a path outside the cache', async () => {
    served = Buffer.from('payload');
    for (const bad of ['../escaped', `../${sha(served)}`, '/tmp/owned', sha(served).toUpperCase() + 'x', 'a'.repeat(63)]) {
      listing = { manifest: { sha256: bad, bytes: served.length } };
      await expect(fetchModel()).rejects.toMatchObject({ code: 'ARTIFACT_REFUSED' });
    }
    expect(readdirSync(root)).toEqual(['cache']);
    expect(readdirSync(cacheDir)).toEqual([]);
    expect(existsSync(join(root, 'escaped'))).toBe(false);
  });

  it('refuses a download longer or shorter than the listed size, even if it hashes right', async () => {
    served = Buffer.alloc(64 * 1024, 5);
    for (const bytes of [1024, served.length + 1]) {
      listing = { manifest: { sha256: sha(served), bytes } };
      await expect(fetchModel()).rejects.toMatchObject({ code: 'ARTIFACT_REFUSED' });
      expect(readdirSync(cacheDir)).toEqual([]);
    }
  });

  it('refuses a listed size that is not a sane byte count', async () => {
    served = Buffer.from('x');
    for (const bytes of [-1, 1.5, Number.MAX_SAFE_INTEGER, 'big' as unknown as number]) {
      listing = { manifest: { sha256: sha(served), bytes } };
      await expect(fetchModel()).rejects.toMatchObject({ code: 'ARTIFACT_REFUSED' });
    }
  });

  describe('getBatch', () => {
    const zkey = Buffer.from('batch proving key');
    const vkey = Buffer.from('{}');
    /** Lists and serves batch-2-* with this manifest. */
    const serveBatch = (manifest: unknown) => {
      servedByName = { 'batch-2-manifest': Buffer.from(JSON.stringify(manifest)), 'batch-2-zkey': zkey, 'batch-2-vkey': vkey };
      listing = Object.fromEntries(Object.entries(servedByName).map(([name, b]) => [name, { sha256: sha(b), bytes: b.length }]));
    };
    const setup = { zkeySha256: sha(zkey), vkeySha256: sha(vkey) };
    const fetchBatch = (K = 2) => new ModelCache(new SequencerClient(url), cacheDir).getBatch('7', K);

    it('refuses a batch manifest for another model or another K, or whose setup is not the keys served', async () => {
      for (const manifest of [
        { modelId: '8', batchSize: 2, setup },
        { modelId: '7', batchSize: 3, setup },
        { modelId: '7', batchSize: 2, setup: { ...setup, zkeySha256: sha(Buffer.from('another key')) } },
        { modelId: '7', batchSize: 2 },
        null,
      ]) {
        serveBatch(manifest);
        await expect(fetchBatch()).rejects.toMatchObject({ code: 'ARTIFACT_REFUSED' });
      }
    });

    it('refuses a batch size outside 1..64 before asking the sequencer', async () => {
      listing = {};
      for (const K of [0, 65, 1.5, Number.NaN]) await expect(fetchBatch(K)).rejects.toMatchObject({ code: 'ARTIFACT_REFUSED' });
      expect(existsSync(cacheDir)).toBe(false);
    });

    it('says which batch artifact the sequencer does not have', async () => {
      listing = {};
      await expect(fetchBatch()).rejects.toMatchObject({ code: 'ARTIFACT_NOT_AVAILABLE' });
    });
  });
});
