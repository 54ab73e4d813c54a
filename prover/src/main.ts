import { configureLogger, createLogger, loadDotEnv, readDeployment } from '@verity/core';
import { loadProverConfig } from './config';
import { ProverDaemon } from './proverDaemon';

/**
 * `npm run start:prover`: the daemon with PROVER_PRIVATE_KEY from the environment (or `.env`). `verity prover
 * start --key-file …` is the same daemon with the key read from a file, plus staking.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadProverConfig();
  configureLogger(config.log);
  if (!config.privateKey) throw new Error('set PROVER_PRIVATE_KEY (or run `verity prover start --key-file <file>`)');
  // The market and chain come from the deployment, never from the sequencer: registration signs only for them.
  const deployment = readDeployment(config.deploymentFile);
  if (!deployment.verity) throw new Error(`the deployment ${config.deploymentFile} has no Verity market`);
  const daemon = new ProverDaemon({
    ...config,
    privateKey: config.privateKey,
    market: { chainId: deployment.l2.chainId, address: deployment.verity.l2.InferenceMarket },
  });
  await daemon.start();
  const log = createLogger('Prover');
  log.info(
    {
      prover: daemon.address,
      sequencerUrl: config.sequencerUrl,
      concurrency: config.concurrency,
      batchProofs: config.batchProofs,
    },
    'prover running',
  );
  const stop = async (signal: string) => {
    log.info({ signal }, 'stopping: returning leases');
    await daemon.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
});
