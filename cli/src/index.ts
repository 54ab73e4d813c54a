#!/usr/bin/env node
/**
 * `verity`: the command line of the whole system. Each command group lives in its own file; this file parses
 * the config once, wires the groups, and turns every failure into one line on stderr and exit code 1.
 */
import { Command, CommanderError } from 'commander';

import { loadRollupConfig, type RollupConfig } from '@verity/rollup';
import { configureLogger } from '@verity/core';
import { registerBridgeCommands } from './commands/bridge';
import { registerDevnetCommands } from './commands/devnet';
import { registerModelCommands } from './commands/model';
import { fail } from './output';
import { registerStartCommand } from './commands/start';

let config: RollupConfig | undefined;
function getConfig(): RollupConfig {
  if (!config) {
    config = loadRollupConfig();
    configureLogger(config.log);
  }
  return config;
}

const debug = process.env.VERITY_DEBUG === '1';
const program = new Command()
  .name('verity')
  .description('Verity: verifiable AI inference on an optimistic-plus-zk rollup')
  .showHelpAfterError(false)
  .exitOverride();

registerDevnetCommands(program, getConfig);
registerBridgeCommands(program, getConfig);
registerModelCommands(program);
registerStartCommand(program, getConfig);

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    // Commander has already printed its one-line message (unknown option, missing argument, help).
    if (err instanceof CommanderError) process.exit(err.exitCode);
    fail(err, debug);
  },
);
