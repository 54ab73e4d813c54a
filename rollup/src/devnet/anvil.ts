import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

import { JsonRpcProvider } from 'ethers';

import { AnvilStartError } from '../errors/rollup';

export type AnvilParameters = {
  /** Used in logs and errors: "l1" or "l2". */
  name: string;
  chainId: number;
  /** 0 picks a free port. */
  port?: number;
  /** Run with `--network optimism` (accepts deposit transactions, type 0x7e). */
  optimism?: boolean;
  /** Seconds between blocks; 0 mines one block per transaction. */
  blockTime?: number;
  /** Where stdout and stderr of anvil go. */
  logFile: string;
  /** EVM hardfork (anvil's default otherwise). */
  hardfork?: string;
  /** State history kept for eth_getProof (withdrawal proofs need the output's block). */
  maxPersistedStates?: number;
};

export type Anvil = {
  name: string;
  chainId: number;
  port: number;
  rpcUrl: string;
  pid: number;
  stop(): Promise<void>;
};

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': 'linux-amd64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-amd64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-amd64',
};

/** The anvil binary shipped by the npm package @foundry-rs/anvil for this platform (no download at run time). */
export function anvilBinaryPath(): string {
  const suffix = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (!suffix) throw new AnvilStartError('any chain', { details: `no anvil build for ${process.platform}-${process.arch}` });
  const pkg = require.resolve(`@foundry-rs/anvil-${suffix}/package.json`);
  return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts one supervised anvil process and resolves once its RPC answers with the expected chain id.
 * The process dies with its parent: it is spawned without detaching and killed on `stop()`.
 */
export async function startAnvil(parameters: AnvilParameters): Promise<Anvil> {
  const port = parameters.port || (await freePort());
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--chain-id',
    String(parameters.chainId),
    '--max-persisted-states',
    String(parameters.maxPersistedStates ?? 10_000),
    '--no-request-size-limit',
  ];
  if (parameters.optimism) args.push('--network', 'optimism');
  if (parameters.blockTime) args.push('--block-time', String(parameters.blockTime));
  if (parameters.hardfork) args.push('--hardfork', parameters.hardfork);

  mkdirSync(dirname(parameters.logFile), { recursive: true });
  const log = createWriteStream(parameters.logFile, { flags: 'a' });
  const child: ChildProcess = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const rpcUrl = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exitPromise;
    clearTimeout(timer);
    log.end();
  };

  const provider = new JsonRpcProvider(rpcUrl, parameters.chainId, { staticNetwork: true });
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (exited) throw new AnvilStartError(parameters.name, { details: `process exited, see ${parameters.logFile}` });
      try {
        const chainId = Number(await provider.send('eth_chainId', []));
        if (chainId !== parameters.chainId)
          throw new AnvilStartError(parameters.name, { details: `port ${port} answers chain ${chainId}` });
        break;
      } catch (err) {
        if (err instanceof AnvilStartError) throw err;
        if (Date.now() > deadline)
          throw new AnvilStartError(parameters.name, { details: 'RPC did not answer in 15 s', cause: err });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    provider.destroy();
  }

  return { name: parameters.name, chainId: parameters.chainId, port, rpcUrl, pid: child.pid ?? -1, stop };
}
