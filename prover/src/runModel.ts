import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import * as ort from 'onnxruntime-node';

import { createLogger } from '@verity/core';

export type ExecutionProvider = 'auto' | 'cuda' | 'cpu';

/**
 * The float reference run of a model with onnxruntime-node: one session per model, on the CUDA execution provider
 * when it is available (and asked for), on the CPU otherwise; which one is said once in the log. The proof is made
 * from the circuit's fixed-point evaluation; this run is what the model's author would have computed, for the log
 * and the requester's comparison.
 */
export class OnnxRunner {
  private readonly log = createLogger(OnnxRunner.name);
  private readonly sessions = new Map<string, Promise<{ session: ort.InferenceSession; provider: string }>>();

  constructor(private readonly provider: ExecutionProvider) {}

  private open(onnxFile: string): Promise<{ session: ort.InferenceSession; provider: string }> {
    let opened = this.sessions.get(onnxFile);
    if (!opened) {
      opened = (async () => {
        // onnxruntime-node ships CPU binaries; the CUDA provider library is an optional download. Only try CUDA where
        // it is installed (trying without it prints a native error on stderr).
        if (this.provider === 'cuda' || (this.provider === 'auto' && cudaProviderInstalled())) {
          try {
            const session = await ort.InferenceSession.create(onnxFile, { executionProviders: ['cuda'] });
            this.log.info({ onnxFile, executionProvider: 'cuda' }, 'model session on the GPU (CUDA)');
            return { session, provider: 'cuda' };
          } catch (err) {
            if (this.provider === 'cuda') throw err;
            this.log.info(
              { reason: (err as Error).message.split('\n')[0] },
              'CUDA execution provider unavailable: using the CPU',
            );
          }
        }
        const session = await ort.InferenceSession.create(onnxFile, { executionProviders: ['cpu'] });
        this.log.info({ onnxFile, executionProvider: 'cpu', cudaInstalled: cudaProviderInstalled() }, 'model session on the CPU');
        return { session, provider: 'cpu' };
      })();
      this.sessions.set(onnxFile, opened);
    }
    return opened;
  }

  /**
   * The model's float outputs for one sample (batch 1). `parts`: the graph's inputs when it has several (the
   * sample is their concatenation, in order).
   */
  async run(
    onnxFile: string,
    inputShape: number[],
    input: number[],
    parts?: { name: string; shape: number[] }[],
  ): Promise<{ output: number[]; provider: string }> {
    const { session, provider } = await this.open(onnxFile);
    const feeds: Record<string, ort.Tensor> = {};
    let at = 0;
    for (const part of parts ?? [{ name: session.inputNames[0]!, shape: inputShape }]) {
      const n = part.shape.reduce((a, b) => a * b, 1);
      feeds[part.name] = new ort.Tensor('float32', Float32Array.from(input.slice(at, (at += n))), [1, ...part.shape]);
    }
    const result = await session.run(feeds);
    return { output: Array.from(result[session.outputNames[0]!]!.data as Float32Array, Number), provider };
  }

  async close(): Promise<void> {
    for (const opened of this.sessions.values()) await (await opened.catch(() => undefined))?.session.release();
    this.sessions.clear();
  }
}

/** Whether onnxruntime-node's CUDA execution provider library is installed next to its CPU binding. */
export function cudaProviderInstalled(): boolean {
  const dir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(dir, 'libonnxruntime_providers_cuda.so')) || existsSync(join(dir, 'onnxruntime_providers_cuda.dll'));
}
