import { join } from 'node:path';

import type { Command } from 'commander';
import { JsonRpcProvider } from 'ethers';

import { InvalidArgumentError, readDeployment } from '@verity/core';
import { ProverDaemon } from '@verity/prover';
import { ensureProverStake } from '../actions/l2Vty';
import type { CliConfig } from '../config';
import { say } from '../output';
import { resolvePrivateKey, type SignerOptions } from '../signer';
import { SequencerApi } from '../sequencerApi';

/** `verity prover start`: stake if needed, then run the prover daemon until Ctrl-C / SIGTERM (leases are returned). */
export function registerProverCommands(program: Command, getConfig: () => CliConfig): void {
  const prover = program.command('prover').description('serve jobs: stake, lease, prove, get paid');
  prover
    .command('start')
    .description('stake if needed, register with the sequencer and prove jobs until stopped')
    .option('--account <name>', 'devnet account: prover, alice, bob or an anvil index')
    .option('--key-file <file>', 'the staked key: a hex key or a JSON keystore (VERITY_KEYSTORE_PASSWORD)')
    .option('--sequencer <url>', 'sequencer API (default: VERITY_SEQUENCER_URL or http://127.0.0.1:3000)')
    .option('--deployment <file>', "deployment addresses JSON (default: the devnet's)")
    .option('--models <models>', 'comma-separated model names or ids to serve (default: all)')
    .option('--concurrency <n>', 'jobs proven at once, one prover process each', '1')
    .option('--no-batch-proofs', "do not serve the sequencer's batch proof requests (one proof for up to K of your jobs)")
    .action(
      async (
        options: SignerOptions & {
          sequencer?: string;
          deployment?: string;
          models?: string;
          concurrency: string;
          batchProofs: boolean;
        },
      ) => {
        const config = getConfig();
        if (!/^[1-9][0-9]?$/.test(options.concurrency))
          throw new InvalidArgumentError('--concurrency must be an integer from 1 to 99');
        const key = await resolvePrivateKey(options, config);
        const sequencerUrl = (options.sequencer ?? config.cli.sequencerUrl).replace(/\/$/, '');
        const deployment = readDeployment(options.deployment ?? config.bridge.deploymentFile);
        if (!deployment.verity)
          throw new InvalidArgumentError('the deployment has no Verity market (start one with `npm start`)');
        const verity = deployment.verity;
        let models: string[] = [];
        if (options.models) {
          const listed = await new SequencerApi(sequencerUrl).models();
          models = options.models.split(',').map((m) => {
            const found = listed.find((l) => l.modelId === m) ?? listed.find((l) => l.name === m);
            if (!found) throw new InvalidArgumentError(`the sequencer serves no model '${m}'`);
            return found.modelId;
          });
        }
        const l2 = new JsonRpcProvider(deployment.l2.rpcUrl, deployment.l2.chainId, { staticNetwork: true, cacheTimeout: -1 });
        try {
          const staked = await ensureProverStake(deployment, l2, key);
          if (staked) say(`✔ staked the minimum in ProverRegistry (tx ${staked})`);
        } finally {
          l2.destroy();
        }
        const daemon = new ProverDaemon({
          sequencerUrl,
          privateKey: key,
          models,
          concurrency: Number(options.concurrency),
          batchProofs: options.batchProofs,
          cacheDir: join(config.cli.home, 'models'),
          // Registration signs only a message naming this deployment's market and chain.
          market: { chainId: deployment.l2.chainId, address: verity.l2.InferenceMarket },
        });
        await daemon.start();
        say(`prover ${daemon.address} serving ${models.length ? models.length + ' model(s)' : 'every model'}; Ctrl-C to stop`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        say('stopping: returning leases…');
        await daemon.stop();
        say(`stopped after ${daemon.proved.length} job(s) and ${daemon.provedBatches.length} batch proof(s)`);
      },
    );
}
