import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { BaseError } from '@verity/core';

/** An error answer of the sequencer, typed by its `code` (the sequencer's error table). */
export class SequencerApiError extends BaseError {
  override name = 'SequencerApiError';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

export class SequencerUnreachableError extends BaseError {
  override name = 'SequencerUnreachableError';
  constructor(url: string, cause: unknown) {
    super('SEQUENCER_UNREACHABLE', `cannot reach the sequencer at ${url}`, { cause });
  }
}

export type LeasedJob = {
  jobId: string;
  modelId: string;
  input: number[];
  inputSalt: string;
  inputCommitment: string;
  deadline: number;
  correlationId: string;
  leaseExpiresAt: string;
};

export type ModelView = {
  modelId: string;
  name: string;
  active: boolean;
  artifacts: Record<string, { sha256: string; bytes: number }>;
  manifest: Record<string, unknown>;
};

/** The prover's side of the sequencer API (it reaches the sequencer over HTTP only). */
export class SequencerClient {
  private token?: string;

  constructor(private readonly baseUrl: string) {}

  setToken(token: string | undefined): void {
    this.token = token;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new SequencerUnreachableError(this.baseUrl, err);
    }
    if (res.status === 204) return { status: 204, body: undefined as T };
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (res.status >= 400)
      throw new SequencerApiError(
        res.status,
        String(json.code ?? `HTTP_${res.status}`),
        String(json.message ?? text.slice(0, 200)),
      );
    return { status: res.status, body: json as T };
  }

  async challenge(address: string): Promise<{ challenge: string; message: string }> {
    return (await this.request<{ challenge: string; message: string }>('POST', '/v1/provers/challenge', { address })).body;
  }

  async register(p: {
    address: string;
    challenge: string;
    signature: string;
    models: string[];
  }): Promise<{ token: string; expiresAt: string }> {
    return (await this.request<{ token: string; expiresAt: string }>('POST', '/v1/provers/register', p)).body;
  }

  async heartbeat(): Promise<void> {
    await this.request('POST', '/v1/provers/heartbeat', {});
  }

  async lease(models: string[]): Promise<LeasedJob | undefined> {
    return (await this.request<LeasedJob | undefined>('POST', '/v1/provers/lease', { models })).body;
  }

  async returnLease(jobId: string): Promise<void> {
    await this.request('POST', `/v1/provers/leases/${jobId}/return`, {});
  }

  async submitResult(
    jobId: string,
    result: { output: unknown; proof: unknown; publicSignals: string[] },
  ): Promise<{ status: string }> {
    return (await this.request<{ status: string }>('POST', `/v1/jobs/${jobId}/result`, result)).body;
  }

  async models(): Promise<ModelView[]> {
    return (await this.request<ModelView[]>('GET', '/v1/models')).body;
  }

  async model(modelId: string): Promise<ModelView> {
    return (await this.request<ModelView>('GET', `/v1/models/${modelId}`)).body;
  }

  /** Downloads an artifact to `file`, refusing it unless its content hash is `sha256`. */
  async downloadArtifact(modelId: string, name: string, sha256: string, file: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/models/${modelId}/artifacts/${name}`, { signal: AbortSignal.timeout(600_000) });
    } catch (err) {
      throw new SequencerUnreachableError(this.baseUrl, err);
    }
    if (!res.ok || !res.body)
      throw new SequencerApiError(res.status, 'ARTIFACT_NOT_AVAILABLE', `cannot download ${name} of model ${modelId}`);
    // Unique per download: two provers in one process (or two processes) may fetch the same artifact at once.
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.part`;
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body as never);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    try {
      await pipeline(body, createWriteStream(tmp));
      const actual = hash.digest('hex');
      if (actual !== sha256)
        throw new SequencerApiError(
          502,
          'ARTIFACT_CORRUPT',
          `artifact ${name} of model ${modelId} hashes to ${actual}, not ${sha256}`,
        );
      renameSync(tmp, file);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}
