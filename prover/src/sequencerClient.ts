import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
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

/** A model artifact the prover will not fetch or keep (a bad hash, name or size in the listing, or a wrong size). */
export class ArtifactRefusedError extends BaseError {
  override name = 'ArtifactRefusedError';
  constructor(shortMessage: string) {
    super('ARTIFACT_REFUSED', shortMessage);
  }
}

/** Lowercase hex SHA-256: the only thing an artifact's file name is ever built from. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Largest artifact a prover downloads at all (a listing claiming more is refused). */
export const MAX_ARTIFACT_BYTES = 4 * 1024 * 1024 * 1024;

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

/** One job of a batch proof request: what the prover served singly (openings and the commitments it proved). */
export type BatchProofJob = {
  jobId: string;
  input: number[];
  inputSalt: string;
  inputCommitment: string;
  outputSalt: string;
  outputCommitment: string;
};

/** A batch proof the sequencer asks of this prover: one proof for the jobs it already proved singly. */
export type LeasedBatchProof = {
  batchProofId: string;
  modelId: string;
  /** K: the batch circuit (and key) to prove with. */
  batchSize: number;
  /** After this the sequencer settles the jobs singly. */
  giveUpAt: string;
  /** 1 to K jobs, in the order the batch hash lists them. */
  jobs: BatchProofJob[];
};

/**
 * Artifact names a prover fetches: a model's own (`zkey`, `program`, …) or a batch circuit's, `batch-<K>-<part>`
 * with K in 1..64. Nothing else reaches a URL.
 */
export const ARTIFACT_NAME = /^[a-z]+$|^batch-([1-9]|[1-5][0-9]|6[0-4])-(manifest|zkey|vkey)$/;

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

  /** The oldest open batch proof request for this prover (among `models`; empty: any), or undefined. */
  async leaseBatchProof(models: string[]): Promise<LeasedBatchProof | undefined> {
    const body = models.length ? { models } : {};
    return (await this.request<LeasedBatchProof | undefined>('POST', '/v1/provers/batch-proofs/lease', body)).body;
  }

  /** 422 (PROOF_INVALID …) if the proof or signals are wrong; 409 if the request is not open for this prover. */
  async submitBatchProof(batchProofId: string, result: { proof: unknown; publicSignals: string[] }): Promise<{ status: string }> {
    return (
      await this.request<{ status: string }>(
        'POST',
        `/v1/provers/batch-proofs/${encodeURIComponent(batchProofId)}/result`,
        result,
      )
    ).body;
  }

  /** This prover will not prove the request: the sequencer settles its jobs singly. */
  async returnBatchProof(batchProofId: string): Promise<void> {
    await this.request('POST', `/v1/provers/batch-proofs/${encodeURIComponent(batchProofId)}/return`, {});
  }

  async models(): Promise<ModelView[]> {
    return (await this.request<ModelView[]>('GET', '/v1/models')).body;
  }

  async model(modelId: string): Promise<ModelView> {
    return (await this.request<ModelView>('GET', `/v1/models/${modelId}`)).body;
  }

  /**
   * Downloads an artifact to `file`, refusing it unless it is exactly `bytes` long (the download stops as soon as it
   * runs past that) and hashes to `sha256`. The partial file is removed on every failure.
   */
  async downloadArtifact(
    modelId: string,
    name: string,
    expected: { sha256: string; bytes: number },
    file: string,
  ): Promise<void> {
    const { sha256, bytes } = expected;
    if (!/^(0|[1-9][0-9]{0,77})$/.test(modelId))
      throw new ArtifactRefusedError(`model id '${modelId.slice(0, 80)}' is not decimal`);
    if (!ARTIFACT_NAME.test(name))
      throw new ArtifactRefusedError(`artifact name '${name.slice(0, 40)}' is not a model or batch artifact name`);
    if (!SHA256_HEX.test(sha256))
      throw new ArtifactRefusedError(`artifact ${name} of model ${modelId}: its sha256 is not 64 hex digits`);
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_ARTIFACT_BYTES)
      throw new ArtifactRefusedError(
        `artifact ${name} of model ${modelId}: its size ${String(bytes).slice(0, 30)} is not acceptable`,
      );
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
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (received > bytes)
          return done(new ArtifactRefusedError(`artifact ${name} of model ${modelId} is longer than its listed ${bytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as never), meter, createWriteStream(tmp));
      if (received !== bytes)
        throw new ArtifactRefusedError(`artifact ${name} of model ${modelId} has ${received} bytes, not its listed ${bytes}`);
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
