import type { Command } from 'commander';
import { parseUnits } from 'ethers';

import { BridgeClient, formatAmount } from '@verity/bridge';
import { type RollupConfig, devnetRoleKey, clearDevnetState } from '@verity/rollup';
import { bootDevnet, printDevnetSummary, runUntilSignal } from './devnet';
import { runDeposit, runWithdrawal } from './bridge';
import { say } from '../output';

/**
 * `npm start`: boots the whole stack on embedded defaults and shows it working end to end. Today that is the
 * devnet and a VTY bridge round trip (deposit 100, withdraw 40 through prove and finalize); the stack then keeps
 * running for exploration until Ctrl-C, unless --exit.
 */
export function registerStartCommand(program: Command, getConfig: () => RollupConfig): void {
  program
    .command('start')
    .description('boot the devnet and run the end-to-end demo (a VTY bridge round trip)')
    .option('--exit', 'stop once the demo is done')
    .action(async (options: { exit?: boolean }) => {
      const config = getConfig();
      const devnet = await bootDevnet(config);
      try {
        printDevnetSummary(devnet);
        say('');
        say('demo: alice bridges VTY to L2 and back');
        const client = new BridgeClient({ deployment: devnet.deployment, privateKey: devnetRoleKey('alice') });
        const show = async (when: string): Promise<void> => {
          const b = await client.balances('VTY');
          say(`  ${when}: L1 ${formatAmount(b.l1, 18)} VTY, L2 ${formatAmount(b.l2, 18)} VTY`);
        };
        await show('before');
        await runDeposit(client, devnet.deployment, 'VTY', parseUnits('100', 18));
        await show('after deposit');
        await runWithdrawal(client, devnet.deployment, 'VTY', parseUnits('40', 18));
        await show('after withdrawal');
        say('');
        say(
          options.exit
            ? 'demo done'
            : 'demo done: the devnet keeps running (Ctrl-C to stop); try `verity bridge balance --account alice`',
        );
      } catch (err) {
        await devnet.stop();
        throw err;
      }
      if (options.exit) {
        await devnet.stop();
        clearDevnetState(config.devnet.stateFile);
        return;
      }
      await runUntilSignal(config, devnet);
    });
}
