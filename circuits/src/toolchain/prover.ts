import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';

import type { Groth16Proof } from 'snarkjs';

import type { BatchSlot } from '../batch/batchCircuit';
import type { CompiledBatch, ProveBatchReturnType } from '../batch/compileBatch';
import { BaseError } from '../errors';
import type { ModelPaths } from '../paths';
import type { CircuitInput } from '../r1cs/modelCircuit';

/** A job tuple as it crosses IPC: bigints do not, so every field element travels as a decimal string. */
type WireBatchJob = { jobId: string; prover: string; inputCommitment: string; outputCommitment: string };

/** The worker's answer to either request (proveWorker.js). */
type Reply = {
  id: number;
  error?: string;
  proof?: Groth16Proof;
  publicSignals?: string[];
  jobs?: WireBatchJob[];
  batchHash?: string;
  witnessSeconds?: number;
  proveSeconds?: number;
};

type Pending = { resolve: (reply: Reply) => void; reject: (e: Error) => void };

export class ProvingFailedError extends BaseError {
  override name = 'ProvingFailedError';
  constructor(details: string) {
    super('PROVING_FAILED', 'no proof can be made for these values (the circuit rejects them, or the model files disagree)', {
      details,
    });
  }
}

/**
 * One long-lived child process that proves on request (the first call pays snarkjs's curve set-up, later calls
 * don't). The caller's event loop only ever waits on IPC.
 */
export class Groth16ProverProcess {
  private worker?: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  /** The prover process's peak resident memory (Linux: VmHWM), for benchmarks; undefined where unknown. */
  peakMemoryBytes(): number | undefined {
    const pid = this.worker?.pid;
    if (pid === undefined) return undefined;
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  }

  private ensure(): ChildProcess {
    if (this.worker) return this.worker;
    const worker = fork(join(__dirname, 'proveWorker.js'), [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.error) p.reject(new ProvingFailedError(m.error.split('\n')[0] ?? m.error));
      else p.resolve(m);
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new ProvingFailedError(`prover process exited with code ${code}`)));
    // Do not keep the parent alive for an idle prover.
    worker.unref();
    worker.channel?.unref();
    this.worker = worker;
    return worker;
  }

  private request(message: Record<string, unknown>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ensure().send({ id, ...message });
    });
  }

  /** Proves `input` for the model whose program, proving key and verification key are at `paths`. */
  async prove(
    input: CircuitInput,
    paths: Pick<ModelPaths, 'program' | 'zkey' | 'vkey'>,
  ): Promise<{ proof: Groth16Proof; publicSignals: string[] }> {
    const reply = await this.request({
      kind: 'model',
      input,
      paths: { program: paths.program, zkey: paths.zkey, vkey: paths.vkey },
    });
    return { proof: reply.proof!, publicSignals: reply.publicSignals! };
  }

  /**
   * A batch proof of `slots` (1 to K jobs) with the batch circuit's keys: the child builds the witness from the
   * model's program file (`batch.paths.program`), proves, and checks the proof against the batch verification key.
   * Prefer `proveBatch(batch, program, slots, { proverProcess })`, which also refuses a batch without a setup.
   */
  async proveBatch(
    batch: {
      manifest: Pick<CompiledBatch['manifest'], 'modelId' | 'batchSize'>;
      paths: Pick<ModelPaths, 'program' | 'zkey' | 'vkey'>;
    },
    slots: readonly BatchSlot[],
  ): Promise<ProveBatchReturnType> {
    const reply = await this.request({
      kind: 'batch',
      modelId: batch.manifest.modelId,
      size: batch.manifest.batchSize,
      slots: slots.map((s) => ({
        xq: [...s.xq],
        inputSalt: s.inputSalt.toString(),
        outputSalt: s.outputSalt.toString(),
        jobId: s.jobId.toString(),
        prover: s.prover.toString(),
      })),
      paths: { program: batch.paths.program, zkey: batch.paths.zkey, vkey: batch.paths.vkey },
    });
    return {
      proof: reply.proof!,
      publicSignals: reply.publicSignals!,
      jobs: reply.jobs!.map((j) => ({
        jobId: BigInt(j.jobId),
        prover: BigInt(j.prover),
        inputCommitment: BigInt(j.inputCommitment),
        outputCommitment: BigInt(j.outputCommitment),
      })),
      batchHash: BigInt(reply.batchHash!),
      witnessSeconds: reply.witnessSeconds!,
      proveSeconds: reply.proveSeconds!,
    };
  }

  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker || worker.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.disconnect();
    });
  }
}

let shared: Groth16ProverProcess | undefined;
export function sharedProver(): Groth16ProverProcess {
  return (shared ??= new Groth16ProverProcess());
}
