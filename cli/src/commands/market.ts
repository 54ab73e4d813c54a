import type { Command } from 'commander';
import { JsonRpcProvider, Wallet } from 'ethers';

import { formatAmount, parseAmount } from '@verity/bridge';
import { readDeployment } from '@verity/core';
import { depositToMarket, l2Balances, withdrawFromMarket } from '../actions/l2Vty';
import type { CliConfig } from '../config';
import { say } from '../output';
import { resolvePrivateKey, type SignerOptions } from '../signer';

/** `verity market deposit|withdraw|balance`: the requester's prepaid balance in the InferenceMarket on L2. */
export function registerMarketCommands(program: Command, getConfig: () => CliConfig): void {
  const market = program.command('market').description('your prepaid balance in the inference market (L2)');
  const common = (cmd: Command) =>
    cmd
      .option('--account <name>', 'devnet account: alice, bob or an anvil index')
      .option('--key-file <file>', 'signer: a hex key or a JSON keystore (VERITY_KEYSTORE_PASSWORD)')
      .option('--deployment <file>', "deployment addresses JSON (default: the devnet's)");
  const open = async (options: SignerOptions & { deployment?: string }) => {
    const config = getConfig();
    const deployment = readDeployment(options.deployment ?? config.bridge.deploymentFile);
    const l2 = new JsonRpcProvider(deployment.l2.rpcUrl, deployment.l2.chainId, { staticNetwork: true, cacheTimeout: -1 });
    return { deployment, l2, key: await resolvePrivateKey(options, config) };
  };

  common(market.command('deposit').description('move L2 VTY into your prepaid balance (approve + deposit)'))
    .requiredOption('--amount <amount>', 'VTY, e.g. 10')
    .action(async (options: SignerOptions & { deployment?: string; amount: string }) => {
      const { deployment, l2, key } = await open(options);
      try {
        const tx = await depositToMarket(deployment, l2, key, parseAmount(options.amount, 18));
        say(`✔ deposited ${options.amount} VTY into the market (tx ${tx})`);
      } finally {
        l2.destroy();
      }
    });

  common(market.command('withdraw').description('move prepaid VTY back to your L2 wallet'))
    .requiredOption('--amount <amount>', 'VTY')
    .action(async (options: SignerOptions & { deployment?: string; amount: string }) => {
      const { deployment, l2, key } = await open(options);
      try {
        const tx = await withdrawFromMarket(deployment, l2, key, parseAmount(options.amount, 18));
        say(`✔ withdrew ${options.amount} VTY from the market (tx ${tx})`);
      } finally {
        l2.destroy();
      }
    });

  common(market.command('balance').description('prepaid balance and L2 VTY')).action(
    async (options: SignerOptions & { deployment?: string }) => {
      const { deployment, l2, key } = await open(options);
      try {
        const address = new Wallet(key).address;
        const b = await l2Balances(deployment, l2, address);
        say(`${address}: prepaid ${formatAmount(b.prepaid, 18)} VTY, L2 wallet ${formatAmount(b.vty, 18)} VTY`);
      } finally {
        l2.destroy();
      }
    },
  );
}
