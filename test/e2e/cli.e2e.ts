import { join } from 'node:path';

import { writeDeployment } from '../../rollup/src/devnet/addresses';
import { freePort } from '../../rollup/src/devnet/anvil';
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
