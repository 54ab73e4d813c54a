import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

import { JsonRpcProvider, Transaction, Wallet } from 'ethers';
import type { DataSource } from 'typeorm';

import { dropDatabase } from '@verity/core';
import { createDataSource } from '../database/database.module';
import { ChainTxEntity } from './chain-tx.entity';
import { TxSender } from './tx-sender';

/** anvil's first default account: funded on a fresh chain. */
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const CHAIN_ID = 31337;
const databaseUrl = `${process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/verity_txsender_spec_${process.pid}`;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });

/**
 * The real node, behind a relay that can lose the next eth_sendRawTransaction: the request is dropped and the
 * connection cut before it reaches the node (the sender cannot know whether it did).
 */
async function startRelay(target: string): Promise<{ url: string; loseNextSend(): void; close(): Promise<void> }> {
  let lose = false;
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (lose && body.includes('"eth_sendRawTransaction"')) {
        lose = false;
        req.socket.destroy();
        return;
      }
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()))
        .catch(() => req.socket.destroy());
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    loseNextSend: () => (lose = true),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * TxSender against a real anvil and a real PostgreSQL: a transaction the node refuses frees its nonce; one whose
 * broadcast got no answer keeps it and goes out again before anything else; a restart drops what the node refuses.
 */
describe('TxSender', () => {
  let anvil: ChildProcess;
  let node: JsonRpcProvider;
  let dataSource: DataSource;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  const wallet = new Wallet(KEY);
  const funds = '0x' + (10n ** 22n).toString(16);

  const senderVia = (url: string) => {
    const provider = new JsonRpcProvider(url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
    return new TxSender({
      dataSource,
      provider,
      wallet: new Wallet(KEY, provider),
      chainId: CHAIN_ID,
      confirmations: 1,
      name: 'l2',
    });
  };
  const rows = () => dataSource.getRepository(ChainTxEntity).find({ order: { nonce: 'ASC' } });
  const nodeNonce = async () => BigInt(await node.getTransactionCount(wallet.address, 'pending'));

  beforeAll(async () => {
    const port = await freePort();
    const bin = join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
    anvil = spawn(bin, ['--port', String(port), '--chain-id', String(CHAIN_ID)], { stdio: 'ignore' });
    node = new JsonRpcProvider(`http://127.0.0.1:${port}`, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    for (let i = 0; (await node.send('eth_chainId', []).catch(() => undefined)) === undefined; i++) {
      if (i > 100) throw new Error('anvil did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    relay = await startRelay(`http://127.0.0.1:${port}`);
    dataSource = await createDataSource({ url: databaseUrl, poolSize: 2 });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropDatabase(databaseUrl).catch(() => undefined);
    await relay?.close();
    node?.destroy();
    anvil?.kill();
  });

  beforeEach(async () => {
    await dataSource.query('DELETE FROM chain_txs');
    await node.send('anvil_setBalance', [wallet.address, funds]);
  });

  it('deletes a transaction the node refuses, surfaces the error, and gives its nonce to the next one', async () => {
    const sender = senderVia(relay.url);
    const nonce = await nodeNonce();
    await node.send('anvil_setBalance', [wallet.address, '0x0']);
    await expect(sender.send({ purpose: 'refused', to: wallet.address, data: '0x' })).rejects.toMatchObject({
      code: 'TX_REFUSED',
      cause: expect.objectContaining({ code: 'INSUFFICIENT_FUNDS' }),
    });
    expect(await rows()).toHaveLength(0);

    await node.send('anvil_setBalance', [wallet.address, funds]);
    const next = await sender.send({ purpose: 'next', to: wallet.address, data: '0x' });
    expect(next.nonce).toBe(nonce);
    expect((await sender.waitConfirmed(next.id, 10_000)).status).toBe(1);
  });

  it('keeps a transaction whose broadcast got no answer, and sends it again before the next one', async () => {
    const sender = senderVia(relay.url);
    const nonce = await nodeNonce();
    relay.loseNextSend();
    await expect(sender.send({ purpose: 'lost', to: wallet.address, data: '0x' })).rejects.toMatchObject({
      code: 'CHAIN_UNAVAILABLE',
    });
    // Nothing says the node did not take it: the row keeps its nonce.
    expect((await rows()).map((r) => [r.purpose, r.status, r.nonce])).toEqual([['lost', 'signed', nonce.toString()]]);

    const next = await sender.send({ purpose: 'next', to: wallet.address, data: '0x' });
    expect(next.nonce).toBe(nonce + 1n);
    expect((await sender.waitConfirmed(next.id, 10_000)).status).toBe(1);
    const lost = (await rows()).find((r) => r.purpose === 'lost')!;
    expect(await node.getTransactionReceipt(lost.txHash)).not.toBeNull();
  });

  it('on resume, drops a signed transaction the node now refuses so its nonce is not lost', async () => {
    const sender = senderVia(relay.url);
    const nonce = await nodeNonce();
    // A process killed after recording this transaction and before broadcasting it; the key ran dry meanwhile.
    const raw = await wallet.signTransaction({
      to: wallet.address,
      data: '0x',
      nonce: Number(nonce),
      chainId: CHAIN_ID,
      gasLimit: 21_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 1n,
      type: 2,
    });
    await dataSource.getRepository(ChainTxEntity).save({
      chainId: CHAIN_ID,
      sender: wallet.address,
      nonce: nonce.toString(),
      purpose: 'before the crash',
      rawTx: raw,
      txHash: Transaction.from(raw).hash!,
      status: 'signed' as const,
    });
    await node.send('anvil_setBalance', [wallet.address, '0x0']);
    await expect(sender.resume()).resolves.toBe(1);
    expect(await rows()).toHaveLength(0);

    await node.send('anvil_setBalance', [wallet.address, funds]);
    const next = await sender.send({ purpose: 'after the restart', to: wallet.address, data: '0x' });
    expect(next.nonce).toBe(nonce);
    expect((await sender.waitConfirmed(next.id, 10_000)).status).toBe(1);
  });

  it('sends once per purpose: a caller that crashed before recording the transaction gets the same one back', async () => {
    const sender = senderVia(relay.url);
    const first = await sender.sendOnce({ purpose: 'settleBatch batch 7', to: wallet.address, data: '0x' });
    // The restarted caller asks again for the same batch: no second transaction, no second nonce.
    const again = await sender.sendOnce({ purpose: 'settleBatch batch 7', to: wallet.address, data: '0x' });
    expect(again).toEqual(first);
    const other = await sender.sendOnce({ purpose: 'settleBatch batch 8', to: wallet.address, data: '0x' });
    expect(other.nonce).toBe(first.nonce + 1n);
    expect((await rows()).filter((r) => r.purpose === 'settleBatch batch 7')).toHaveLength(1);
    await sender.waitConfirmed(other.id, 10_000);
  });

  it('never deletes a transaction the node holds: a re-broadcast of a known one is success', async () => {
    const sender = senderVia(relay.url);
    await node.send('evm_setAutomine', [false]);
    try {
      const sent = await sender.send({ purpose: 'pooled', to: wallet.address, data: '0x' });
      await expect(sender.resume()).resolves.toBe(1);
      expect((await rows()).map((r) => [r.id, r.status])).toEqual([[sent.id, 'sent']]);
    } finally {
      await node.send('evm_setAutomine', [true]);
      await node.send('evm_mine', []);
    }
  });
});
