import { Wallet } from 'ethers';

import { argmax, Groth16ProverProcess, proveInference } from '@verity/circuits';
import { BaseError, createLogger } from '@verity/core';
import { ModelCache } from './modelCache';
import { BatchProofRefusedError, proveBatchRequest } from './proveBatchRequest';
import { checkRegistrationMessage, type ProverMarket } from './registrationMessage';
import { OnnxRunner, type ExecutionProvider } from './runModel';
import { SequencerApiError, SequencerClient, type LeasedBatchProof, type LeasedJob } from './sequencerClient';

export type ProverDaemonParameters = {
  sequencerUrl: string;
  /** The key staked in ProverRegistry: proofs are bound to its address. */
  privateKey: string;
  /**
   * The L2 market this prover serves (from the deployment file). The registration message must name it, or the
   * prover refuses to sign; without it the message's market cannot be checked (a warning says so).
   */
  market?: ProverMarket;
  /** Model ids to serve; empty: all. */
  models?: string[];
  /** Jobs proven at once, each in its own prover process. */
  concurrency?: number;
  cacheDir: string;
  pollIntervalMs?: number;
  heartbeatMs?: number;
  executionProvider?: ExecutionProvider;
  /**
   * Serve the sequencer's batch proof requests (one proof for up to K jobs this prover already proved), in a
   * prover process of their own beside the job slots. On by default.
   */
  batchProofs?: boolean;
  /** How often to ask for a batch proof request while there is none (default 2000 ms). */
  batchPollIntervalMs?: number;
};

export type ProvedJobRecord = {
  jobId: string;
  modelId: string;
  correlationId: string;
  /** Seconds: float reference run, proof, submission. */
  inferenceSeconds: number;
  proveSeconds: number;
  totalSeconds: number;
  /** Whether the float model and the circuit picked the same class. */
  argmaxAgrees: boolean;
};

export type ProvedBatchRecord = {
  batchProofId: string;
  modelId: string;
  /** Jobs in the proof, and the circuit's slots (K). */
  count: number;
  batchSize: number;
  /** Seconds of witness and snarkjs prove (in the prover process). */
  proveSeconds: number;
};

type Slot = { process: Groth16ProverProcess; job?: LeasedJob };

/**
 * The prover: registers with the sequencer by signing a challenge with its staked key, keeps a heartbeat, and in
 * `concurrency` slots leases a job, runs the model (onnxruntime, float) and the circuit's fixed-point evaluation,
 * proves in a child process (never on this event loop), and submits. `stop()` stops leasing, hands every job in
 * flight back to the queue and ends the prover processes.
 */
