import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  JsonRpcProvider,
  Wallet,
  concat,
  encodeRlp,
  getAddress,
  id as keccakText,
  parseEther,
  toBeHex,
  toQuantity,
} from 'ethers';

import { devnetPrivateKey, freePort, startAnvil, type Anvil, startRpcGateway, type RpcGateway } from '@verity/rollup';

const CHAIN_ID = 901;

type HttpReply = { status: number; headers: Record<string, string | string[] | undefined>; body: unknown };

/** One raw HTTP exchange, so the test controls exactly what bytes the gateway sees. */
function httpCall(url: string, body: string | Buffer | undefined, method = 'POST'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rpc = (url: string, method: string, params: unknown[] = [], id: number | string = 1) =>
  httpCall(url, JSON.stringify({ jsonrpc: '2.0', id, method, params }));

/** A user deposit as the relayer sends it: unsigned, so anyone who can call eth_sendTransaction could mint. */
const depositCall = (to: string, label: string) => ({
  type: '0x7e',
  sourceHash: keccakText(label),
  from: getAddress('0x' + 'de'.repeat(20)),
  to,
  mint: toBeHex(parseEther('1000')),
  value: toBeHex(parseEther('1000')),
  gas: toBeHex(100_000),
  isSystemTx: false,
  input: '0x',
});

/** The same deposit as a raw EIP-2718 envelope: 0x7e ++ rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data]). */
const rawDeposit = (to: string, label: string) =>
  concat([
    '0x7e',
    encodeRlp([
      keccakText(label),
      '0x' + 'de'.repeat(20),
      to,
      toBeHex(parseEther('1000')),
      toBeHex(parseEther('1000')),
      toBeHex(100_000),
      '0x',
      '0x',
    ]),
  ]);

describe('rpc gateway in front of an OP anvil', () => {
  let dir: string;
  let anvil: Anvil;
  let gateway: RpcGateway;
  let viaGateway: JsonRpcProvider;
  let direct: JsonRpcProvider;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-gateway-'));
    anvil = await startAnvil({ name: 'l2', chainId: CHAIN_ID, optimism: true, logFile: join(dir, 'anvil.log') });
    gateway = await startRpcGateway({ upstreamUrl: anvil.rpcUrl, host: '127.0.0.1', port: 0 });
    viaGateway = new JsonRpcProvider(gateway.url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    direct = new JsonRpcProvider(anvil.rpcUrl, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  });
  afterAll(async () => {
    viaGateway?.destroy();
    direct?.destroy();
    await gateway?.stop();
    await anvil?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('listens on a free port and forwards reads', async () => {
    expect(gateway.port).toBeGreaterThan(0);
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
    expect(await rpc(gateway.url, 'eth_chainId')).toEqual({
      status: 200,
      headers: expect.anything(),
      body: { jsonrpc: '2.0', id: 1, result: toQuantity(CHAIN_ID) },
    });
    expect(await viaGateway.getBlockNumber()).toBe(await direct.getBlockNumber());
  });

  it('fails to start with a typed error on a taken port or a bad upstream URL', async () => {
    await expect(startRpcGateway({ upstreamUrl: anvil.rpcUrl, host: '127.0.0.1', port: gateway.port })).rejects.toMatchObject({
      code: 'RPC_GATEWAY_START_FAILED',
    });
    await expect(startRpcGateway({ upstreamUrl: 'ws://127.0.0.1:1', host: '127.0.0.1', port: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('carries a signed transfer through eth_sendRawTransaction and it is mined', async () => {
    const recipient = getAddress('0x' + 'a1'.repeat(20));
    const sender = new Wallet(devnetPrivateKey(0), viaGateway);
    const tx = await sender.sendTransaction({ to: recipient, value: parseEther('0.5') });
    const receipt = await tx.wait();
    expect(receipt?.status).toBe(1);
    expect(await viaGateway.getBalance(recipient)).toBe(parseEther('0.5'));
  });

  it('refuses an unsigned deposit (type 0x7e) via eth_sendTransaction, which anvil itself would mint', async () => {
    const target = getAddress('0x' + 'b1'.repeat(20));
    const reply = await rpc(gateway.url, 'eth_sendTransaction', [depositCall(target, 'through the gateway')]);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32601, message: expect.stringMatching(/^method eth_sendTransaction is not available through the gateway/) },
    });
    expect(await direct.getBalance(target)).toBe(0n);

    // The same call straight to anvil mints: without the gateway this test would fail.
    await direct.send('eth_sendTransaction', [depositCall(target, 'straight to anvil')]);
    expect(await direct.getBalance(target)).toBe(parseEther('1000'));
  });

  it('refuses a raw deposit (0x7e envelope) via eth_sendRawTransaction', async () => {
    const target = getAddress('0x' + 'b2'.repeat(20));
    const blockBefore = await direct.getBlockNumber();
    const reply = await rpc(gateway.url, 'eth_sendRawTransaction', [rawDeposit(target, 'raw through the gateway')]);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      id: 1,
      error: { code: -32602, message: expect.stringMatching(/^deposit transactions \(type 0x7e\) are not accepted: /) },
    });
    expect(await direct.getBalance(target)).toBe(0n);
    expect(await direct.getBlockNumber()).toBe(blockBefore);

    // anvil accepts the unsigned envelope and mints.
    await direct.send('eth_sendRawTransaction', [rawDeposit(target, 'raw straight to anvil')]);
    expect(await direct.getBalance(target)).toBe(parseEther('1000'));
  });

  it('refuses cheat codes, node internals and unlocked signing, and none of them has an effect', async () => {
    const target = getAddress('0x' + 'c1'.repeat(20));
    const [account0] = (await direct.send('eth_accounts', [])) as string[];
    const blockBefore = await direct.getBlockNumber();
    const calls: [string, unknown[], RegExp][] = [
      ['anvil_setBalance', [target, toBeHex(parseEther('1000'))], /cheat codes stay on the devnet host/],
      ['evm_mine', [], /cheat codes/],
      ['evm_increaseTime', [3600], /cheat codes/],
      ['hardhat_setBalance', [target, toBeHex(parseEther('1000'))], /cheat codes/],
      ['debug_traceTransaction', [keccakText('no such transaction')], /debug and trace/],
      ['eth_sign', [account0, '0xdeadbeef'], /sign locally/],
      ['personal_sign', ['0xdeadbeef', account0], /sign locally/],
    ];
    for (const [method, params, why] of calls) {
      const reply = await rpc(gateway.url, method, params, method);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        jsonrpc: '2.0',
        id: method,
        error: { code: -32601, message: expect.stringContaining(`method ${method} is not available through the gateway (`) },
      });
      expect((reply.body as { error: { message: string } }).error.message).toMatch(why);
    }
    expect(await direct.getBlockNumber()).toBe(blockBefore);
    expect(await direct.getBalance(target)).toBe(0n);
    // anvil would have signed with its unlocked dev key.
    expect(await direct.send('eth_sign', [account0, '0xdeadbeef'])).toMatch(/^0x[0-9a-f]{130}$/);
  });

  it('answers eth_accounts with no account while anvil has ten unlocked', async () => {
    expect((await rpc(gateway.url, 'eth_accounts')).body).toEqual({ jsonrpc: '2.0', id: 1, result: [] });
    expect((await direct.send('eth_accounts', [])) as string[]).toHaveLength(10);
  });

  it('answers a mixed batch element by element, in order, under the client ids', async () => {
    const target = getAddress('0x' + 'c2'.repeat(20));
    const reply = await httpCall(
      gateway.url,
      JSON.stringify([
        { jsonrpc: '2.0', id: 7, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 7, method: 'anvil_setBalance', params: [target, '0x1000'] },
        { jsonrpc: '2.0', id: 'three', method: 'eth_getBalance', params: [target, 'latest'] },
        { jsonrpc: '2.0', method: 'eth_blockNumber', params: [] },
        42,
      ]),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([
      { jsonrpc: '2.0', id: 7, result: toQuantity(CHAIN_ID) },
      {
        jsonrpc: '2.0',
        id: 7,
        error: {
          code: -32601,
          message: 'method anvil_setBalance is not available through the gateway (cheat codes stay on the devnet host)',
        },
      },
      { jsonrpc: '2.0', id: 'three', result: '0x0' },
      // The notification (no id) gets no answer; the number is not a request at all.
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.any(String) } },
    ]);
  });

  it('answers garbage with the right error and keeps serving', async () => {
    const invalid = (code: number) => ({ jsonrpc: '2.0', id: null, error: { code, message: expect.any(String) } });
    const tooMany = JSON.stringify(
      Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId', params: [] })),
    );
    const cases: [string, () => Promise<HttpReply>, number, unknown][] = [
      ['not JSON', () => httpCall(gateway.url, 'eth_chainId please'), 200, invalid(-32700)],
      ['truncated JSON', () => httpCall(gateway.url, '{"jsonrpc":"2.0","id":1,'), 200, invalid(-32700)],
      ['a number', () => httpCall(gateway.url, '42'), 200, invalid(-32600)],
      ['null', () => httpCall(gateway.url, 'null'), 200, invalid(-32600)],
      ['an empty array', () => httpCall(gateway.url, '[]'), 200, invalid(-32600)],
      ['an empty body', () => httpCall(gateway.url, ''), 200, invalid(-32700)],
      ['101 requests', () => httpCall(gateway.url, tooMany), 200, invalid(-32600)],
      ['2 MiB', () => httpCall(gateway.url, Buffer.alloc(2 * 1024 * 1024, 0x20)), 413, invalid(-32600)],
      ['GET', () => httpCall(gateway.url, undefined, 'GET'), 405, invalid(-32600)],
      ['PUT', () => httpCall(gateway.url, '{}', 'PUT'), 405, invalid(-32600)],
    ];
    for (const [label, call, status, body] of cases) {
      const reply = await call();
      expect({ label, status: reply.status, body: reply.body }).toEqual({ label, status, body });
      expect((await rpc(gateway.url, 'eth_chainId')).body).toEqual({ jsonrpc: '2.0', id: 1, result: toQuantity(CHAIN_ID) });
    }
    expect((await httpCall(gateway.url, undefined, 'GET')).headers.allow).toBe('POST');
    // A lone notification gets nothing back (JSON-RPC 2.0), not even an empty array.
    expect(await httpCall(gateway.url, JSON.stringify({ jsonrpc: '2.0', method: 'eth_chainId' }))).toMatchObject({
      status: 204,
      body: undefined,
    });
  });

  it('honours a smaller body limit and cuts off a client that keeps sending past it', async () => {
    const small = await startRpcGateway({ upstreamUrl: anvil.rpcUrl, host: '127.0.0.1', port: 0, maxBodyBytes: 1024 });
    try {
      expect((await httpCall(small.url, Buffer.alloc(2048, 0x20))).status).toBe(413);
      // Far past the limit the gateway stops reading and drops the connection (or answers 413 first).
      const flood = await httpCall(small.url, Buffer.alloc(1024 * 1024, 0x20)).then(
        (reply) => reply.status,
        () => 'connection dropped',
      );
      expect([413, 'connection dropped']).toContain(flood);
      expect((await rpc(small.url, 'eth_chainId')).body).toEqual({ jsonrpc: '2.0', id: 1, result: toQuantity(CHAIN_ID) });
    } finally {
      await small.stop();
    }
  });

  it('answers -32603 with HTTP 502 when the node is down, and survives it', async () => {
    const orphan = await startRpcGateway({ upstreamUrl: `http://127.0.0.1:${await freePort()}`, host: '127.0.0.1', port: 0 });
    try {
      for (let i = 0; i < 2; i++)
        expect(await rpc(orphan.url, 'eth_chainId')).toMatchObject({
          status: 502,
          body: { jsonrpc: '2.0', id: 1, error: { code: -32603 } },
        });
      // Refusals need no node.
      expect(await rpc(orphan.url, 'anvil_setBalance')).toMatchObject({ status: 200, body: { error: { code: -32601 } } });
    } finally {
      await orphan.stop();
    }
  });
});
