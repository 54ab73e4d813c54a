#!/usr/bin/env node
/**
 * `verity`: the command line of the whole system. Each command group lives in its own file; this file parses
 * the config once, wires the groups, and turns every failure into one line on stderr and exit code 1.
 */
import { Command, CommanderError } from 'commander';

import { configureLogger, loadDotEnv } from '@verity/core';
import { loadCliConfig, type CliConfig } from './config';
import { registerBridgeCommands } from './commands/bridge';
import { registerDevnetCommands } from './commands/devnet';
import { registerJobCommands } from './commands/job';
import { registerMarketCommands } from './commands/market';
import { registerModelCommands } from './commands/model';
import { registerProverCommands } from './commands/prover';
import { fail } from './output';
import { registerStartCommand } from './commands/start';

let config: CliConfig | undefined;
/** The config, loaded once; `defaults` fill in variables the environment leaves unset (a command's own defaults). */
function getConfig(defaults: Record<string, string> = {}): CliConfig {
  if (!config) {
    config = loadCliConfig({ ...defaults, ...process.env });
    configureLogger(config.log);
  }
  return config;
}

loadDotEnv();
// Read directly (not through the config): a bad configuration must still fail with VERITY_DEBUG's stack.
const debug = process.env.VERITY_DEBUG === '1';
const program = new Command()
  .name('verity')
  .description('Verity: verifiable AI inference on an optimistic-plus-zk rollup')
  .showHelpAfterError(false)
  .exitOverride();

registerDevnetCommands(program, getConfig);
registerBridgeCommands(program, getConfig);
registerModelCommands(program, getConfig);
registerJobCommands(program, getConfig);
registerMarketCommands(program, getConfig);
registerProverCommands(program, getConfig);
registerStartCommand(program, getConfig);

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    // Commander has already printed its one-line message (unknown option, missing argument, help).
    if (err instanceof CommanderError) process.exit(err.exitCode);
    fail(err, debug);
  },
);
