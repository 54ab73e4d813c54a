import { Wallet } from 'ethers';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';

import { BridgeClient, formatAmount, InvalidArgumentError, isAddress, parseAmount, resolveToken } from '@verity/bridge';
import { readDeployment, type Deployment } from '@verity/core';
import { say } from '../output';
import type { CliConfig } from '../config';
import { resolvePrivateKey, type SignerOptions as BaseSignerOptions } from '../signer';

type SignerOptions = BaseSignerOptions & { deployment?: string };

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

function requireTxHash(value: string): string {
  if (!TX_HASH.test(value)) throw new InvalidArgumentError(`invalid transaction hash '${value}': expected 0x and 64 hex digits`);
  return value;
}

function requireAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isAddress(value)) throw new InvalidArgumentError(`invalid address '${value}': expected 0x and 40 hex digits`);
  return value;
}

async function openClient(options: SignerOptions, config: CliConfig): Promise<{ client: BridgeClient; deployment: Deployment }> {
  const deployment = readDeployment(options.deployment ?? config.bridge.deploymentFile);
  return { client: new BridgeClient({ deployment, privateKey: await resolvePrivateKey(options, config) }), deployment };
}

/** Waits out the finalization window with a progress bar in a terminal, plain lines otherwise. */
async function waitForWindow(client: BridgeClient, l2TxHash: string): Promise<void> {
  const timing = await client.getWithdrawalTiming(l2TxHash);
  const total = timing ? Number(timing.finalizableAfter - timing.provenAt) + 1 : 0;
  const bar =
    process.stdout.isTTY && total > 0 ? new SingleBar({ format: '  finalization window [{bar}] {value}/{total} s' }) : undefined;
  if (!bar) say(`  waiting out the finalization window (${total} s of L1 time)…`);
  bar?.start(total, 0);
  try {
    await client.waitForWithdrawal(l2TxHash, 'READY_FOR_RELAY', {
      onStatus: () => {
        void client.getWithdrawalTiming(l2TxHash).then((t) => t && bar?.update(Math.min(total, Number(t.l1Now - t.provenAt))));
      },
    });
    bar?.update(total);
  } finally {
    bar?.stop();
  }
}

export async function runWithdrawal(
  client: BridgeClient,
  deployment: Deployment,
  token: string,
  amount: bigint,
  recipient?: string,
): Promise<void> {
  const t = resolveToken(deployment, token);
  const started = await client.initiateWithdrawal({ token, amount, recipient });
  say(
    `✔ withdrawal of ${formatAmount(amount, t.decimals)} ${t.symbol} initiated on L2 (tx ${started.l2TxHash}, block ${started.l2BlockNumber})`,
  );
  say('  waiting for an output root that covers it…');
  await client.waitForWithdrawal(started.l2TxHash, 'READY_TO_PROVE');
  const proven = await client.proveWithdrawal(started.l2TxHash);
  say(`✔ proven on L1 (tx ${proven.l1TxHash}, gas ${proven.l1Gas})`);
  await waitForWindow(client, started.l2TxHash);
  const finalized = await client.finalizeWithdrawal(started.l2TxHash);
  say(`✔ finalized on L1 (tx ${finalized.l1TxHash}, gas ${finalized.l1Gas})`);
}

export async function runDeposit(
  client: BridgeClient,
  deployment: Deployment,
  token: string,
  amount: bigint,
  recipient?: string,
  wait = true,
): Promise<string> {
  const t = resolveToken(deployment, token);
  const sent = await client.deposit({ token, amount, recipient });
  say(
    `✔ deposit of ${formatAmount(amount, t.decimals)} ${t.symbol} sent on L1 (tx ${sent.l1TxHash}, gas ${sent.depositGas}${sent.approveGas ? ` + approve ${sent.approveGas}` : ''})`,
  );
  if (wait) {
    say('  waiting for the relayer to bring it to L2…');
    await client.waitForDeposit(sent.l1TxHash);
    say('✔ relayed to L2');
  }
  return sent.l1TxHash;
}

