import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { buildBn128, type Bn128 } from 'ffjavascript';

/** Bytes of one scalar (little-endian, standard form, below r) and of one affine point of each group (LEM). */
export const SCALAR_BYTES = 32;
export const AFFINE_BYTES = { 1: 64, 2: 128 } as const;

export type FixedBaseMulParameters = {
  /** Roughly how many products of each group will be asked for: sizes the windows of the precomputed tables. */
  expected: { 1: number; 2: number };
  /** Worker threads; the machine's cores by default. */
  threads?: number;
};

export type FixedBaseMul = {
  /**
   * k·G for each 32-byte scalar k (G the group's generator), as affine points in snarkjs's zkey layout. The
   * scalars buffer is zeroed once handed over: it is a function of the toxic waste.
   */
  multiply(group: 1 | 2, scalars: Uint8Array): Promise<Uint8Array>;
  terminate(): Promise<void>;
};

let curve: Promise<Bn128> | undefined;
/** ffjavascript's bn128 without its worker pool: only the compiled WebAssembly and its constants are needed. */
export const bn128 = (): Promise<Bn128> => (curve ??= buildBn128(true));

/** The window width that minimizes table building plus products: ⌈254/w⌉·(2^w + products per thread) additions. */
export function windowFor(productsPerThread: number): number {
  let best = 4;
  const cost = (w: number) => Math.ceil(254 / w) * (2 ** w + productsPerThread);
  for (let w = 5; w <= 15; w++) if (cost(w) < cost(best)) best = w;
  return best;
}

const CHUNK = 4096;

/**
 * A pool of worker threads that multiply BN254's G1 and G2 generators by many scalars (fixed-base, windowed). Each
 * thread builds its own tables on first use of a group; work is cut into chunks and handed to whichever thread is
 * free.
 */
export async function fixedBaseMul(parameters: FixedBaseMulParameters): Promise<FixedBaseMul> {
  const { tm } = await bn128();
  const threads = Math.max(1, parameters.threads ?? availableParallelism());
  const windows = {
    1: windowFor(parameters.expected[1] / threads),
    2: windowFor(parameters.expected[2] / threads),
  };
  type Pending = { resolve: (points: Uint8Array) => void; reject: (err: Error) => void };
  type Job = { id: number; group: 1 | 2; scalars: Uint8Array } & Pending;
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const running = new Map<Worker, Job>();
  let nextId = 0;
  let failure: Error | undefined;

  const dispatch = () => {
    while (idle.length && queue.length) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      running.set(worker, job);
      worker.postMessage({ id: job.id, group: job.group, scalars: job.scalars }, [job.scalars.buffer as ArrayBuffer]);
    }
  };
  const fail = (err: Error) => {
    failure ??= err;
    for (const job of [...queue.splice(0), ...running.values()]) job.reject(err);
    running.clear();
  };
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(join(__dirname, 'fixedBaseWorker.js'), {
      workerData: { code: tm.code, pG1gen: tm.pG1gen, pG2gen: tm.pG2gen, windows },
    });
    worker.on('message', (m: { id: number; points?: Uint8Array; error?: string }) => {
      const job = running.get(worker);
      running.delete(worker);
      idle.push(worker);
      if (job) {
        if (m.points) job.resolve(m.points);
        else job.reject(new Error(m.error ?? 'fixed-base worker failed'));
      }
      dispatch();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`fixed-base worker exited with code ${code}`));
    });
    idle.push(worker);
    return worker;
  });

  const chunk = (group: 1 | 2, scalars: Uint8Array): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      queue.push({ id: nextId++, group, scalars, resolve, reject });
      dispatch();
    });

  return {
    async multiply(group, scalars) {
      const n = scalars.length / SCALAR_BYTES;
      const parts: Promise<Uint8Array>[] = [];
      for (let i = 0; i < n; i += CHUNK)
        parts.push(chunk(group, scalars.slice(i * SCALAR_BYTES, Math.min(n, i + CHUNK) * SCALAR_BYTES)));
      scalars.fill(0);
      const out = new Uint8Array(n * AFFINE_BYTES[group]);
      let at = 0;
      for (const points of await Promise.all(parts)) {
        out.set(points, at);
        at += points.length;
      }
      return out;
    },
    async terminate() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
