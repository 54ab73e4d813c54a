import { BaseError } from '@verity/core';

/** An error answer of the sequencer, by its code (see the API's error table). */
export class SequencerError extends BaseError {
  override name = 'SequencerError';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

export class SequencerUnreachableError extends BaseError {
  override name = 'SequencerUnreachableError';
  constructor(url: string, cause: unknown) {
    super(
      'SEQUENCER_UNREACHABLE',
      `cannot reach the sequencer at ${url} (is it running? \`npm start\`, or set VERITY_SEQUENCER_URL)`,
      { cause },
    );
  }
}

export type ModelListing = {
  modelId: string;
  name: string;
  active: boolean;
  /** When a deactivation scheduled on L1 takes effect; while set, the model takes no new jobs. */
  deactivatesAt?: string | null;
  input: { shape: number[]; scale: number; bits: number; maxAbs: number };
  output: { shape: number[]; scale: number; bits: number; head: string };
  artifacts: Record<string, { sha256: string; bytes: number }>;
  manifest: Record<string, unknown>;
};

export type JobView = {
  jobId: string;
  status: string;
  reason?: string;
  modelId: string;
  requester: string;
  inputCommitment: string;
  reward: string;
  fee: string;
  deadline: number;
  prover?: string;
  outputCommitment?: string;
  proof?: Record<string, unknown>;
  publicSignals?: string[];
  output?: { integers: number[]; values: number[]; argmax: number; scale: number; salt: string };
  transactions: { open?: string; settle?: string; release?: string; refund?: string };
  l1BatchId?: string;
  events: { status: string; at: string; details: Record<string, unknown> }[];
};

/** The requester's and publisher's side of the sequencer API, over plain HTTP. */
export class SequencerApi {
  constructor(readonly baseUrl: string) {}

  private async call<T>(
    method: string,
    path: string,
    init: { body?: unknown; raw?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(init.raw !== undefined ? { 'content-type': 'application/octet-stream' } : {}),
          ...init.headers,
        },
        body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      throw new SequencerUnreachableError(this.baseUrl, err);
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok)
      throw new SequencerError(res.status, String(json.code ?? `HTTP_${res.status}`), String(json.message ?? text.slice(0, 200)));
    return json as T;
  }

  models(): Promise<ModelListing[]> {
    return this.call('GET', '/v1/models');
  }

  submitJob(body: unknown): Promise<{ jobId: string; status: string; fee: string; accessToken: string }> {
    return this.call('POST', '/v1/jobs', { body });
  }

  job(jobId: string, accessToken?: string): Promise<JobView> {
    return this.call('GET', `/v1/jobs/${jobId}`, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });
  }

  /** `signature`: the publisher's over artifactMessage({chainId, registry, modelId, name, sha256, bytes}). */
  uploadArtifact(modelId: string, name: string, bytes: Uint8Array, sha256: string, signature: string): Promise<unknown> {
    return this.call('PUT', `/v1/models/${modelId}/artifacts/${name}`, {
      raw: bytes,
      headers: { 'x-verity-signature': signature, 'x-content-sha256': sha256 },
    });
  }

  /** The job's status changes (server-sent events) until it ends, or until `signal` aborts. */
  async *events(
    jobId: string,
    signal?: AbortSignal,
  ): AsyncGenerator<{ status: string; at: string; details: Record<string, unknown> }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/jobs/${jobId}/events`, { headers: { accept: 'text/event-stream' }, signal });
    } catch (err) {
      throw new SequencerUnreachableError(this.baseUrl, err);
    }
    if (!res.ok || !res.body) throw new SequencerError(res.status, `HTTP_${res.status}`, `cannot follow job ${jobId}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (!data) continue;
        const parsed = JSON.parse(data) as {
          status: string;
          at: string;
          details: Record<string, unknown>;
          code?: string;
          message?: string;
        };
        if (type === 'error') throw new SequencerError(404, parsed.code ?? 'JOB_NOT_FOUND', parsed.message ?? 'no such job');
        yield parsed;
      }
    }
  }
}