export function registerBridgeCommands(program: Command, getConfig: () => CliConfig): void {
  const bridge = program.command('bridge').description('move tokens between L1 and L2 through the OP standard bridge');
  const signerOptions = (cmd: Command): Command =>
    cmd
      .option('--account <name>', 'devnet account: alice, bob or an anvil index')
      .option('--key-file <file>', 'signer: a file with a hex private key or a JSON keystore (BRIDGE_KEYSTORE_PASSWORD)')
      .option('--deployment <file>', "deployment addresses JSON (default: the devnet's)");

  signerOptions(bridge.command('deposit').description('deposit tokens from L1 to L2'))
    .requiredOption('--amount <amount>', 'amount in tokens, e.g. 100 or 0.5')
    .option('--token <token>', 'token symbol or address', 'VTY')
    .option('--to <address>', 'L2 recipient (default: the sender)')
    .option('--no-wait', 'return once the L1 transaction is mined')
    .action(async (options: SignerOptions & { amount: string; token: string; to?: string; wait: boolean }) => {
      const config = getConfig();
      const { client, deployment } = await openClient(options, config);
      const token = resolveToken(deployment, options.token);
      await runDeposit(
        client,
        deployment,
        options.token,
        parseAmount(options.amount, token.decimals),
        requireAddress(options.to),
        options.wait,
      );
    });

  signerOptions(
    bridge.command('withdraw').description('withdraw tokens from L2 to L1: initiate, prove, wait the window, finalize'),
  )
    .requiredOption('--amount <amount>', 'amount in tokens, e.g. 40')
    .option('--token <token>', 'token symbol or address', 'VTY')
    .option('--to <address>', 'L1 recipient (default: the sender)')
    .option('--no-wait', 'only initiate on L2; prove and finalize later with `bridge prove` / `bridge finalize`')
    .action(async (options: SignerOptions & { amount: string; token: string; to?: string; wait: boolean }) => {
      const config = getConfig();
      const { client, deployment } = await openClient(options, config);
      const token = resolveToken(deployment, options.token);
      const amount = parseAmount(options.amount, token.decimals);
      const recipient = requireAddress(options.to);
      if (options.wait) return runWithdrawal(client, deployment, options.token, amount, recipient);
      const started = await client.initiateWithdrawal({ token: options.token, amount, recipient });
      say(`✔ withdrawal initiated on L2 (tx ${started.l2TxHash}); next: verity bridge prove ${started.l2TxHash}`);
    });

  signerOptions(bridge.command('prove').description('prove an initiated withdrawal on L1').argument('<l2TxHash>')).action(
    async (l2TxHash: string, options: SignerOptions) => {
      const { client } = await openClient(options, getConfig());
      const proven = await client.proveWithdrawal(requireTxHash(l2TxHash));
      say(`✔ proven on L1 (tx ${proven.l1TxHash}, gas ${proven.l1Gas})`);
    },
  );

  signerOptions(
    bridge.command('finalize').description('finalize a proven withdrawal on L1 after the window').argument('<l2TxHash>'),
  ).action(async (l2TxHash: string, options: SignerOptions) => {
    const { client } = await openClient(options, getConfig());
    const finalized = await client.finalizeWithdrawal(requireTxHash(l2TxHash));
    say(`✔ finalized on L1 (tx ${finalized.l1TxHash}, gas ${finalized.l1Gas})`);
  });

  bridge
    .command('status')
    .description('status of the bridge message sent by a deposit (L1 tx) or withdrawal (L2 tx)')
    .argument('<txHash>')
    .option('--deployment <file>', 'deployment addresses JSON')
    .action(async (txHash: string, options: { deployment?: string }) => {
      const config = getConfig();
      const deployment = readDeployment(options.deployment ?? config.bridge.deploymentFile);
      // Status reads need no key; a throwaway one satisfies the SDK's signer slots.
      const client = new BridgeClient({ deployment, privateKey: Wallet.createRandom().privateKey });
      const { status } = await client.getMessageStatus(requireTxHash(txHash));
      say(status);
    });

  signerOptions(bridge.command('balance').description('token balance on L1 and L2'))
    .option('--token <token>', 'token symbol or address', 'VTY')
    .option('--address <address>', 'whose balance (default: the signer)')
    .action(async (options: SignerOptions & { token: string; address?: string }) => {
      const config = getConfig();
      const deployment = readDeployment(options.deployment ?? config.bridge.deploymentFile);
      const address = requireAddress(options.address);
      const key = address ? Wallet.createRandom().privateKey : await resolvePrivateKey(options, config);
      const client = new BridgeClient({ deployment, privateKey: key });
      const token = resolveToken(deployment, options.token);
      const balances = await client.balances(options.token, address ?? client.address);
      say(
        `${address ?? client.address}: L1 ${formatAmount(balances.l1, token.decimals)} ${token.symbol}, L2 ${formatAmount(balances.l2, token.decimals)} ${token.symbol}`,
      );
    });
}
