import { existsSync, readFileSync } from 'node:fs';

import type { Command } from 'commander';
import { JsonRpcProvider } from 'ethers';

import { formatAmount, parseAmount } from '@verity/bridge';
import { releaseCurves } from '@verity/circuits';
import { InvalidArgumentError, readDeployment, type Deployment } from '@verity/core';
import { submitJob } from '../actions/submitJob';
import { registeredModel, verifyJob } from '../actions/verifyJob';
import type { CliConfig } from '../config';
import { loadJobRecord, saveJobRecord } from '../jobStore';
import { say, table } from '../output';
import { SequencerApi, type JobView } from '../sequencerApi';
import { resolvePrivateKey, type SignerOptions } from '../signer';

const JOB_ID = /^(0|[1-9][0-9]{0,77})$/;
const TERMINAL = new Set(['released', 'rejected', 'expired', 'refunded', 'failed']);

function requireJobId(id: string): string {
  if (!JOB_ID.test(id)) throw new InvalidArgumentError(`job id '${id}' must be a decimal integer`);
  return id;
}

/** `1h`, `30m`, `90s` or plain seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`invalid duration '${value}': use e.g. 90s, 30m, 2h`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

function readInput(value: string): number[] {
  let parsed: unknown;
  const text = value.trim().startsWith('[') ? value : existsSync(value) ? readFileSync(value, 'utf8') : undefined;
  if (text === undefined) throw new InvalidArgumentError(`input file ${value} does not exist`);
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`${value.trim().startsWith('[') ? '--input' : `input file ${value}`} is not valid JSON`);
  }
  const flat = Array.isArray(parsed) ? (parsed as unknown[]).flat(4) : undefined;
  if (!flat || !flat.every((x) => typeof x === 'number'))
    throw new InvalidArgumentError('--input must be a JSON array of numbers');
  return flat as number[];
}

export function printJob(job: JobView): void {
  table([
    ['job', job.jobId],
    ['status', `${job.status}${job.reason ? ` (${job.reason})` : ''}`],
    ['model', job.modelId.slice(0, 20) + '…'],
    ['reward / fee', `${formatAmount(BigInt(job.reward), 18)} / ${formatAmount(BigInt(job.fee), 18)} VTY`],
    ...(job.prover ? [['prover', job.prover] as [string, string]] : []),
    ...(job.output
      ? [
          ['output', `[${job.output.values.map((v) => v.toFixed(3)).join(', ')}]`] as [string, string],
          ['argmax', String(job.output.argmax)] as [string, string],
        ]
      : []),
    ...Object.entries(job.transactions).map(([k, v]) => [`${k} tx`, String(v)] as [string, string]),
    ...(job.l1BatchId ? [['L1 batch', job.l1BatchId] as [string, string]] : []),
  ]);
}

export function registerJobCommands(program: Command, getConfig: () => CliConfig): void {
  const job = program.command('job').description('submit inference jobs, follow them, verify their results');
  const common = (cmd: Command) =>
    cmd
      .option('--sequencer <url>', 'sequencer API (default: VERITY_SEQUENCER_URL or http://127.0.0.1:3000)')
      .option('--deployment <file>', "deployment addresses JSON (default: the devnet's)");
  const api = (options: { sequencer?: string }) =>
    new SequencerApi((options.sequencer ?? getConfig().cli.sequencerUrl).replace(/\/$/, ''));
  const deploymentOf = (options: { deployment?: string }): Deployment =>
    readDeployment(options.deployment ?? getConfig().bridge.deploymentFile);

  common(job.command('submit').description('sign and submit a job (the input stays between you, the sequencer and the prover)'))
    .requiredOption('--model <model>', 'model name or id, as `GET /v1/models` lists them')
    .requiredOption('--input <json>', 'input values: a JSON array (nested arrays are flattened), or a file holding one')
    .option('--reward <amount>', 'reward for the prover, in VTY', '1')
    .option('--max-fee <amount>', 'largest protocol fee you accept, in VTY (default: 10% of the reward)')
    .option('--deadline <duration>', 'time until the job must be released, e.g. 30m, 2h', '1h')
    .option('--account <name>', 'devnet account: alice, bob or an anvil index')
    .option('--key-file <file>', 'signer: a hex key or a JSON keystore (VERITY_KEYSTORE_PASSWORD)')
    .action(
      async (
        options: SignerOptions & {
          sequencer?: string;
          deployment?: string;
          model: string;
          input: string;
          reward: string;
          maxFee?: string;
          deadline: string;
        },
      ) => {
        const config = getConfig();
        const input = readInput(options.input);
        const submitted = await submitJob({
          api: api(options),
          deployment: deploymentOf(options),
          model: options.model,
          input,
          privateKey: await resolvePrivateKey(options, config),
          reward: parseAmount(options.reward, 18),
          maxFee: options.maxFee !== undefined ? parseAmount(options.maxFee, 18) : undefined,
          deadlineSeconds: parseDuration(options.deadline),
        });
        const file = saveJobRecord(config.cli.home, {
          jobId: submitted.jobId,
          sequencerUrl: api(options).baseUrl,
          modelId: submitted.request.modelId.toString(),
          modelName: submitted.model.name,
          inputCommitment: submitted.request.inputCommitment.toString(),
          input,
          inputSalt: submitted.inputSalt,
          accessToken: submitted.accessToken,
          submittedAt: new Date().toISOString(),
        });
        say(`✔ job ${submitted.jobId} accepted (fee ${formatAmount(BigInt(submitted.fee), 18)} VTY)`);
        say(`  salt and access token saved in ${file} (keep it private); follow it with \`verity job watch ${submitted.jobId}\``);
      },
    );

  common(
    job.command('get').description('a job’s status, transactions and (with your saved token) its output').argument('<jobId>'),
  ).action(async (id: string, options: { sequencer?: string }) => {
    const record = loadJobRecord(getConfig().cli.home, requireJobId(id));
    printJob(await api({ sequencer: options.sequencer ?? record?.sequencerUrl }).job(id, record?.accessToken));
  });

  common(job.command('watch').description('follow a job’s status changes until it ends').argument('<jobId>')).action(
    async (id: string, options: { sequencer?: string }) => {
      const record = loadJobRecord(getConfig().cli.home, requireJobId(id));
      const client = api({ sequencer: options.sequencer ?? record?.sequencerUrl });
      for await (const e of client.events(id)) {
        const tx = e.details.txHash ? ` (tx ${String(e.details.txHash)})` : '';
        say(`  ${e.at}  ${e.status}${tx}${e.details.reason ? `: ${String(e.details.reason)}` : ''}`);
        if (TERMINAL.has(e.status)) break;
      }
    },
  );

  common(
    job
      .command('verify')
      .description('check a job’s proof and opening locally, against the key registered on L1')
      .argument('<jobId>'),
  ).action(async (id: string, options: { sequencer?: string; deployment?: string }) => {
    const config = getConfig();
    const record = loadJobRecord(config.cli.home, requireJobId(id));
    const client = api({ sequencer: options.sequencer ?? record?.sequencerUrl });
    const view = await client.job(id, record?.accessToken);
    const deployment = deploymentOf(options);
    if (!deployment.verity) throw new InvalidArgumentError('the deployment has no ModelRegistry');
    const l1 = new JsonRpcProvider(deployment.l1.rpcUrl, deployment.l1.chainId, { staticNetwork: true });
    try {
      // The model is the one the requester signed for (its record), read from L1: key, name and interface.
      const model = await registeredModel(l1, deployment.verity.l1.ModelRegistry, record?.modelId ?? view.modelId);
      const output = await verifyJob({ jobId: id, job: view, record, model });
      say(`✔ job ${id}: the proof verifies against the key registered on L1 for ${model.name}`);
      table([
        ['output', `[${output.values.map((v) => v.toFixed(3)).join(', ')}]`],
        ['argmax', String(output.argmax)],
        [
          'input',
          record
            ? 'opens the committed input you signed (your saved input and salt, model and job)'
            : 'not checked (no local record of this job)',
        ],
        ['prover', view.prover ?? '-'],
      ]);
    } finally {
      l1.destroy();
      await releaseCurves();
    }
  });
}
