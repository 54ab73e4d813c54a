import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { TypedDataDomain } from 'ethers';

import { commitVector } from '@verity/circuits';
import { recoverJobRequestSigner, type JobRequest } from '@verity/contracts';
import { createLogger } from '@verity/core';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';

export type IntakeCryptoParameters = {
  /** The quantized input, its bits per value, the commitment's domain tag and the salt. */
  values: number[];
  bits: number;
  domainTag: bigint;
  salt: bigint;
  eip712: TypedDataDomain;
  request: JobRequest;
  digest: string;
  /** Null: not an ECDSA signature worth recovering (the caller checks it otherwise). */
  signature: string | null;
};

export type IntakeCryptoReturnType = {
  commitment: bigint;
  /** The EOA that signed the digest; undefined when the signature is not a valid 65-byte ECDSA one. */
  signer?: string;
};

type Answer = { id: number; commitment?: bigint; signer?: string | null; error?: string };
type Pending = { parameters: IntakeCryptoParameters; resolve: (r: IntakeCryptoReturnType) => void; reject: (e: Error) => void };

/**
 * The input commitment and the signer of a request, computed in a worker thread (SEQUENCER_INTAKE_THREADS = 1) or
 * inline (0). On 2 cores the API's event loop is the first thing to saturate under intake load, while the other core
 * still has room: these two checks are a third of the loop's work per request. Requests arriving in the same turn go
 * in one message. Should the worker fail, the requests it held are computed inline and a new worker starts later.
 */
@Injectable()
export class IntakeCrypto implements OnModuleDestroy {
  private readonly log = createLogger(IntakeCrypto.name);
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private outbox: { id: number; parameters: IntakeCryptoParameters }[] = [];
  private nextId = 1;
  private scheduled = false;

  constructor(@Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig) {}

  check(parameters: IntakeCryptoParameters): Promise<IntakeCryptoReturnType> {
    if (this.config.jobs.intakeThreads === 0) return Promise.resolve(inline(parameters));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { parameters, resolve, reject });
      this.outbox.push({ id, parameters });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async onModuleDestroy(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    this.failAll(new Error('shutting down'));
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    try {
      this.ensureWorker().postMessage(batch.map(({ id, parameters }) => ({ id, ...parameters })));
    } catch (err) {
      this.failAll(err as Error);
    }
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(join(__dirname, 'intakeCrypto.worker.js'));
    worker.unref();
    worker.on('message', (answers: Answer[]) => {
      for (const a of answers) {
        const p = this.pending.get(a.id);
        this.pending.delete(a.id);
        if (!p) continue;
        if (a.error !== undefined || a.commitment === undefined) p.reject(new Error(a.error ?? 'no answer'));
        else p.resolve({ commitment: a.commitment, signer: a.signer ?? undefined });
      }
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.log.error({ err: err.message }, 'intake crypto worker failed: computing inline, a new worker starts later');
      this.failAll(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the intake crypto worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** What the worker held: computed here instead, so no request fails because a thread did. */
  private failAll(_err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      try {
        p.resolve(inline(p.parameters));
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }
}

function inline(p: IntakeCryptoParameters): IntakeCryptoReturnType {
  const commitment = commitVector(p.values, p.bits, p.domainTag, p.salt);
  let signer: string | undefined;
  if (p.signature !== null)
    try {
      signer = recoverJobRequestSigner(p.eip712, p.request, p.signature, p.digest);
    } catch {
      // Not a 65-byte ECDSA signature: the caller asks the chain (ERC-1271).
    }
  return { commitment, signer };
}
