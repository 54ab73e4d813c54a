import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { JsonRpcProvider, Wallet, encryptKeystoreJson, parseEther, toBeHex } from 'ethers';

import { devnetRoleKey, freePort } from '@verity/rollup';

import { writeDeployment } from '@verity/core';
import { expectOneLineError, verity as runVerity } from '../helpers/cli';
import { startTestDevnet, type TestDevnet } from '../helpers/devnet';

/** Every CLI call in this suite finishes within a minute; a hang fails fast. */
const verity = (args: string[], env: NodeJS.ProcessEnv = {}) => runVerity(args, env, 60_000);

describe('verity CLI', () => {
  let devnet: TestDevnet;
  let common: string[];

  beforeAll(async () => {
    devnet = await startTestDevnet();
    common = ['--deployment', devnet.deploymentFile, '--account', 'alice'];
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  it.each([
    ['an unknown token', ['--amount', '1', '--token', 'DOGE'], /^error: unknown token 'DOGE' \(known: VTY\)$/],
    ['a zero amount', ['--amount', '0'], /^error: invalid amount '0': must be greater than 0$/],
    ['a negative amount', ['--amount', '-5'], /^error: invalid amount '-5'/],
    ['a non-numeric amount', ['--amount', 'lots'], /^error: invalid amount 'lots'/],
    ['too many decimals', ['--amount', '0.0000000000000000001'], /at most 18 decimal places/],
    ['an amount above the balance', ['--amount', '1000000'], /^error: amount 1000000 VTY exceeds the L1 balance of 10000 VTY$/],
    ['a bad recipient address', ['--amount', '1', '--to', '0x1234'], /^error: invalid address '0x1234'/],
  ])('bridge deposit rejects %s', async (_name, args, pattern) => {
    expectOneLineError(await verity(['bridge', 'deposit', ...common, ...args]), pattern);
  });

  it('bridge withdraw rejects an amount above the L2 balance', async () => {
    expectOneLineError(await verity(['bridge', 'withdraw', ...common, '--amount', '1']), /exceeds the L2 balance of 0 VTY$/);
  });

  it('rejects a malformed transaction hash, an unknown account and a missing signer', async () => {
    expectOneLineError(await verity(['bridge', 'prove', ...common, '0xnothex']), /^error: invalid transaction hash/);
    expectOneLineError(
      await verity(['bridge', 'deposit', '--deployment', devnet.deploymentFile, '--account', 'mallory', '--amount', '1']),
      /^error: unknown devnet account 'mallory'/,
    );
    expectOneLineError(
      await verity(['bridge', 'deposit', '--deployment', devnet.deploymentFile, '--amount', '1']),
      /^error: no signer/,
    );
  });

  it('signs with a key file (hex or encrypted keystore) and refuses unsafe or unusable ones', async () => {
    const hexFile = join(devnet.dir, 'alice.key');
    writeFileSync(hexFile, devnetRoleKey('alice') + '\n', { mode: 0o600 });
    const keyArgs = ['--deployment', devnet.deploymentFile, '--key-file'];
    const alice = new Wallet(devnetRoleKey('alice')).address;
    expect((await verity(['bridge', 'balance', ...keyArgs, hexFile])).stdout).toMatch(new RegExp(`^${alice}: L1 10000 VTY`));

    const keystore = join(devnet.dir, 'alice.json');
    // The lightest scrypt that ethers accepts, to keep the test fast; real keystores use the defaults.
    const json = await encryptKeystoreJson({ address: alice, privateKey: devnetRoleKey('alice') }, 'correct horse', {
      scrypt: { N: 1 << 10 },
    });
    writeFileSync(keystore, json, { mode: 0o600 });
    expect(
      (await verity(['bridge', 'balance', ...keyArgs, keystore], { BRIDGE_KEYSTORE_PASSWORD: 'correct horse' })).stdout,
    ).toMatch(new RegExp(`^${alice}: L1 10000 VTY`));
    expectOneLineError(
      await verity(['bridge', 'balance', ...keyArgs, keystore], { BRIDGE_KEYSTORE_PASSWORD: 'wrong' }),
      /^error: cannot unlock keystore .*alice.json: wrong password or damaged file$/,
    );
    expectOneLineError(
      await verity(['bridge', 'balance', ...keyArgs, keystore]),
      /^error: key file .*alice.json is an encrypted keystore: set VERITY_KEYSTORE_PASSWORD/,
    );
    chmodSync(hexFile, 0o644);
    expectOneLineError(
      await verity(['bridge', 'balance', ...keyArgs, hexFile]),
      /^error: key file .*alice.key is readable by other users \(mode 644\): run chmod 600/,
    );
    const junk = join(devnet.dir, 'junk.key');
    writeFileSync(junk, 'hunter2', { mode: 0o600 });
    expectOneLineError(
      await verity(['bridge', 'balance', ...keyArgs, junk]),
      /holds neither a hex private key nor a JSON keystore/,
    );
    // No way to put a key on the command line.
    const inline = await verity([
      'bridge',
      'balance',
      '--deployment',
      devnet.deploymentFile,
      '--private-key',
      devnetRoleKey('alice'),
    ]);
    expect(inline.code).not.toBe(0);
    expect(inline.stderr).toMatch(/unknown option '--private-key'/);
  });

  it('publishes only the RPC gateway: no unsigned deposit transactions, no cheat codes', async () => {
    const l2 = new JsonRpcProvider(devnet.deployment.l2.rpcUrl, 901, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const mallory = Wallet.createRandom().address;
      const deposit = {
        type: '0x7e',
        sourceHash: '0x' + '42'.repeat(32),
        from: mallory,
        to: mallory,
        mint: toBeHex(parseEther('1000')),
        value: '0x0',
        gas: '0x186a0',
        isSystemTx: false,
        input: '0x',
      };
      await expect(l2.send('eth_sendTransaction', [deposit])).rejects.toThrow(/not available through the gateway/);
      await expect(l2.send('anvil_setBalance', [mallory, '0x1'])).rejects.toThrow(/not available through the gateway/);
      await expect(l2.send('evm_mine', [])).rejects.toThrow(/not available through the gateway/);
      expect(await l2.getBalance(mallory)).toBe(0n);
      // The devnet's own anvil (loopback only) would have minted it.
      expect(devnet.l2.rpcUrl).not.toBe(devnet.deployment.l2.rpcUrl);
    } finally {
      l2.destroy();
    }
  });

  it('rejects a bad environment variable, naming it', async () => {
    expectOneLineError(
      await verity(['bridge', 'deposit', ...common, '--amount', '1'], { RELAYER_CONFIRMATIONS: 'many' }),
      /^error: invalid configuration: RELAYER_CONFIRMATIONS/,
    );
  });

  it('deposits through the CLI, and status reports the message', async () => {
    const sent = await verity(['bridge', 'deposit', ...common, '--amount', '2.5', '--no-wait']);
    expect(sent.code).toBe(0);
    const txHash = /tx (0x[0-9a-f]{64})/.exec(sent.stdout)?.[1];
    expect(txHash).toBeDefined();
    expect((await verity(['bridge', 'status', '--deployment', devnet.deploymentFile, txHash!])).stdout.trim()).toBe(
      'UNCONFIRMED_L1_TO_L2_MESSAGE',
    );
    await devnet.relayer.step();
    expect((await verity(['bridge', 'status', '--deployment', devnet.deploymentFile, txHash!])).stdout.trim()).toBe('RELAYED');
    expect((await verity(['bridge', 'balance', ...common])).stdout).toMatch(/L1 9997.5 VTY, L2 2.5 VTY/);
  });

  it('says clearly when the chains cannot be reached or the deployment file is missing', async () => {
    const port = await freePort(); // nothing listens there
    const offline = join(devnet.dir, 'offline.json');
    writeDeployment(offline, { ...devnet.deployment, l1: { ...devnet.deployment.l1, rpcUrl: `http://127.0.0.1:${port}` } });
    expectOneLineError(
      await verity(['bridge', 'deposit', '--deployment', offline, '--account', 'alice', '--amount', '1']),
      new RegExp(`^error: chain RPC is unreachable: cannot reach http://127.0.0.1:${port}`),
    );
    expectOneLineError(
      await verity(['bridge', 'deposit', '--deployment', '/nonexistent/addresses.json', '--account', 'alice', '--amount', '1']),
      /^error: cannot read deployment file \/nonexistent\/addresses.json/,
    );
  });

  it('devnet up names an unreachable PostgreSQL instead of failing obscurely, and leaves no chain behind', async () => {
    const port = await freePort();
    const result = await verity(['devnet', 'up'], {
      RELAYER_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/verity`,
      DEVNET_L1_PORT: '0',
      DEVNET_L2_PORT: '0',
      DEVNET_DIR: join(devnet.dir, 'nodb'),
    });
    expectOneLineError(result, new RegExp(`^error: cannot reach PostgreSQL at 127.0.0.1:${port}/verity`));
  });
});