export class ProverDaemon {
  private readonly log = createLogger(ProverDaemon.name);
  private readonly wallet: Wallet;
  private readonly client: SequencerClient;
  private readonly cache: ModelCache;
  private readonly onnx: OnnxRunner;
  private readonly slots: Slot[];
  private heartbeat?: NodeJS.Timeout;
  private stopping = false;
  private wake?: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.wake = resolve));
  private loops: Promise<void>[] = [];
  /** The batch loop's own prover process: a batch proof takes seconds and K times a job's memory. */
  private readonly batchProcess = new Groth16ProverProcess();
  readonly proved: ProvedJobRecord[] = [];
  readonly provedBatches: ProvedBatchRecord[] = [];

  constructor(private readonly parameters: ProverDaemonParameters) {
    this.wallet = new Wallet(parameters.privateKey);
    this.client = new SequencerClient(parameters.sequencerUrl.replace(/\/$/, ''));
    this.cache = new ModelCache(this.client, parameters.cacheDir);
    this.onnx = new OnnxRunner(parameters.executionProvider ?? 'auto');
    this.slots = Array.from({ length: parameters.concurrency ?? 1 }, () => ({ process: new Groth16ProverProcess() }));
  }

  get address(): string {
    return this.wallet.address;
  }

  /**
   * Signs a fresh challenge and keeps the session token. Throws PROVER_NOT_STAKED if the key has no stake, and
   * REGISTRATION_MESSAGE_REFUSED (signing nothing) if the message is not for this prover's market and chain.
   */
  async register(): Promise<void> {
    const { challenge, message } = await this.client.challenge(this.address);
    if (this.parameters.market) checkRegistrationMessage({ message, challenge, market: this.parameters.market });
    else this.log.warn({ prover: this.address }, 'no market configured: the registration message is signed unchecked');
    const signature = await this.wallet.signMessage(message);
    const { token } = await this.client.register({
      address: this.address,
      challenge,
      signature,
      models: this.parameters.models ?? [],
    });
    this.client.setToken(token);
    this.log.info({ prover: this.address, models: this.parameters.models ?? 'all' }, 'registered with the sequencer');
  }

  async start(): Promise<void> {
    await this.register();
    this.heartbeat = setInterval(() => void this.beat(), this.parameters.heartbeatMs ?? 5000);
    this.loops = this.slots.map((slot, i) => this.loop(slot, i));
    if (this.parameters.batchProofs ?? true) this.loops.push(this.batchLoop());
  }

  /** A heartbeat; a 401 means the session is gone, so register again. */
  private async beat(): Promise<void> {
    try {
      await this.client.heartbeat();
    } catch (err) {
      if (err instanceof SequencerApiError && err.status === 401) await this.register().catch(() => undefined);
      else this.log.warn({ err: (err as Error).message }, 'heartbeat failed');
    }
  }

  private async loop(slot: Slot, index: number): Promise<void> {
    let idleMs = this.parameters.pollIntervalMs ?? 500;
    while (!this.stopping) {
      try {
        const job = await this.client.lease(this.parameters.models ?? []);
        if (!job) {
          await sleep(idleMs, this.stopped);
          continue;
        }
        slot.job = job;
        try {
          await this.serve(slot, job);
        } catch (err) {
          // Whatever went wrong here (a download, the model, the prover process), the job should not wait for its
          // lease to lapse: hand it back so another prover (or this one, later) takes it.
          if (!this.stopping) await this.client.returnLease(job.jobId).catch(() => undefined);
          throw err;
        }
        idleMs = this.parameters.pollIntervalMs ?? 500;
      } catch (err) {
        if (this.stopping) break;
        if (err instanceof SequencerApiError && err.status === 429 && !slot.job) {
          // At the sequencer's lease cap for one prover: this slot waits for a lease to end.
          this.log.debug({ slot: index, err: err.shortMessage }, 'lease cap reached, waiting');
          await sleep(this.parameters.pollIntervalMs ?? 500, this.stopped);
          continue;
        }
        // 401: the session expired or the heartbeat lapsed; a heartbeat (or a new registration) restores it.
        if (err instanceof SequencerApiError && err.status === 401) await this.beat();
        this.log.warn(
          { slot: index, err: err instanceof BaseError ? err.shortMessage : String(err) },
          'prover step failed, retrying',
        );
        // Back off while the sequencer is unhappy, up to 10 s.
        idleMs = Math.min(10_000, idleMs * 2);
        await sleep(idleMs, this.stopped);
      } finally {
        slot.job = undefined;
      }
    }
  }

  /**
   * Leases batch proof requests one at a time and proves them in the batch process. A request that fails (or is
   * refused) is returned, so the sequencer settles its jobs singly at once; one in flight at `stop()` is kept, and
   * the sequencer leases it again after a restart.
   */
  private async batchLoop(): Promise<void> {
    const intervalMs = this.parameters.batchPollIntervalMs ?? 2000;
    let idleMs = intervalMs;
    while (!this.stopping) {
      let request: LeasedBatchProof | undefined;
      try {
        request = await this.client.leaseBatchProof(this.parameters.models ?? []);
        idleMs = intervalMs;
        if (!request) {
          await sleep(intervalMs, this.stopped);
          continue;
        }
        await this.serveBatch(request);
      } catch (err) {
        if (this.stopping) break;
        if (request) await this.client.returnBatchProof(request.batchProofId).catch(() => undefined);
        if (err instanceof SequencerApiError && err.status === 401) await this.beat();
        this.log.warn(
          {
            batchProofId: request?.batchProofId,
            modelId: request?.modelId,
            err: err instanceof BaseError ? err.shortMessage : String(err),
          },
          request ? 'batch proof failed, returned' : 'batch proof lease failed, retrying',
        );
        // A sequencer without batch proofs (404) or one that is unhappy is asked less and less often, up to 60 s.
        idleMs = Math.min(60_000, idleMs * 2);
        await sleep(idleMs, this.stopped);
      }
    }
  }

  private async serveBatch(request: LeasedBatchProof): Promise<void> {
    const log = this.log.child({ batchProofId: request.batchProofId });
    const served = this.parameters.models ?? [];
    if (served.length && !served.includes(request.modelId))
      throw new BatchProofRefusedError(
        `request ${request.batchProofId} is for model ${request.modelId}, which this prover does not serve`,
      );
    const proved = await proveBatchRequest({
      request,
      cache: this.cache,
      prover: this.address,
      proverProcess: this.batchProcess,
    });
    if (this.stopping) return;
    await this.client.submitBatchProof(request.batchProofId, { proof: proved.proof, publicSignals: proved.publicSignals });
    const record: ProvedBatchRecord = {
      batchProofId: request.batchProofId,
      modelId: request.modelId,
      count: request.jobs.length,
      batchSize: request.batchSize,
      proveSeconds: proved.witnessSeconds + proved.proveSeconds,
    };
    this.provedBatches.push(record);
    log.info(
      { modelId: record.modelId, count: record.count, batchSize: record.batchSize, proveSeconds: record.proveSeconds },
      'batch proof proven and submitted',
    );
  }

  private async serve(slot: Slot, job: LeasedJob): Promise<void> {
    const started = performance.now();
    const log = this.log.child({ jobId: job.jobId, correlationId: job.correlationId });
    const model = await this.cache.get(job.modelId);
    const float = await this.onnx.run(model.onnxFile, model.manifest.input.shape, job.input, model.manifest.input.parts);
    const inferred = performance.now();
    const proved = await proveInference({
      model,
      input: job.input,
      inputSalt: job.inputSalt,
      jobId: job.jobId,
      prover: this.address,
      proverProcess: slot.process,
    });
    if (proved.inputCommitment !== job.inputCommitment)
      throw new Error(`the job's input does not open its commitment (job ${job.jobId}); refusing to prove it`);
    const provedAt = performance.now();
    if (this.stopping) return;
    await this.client.submitResult(job.jobId, {
      output: proved.output,
      proof: proved.proof,
      publicSignals: proved.publicSignals,
    });
    const record: ProvedJobRecord = {
      jobId: job.jobId,
      modelId: job.modelId,
      correlationId: job.correlationId,
      inferenceSeconds: (inferred - started) / 1000,
      proveSeconds: (provedAt - inferred) / 1000,
      totalSeconds: (performance.now() - started) / 1000,
      argmaxAgrees: argmax(float.output) === proved.output.argmax,
    };
    this.proved.push(record);
    log.info(
      {
        modelId: job.modelId,
        executionProvider: float.provider,
        proveSeconds: record.proveSeconds,
        argmaxAgrees: record.argmaxAgrees,
      },
      'job proven and submitted',
    );
  }

  /**
   * Stops leasing, returns the leases of jobs in flight, ends the prover processes (a batch proof in flight is kept:
   * the sequencer leases it again after a restart).
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    clearInterval(this.heartbeat);
    const inFlight = this.slots.filter((s) => s.job).map((s) => s.job!);
    await Promise.all(
      inFlight.map((job) =>
        this.client
          .returnLease(job.jobId)
          .then(() => this.log.info({ jobId: job.jobId }, 'lease returned'))
          .catch((err: unknown) =>
            this.log.warn({ jobId: job.jobId, err: String(err) }, 'could not return a lease (it will lapse)'),
          ),
      ),
    );
    await Promise.all([...this.slots.map((s) => s.process.terminate()), this.batchProcess.terminate()]);
    // Wait for the slots to wind down, at most 5 s (a slot stuck on a slow request is abandoned).
    await sleep(
      5_000,
      Promise.allSettled(this.loops).then(() => undefined),
    );
    await this.onnx.close();
  }
}

const sleep = (ms: number, until?: Promise<void>) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void until?.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
