import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import { InvalidArgumentError, createLogger, type Logger } from '@verity/core';
import { RpcGatewayStartError, RpcUpstreamError } from '../errors/gateway';
import {
  isJsonRpcId,
  JSON_RPC_ERROR_CODE,
  jsonRpcError,
  type JsonRpcId,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from './jsonRpc';
import { rpcMethodPolicy, type RpcRefusalRule } from './rpcMethodPolicy';

export type StartRpcGatewayParameters = {
  /** The node behind the gateway (anvil on the devnet host); only the gateway should be able to reach it. */
  upstreamUrl: string;
  /** Bind address: 0.0.0.0 to publish the gateway, 127.0.0.1 to keep it on this machine. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Larger request bodies are answered with HTTP 413; 1 MiB by default. */
  maxBodyBytes?: number;
  /** Larger batches are refused whole with -32600; 100 by default. */
  maxBatchSize?: number;
  /** How long one upstream call may take before the client gets -32603; 30 s by default. */
  upstreamTimeoutMs?: number;
};

export type RpcGateway = {
  /** Where clients reach the gateway (loopback when it binds every interface). */
  url: string;
  port: number;
  stop(): Promise<void>;
};

export type StartRpcGatewayReturnType = RpcGateway;

export type StartRpcGatewayErrorType = InvalidArgumentError | RpcGatewayStartError;

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_MAX_BATCH_SIZE = 100;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
/** An oversized body is read to its end so the client gets its 413, unless it runs past this multiple of the limit. */
const OVERSIZED_BODY_DRAIN_FACTOR = 8;
/** Refusals that look like an attack on the devnet rather than a client's mistake. */
const WARN_RULES: ReadonlySet<RpcRefusalRule> = new Set(['deposit-transaction', 'unlocked-signing', 'cheat-code']);

type Context = {
  log: Logger;
  maxBodyBytes: number;
  maxBatchSize: number;
  forward: (body: JsonRpcRequest | JsonRpcRequest[]) => Promise<unknown>;
};

type Reply = { status: number; payload?: JsonRpcResponse | JsonRpcResponse[] };

/**
 * Starts the JSON-RPC gateway that is the only RPC published from the devnet host. It forwards standard reads and
 * signed raw transactions to anvil and refuses the rest (see rpcMethodPolicy): anvil's own RPC would let anyone
 * mint L2 ETH with an unsigned type-0x7e deposit or rewrite state with cheat codes. It answers every input with
 * JSON, never throws while serving, and never logs bodies.
 *
 * @example
 * const gateway = await startRpcGateway({ upstreamUrl: l2.rpcUrl, host: '0.0.0.0', port: 9545 });
 * // clients use gateway.url; later:
 * await gateway.stop();
 */
export async function startRpcGateway(parameters: StartRpcGatewayParameters): Promise<StartRpcGatewayReturnType> {
  const {
    host,
    port,
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    maxBatchSize = DEFAULT_MAX_BATCH_SIZE,
    upstreamTimeoutMs = DEFAULT_UPSTREAM_TIMEOUT_MS,
  } = parameters;
  const upstream = parseUpstreamUrl(parameters.upstreamUrl);
  for (const [name, value] of Object.entries({ maxBodyBytes, maxBatchSize, upstreamTimeoutMs }))
    if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('port must be 0 to 65535');

  const log = createLogger('RpcGateway');
  const agent = upstream.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const context: Context = {
    log,
    maxBodyBytes,
    maxBatchSize,
    forward: (body) => postUpstream(upstream, agent, upstreamTimeoutMs, JSON.stringify(body)),
  };

  // Slow clients must not hold sockets open forever.
  const server = createServer({ requestTimeout: 60_000, headersTimeout: 10_000 }, (req, res) => {
    handleHttpRequest(req, res, context).catch((err: unknown) => {
      log.error({ err }, 'gateway request handler failed');
      send(res, { status: 500, payload: jsonRpcError(null, JSON_RPC_ERROR_CODE.INTERNAL_ERROR, 'internal gateway error') });
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    agent.destroy();
    throw new RpcGatewayStartError(`${host}:${port}`, { details: err instanceof Error ? err.message : String(err), cause: err });
  }
  // Without a listener a late server error would take the whole devnet process down.
  server.on('error', (err) => log.error({ err }, 'gateway server error'));

  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${clientHost(host)}:${boundPort}`;
  log.info({ host, port: boundPort }, 'rpc gateway listening');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive clients would otherwise hold close() open until they hang up.
      server.closeAllConnections();
    }).then(() => {
      agent.destroy();
      log.info({ port: boundPort }, 'rpc gateway stopped');
    }));

  return { url, port: boundPort, stop };
}

function parseUpstreamUrl(upstreamUrl: string): URL {
  let url: URL;
  try {
    url = new URL(upstreamUrl);
  } catch (err) {
    throw new InvalidArgumentError('upstreamUrl is not a URL', { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('upstreamUrl must be an http or https URL', { details: `got ${url.protocol}` });
  return url;
}

/** A URL a client on this machine can use: a wildcard bind address is reachable on loopback. */
function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

async function handleHttpRequest(req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    send(
      res,
      { status: 405, payload: jsonRpcError(null, JSON_RPC_ERROR_CODE.INVALID_REQUEST, 'only POST is accepted') },
      { allow: 'POST' },
    );
    return;
  }
  const body = await readBody(req, context.maxBodyBytes);
  if (body === 'aborted') return;
  if (body === 'too-large') {
    context.log.debug({ remoteAddress: req.socket.remoteAddress }, 'request body too large');
    const message = `the request body exceeds ${context.maxBodyBytes} bytes`;
    send(
      res,
      { status: 413, payload: jsonRpcError(null, JSON_RPC_ERROR_CODE.INVALID_REQUEST, message) },
      { connection: 'close' },
    );
    return;
  }
  send(res, await answerBody(body.toString('utf8'), context, req.socket.remoteAddress));
}

/** Resolves with the whole body, or says why there is none; never rejects. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else if (size > maxBytes * OVERSIZED_BODY_DRAIN_FACTOR) req.destroy();
    });
    req.on('end', () => resolve(size > maxBytes ? 'too-large' : Buffer.concat(chunks)));
    // 'close' without 'end': the client hung up or the body was cut off above; a settled promise ignores it.
    req.on('close', () => resolve('aborted'));
    req.on('error', () => resolve('aborted'));
  });
}

async function answerBody(text: string, context: Context, remoteAddress: string | undefined): Promise<Reply> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    return {
      status: 200,
      payload: jsonRpcError(null, JSON_RPC_ERROR_CODE.PARSE_ERROR, 'parse error: the body is not valid JSON'),
    };
  }
  if (Array.isArray(decoded)) {
    if (decoded.length === 0)
      return { status: 200, payload: jsonRpcError(null, JSON_RPC_ERROR_CODE.INVALID_REQUEST, 'an empty batch is not a request') };
    if (decoded.length > context.maxBatchSize) {
      const message = `a batch may hold at most ${context.maxBatchSize} requests`;
      return { status: 200, payload: jsonRpcError(null, JSON_RPC_ERROR_CODE.INVALID_REQUEST, message) };
    }
  }
  const batch = Array.isArray(decoded);
  const requests: unknown[] = Array.isArray(decoded) ? decoded : [decoded];
  const { responses, upstreamFailed } = await answerRequests(requests, batch, context, remoteAddress);
  const answered = responses.filter((r): r is JsonRpcResponse => r !== undefined);
  // JSON-RPC 2.0: nothing at all comes back when every request was a notification.
  if (answered.length === 0) return { status: 204 };
  return { status: upstreamFailed ? 502 : 200, payload: batch ? answered : answered[0] };
}

type Forwarded = { index: number; id: JsonRpcId; notification: boolean; request: JsonRpcRequest };

/** Answers each request in place: refused and local ones here, the allowed rest in one upstream call. */
async function answerRequests(
  requests: unknown[],
  batch: boolean,
  context: Context,
  remoteAddress: string | undefined,
): Promise<{ responses: (JsonRpcResponse | undefined)[]; upstreamFailed: boolean }> {
  const responses: (JsonRpcResponse | undefined)[] = requests.map(() => undefined);
  const forwarded: Forwarded[] = [];

  requests.forEach((request, index) => {
    const decision = rpcMethodPolicy({ request });
    const { id, notification } = identify(request);
    if (!decision.allowed) {
      const method = methodOf(request);
      const level = WARN_RULES.has(decision.rule) ? 'warn' : 'debug';
      context.log[level]({ method, rule: decision.rule, code: decision.code, remoteAddress }, 'request refused');
      // A notification gets no answer, but a malformed request is no notification.
      if (!notification || decision.rule === 'invalid-request')
        responses[index] = jsonRpcError(id, decision.code, decision.reason);
      return;
    }
    if ('localResult' in decision) {
      if (!notification) responses[index] = { jsonrpc: '2.0', id, result: decision.localResult };
      return;
    }
    const { method, params } = request as JsonRpcRequest;
    // Upstream ids are batch positions: a client's ids may repeat or be absent, positions cannot.
    forwarded.push({
      index,
      id,
      notification,
      request: { jsonrpc: '2.0', id: index, method, ...(params === undefined ? {} : { params }) },
    });
  });
  if (forwarded.length === 0) return { responses, upstreamFailed: false };

  let answer: unknown;
  try {
    answer = await context.forward(batch ? forwarded.map((f) => f.request) : forwarded[0]!.request);
  } catch (err) {
    context.log.warn({ err, requests: forwarded.length }, 'upstream request failed');
    for (const f of forwarded)
      if (!f.notification)
        responses[f.index] = jsonRpcError(f.id, JSON_RPC_ERROR_CODE.INTERNAL_ERROR, 'the node behind the gateway did not answer');
    return { responses, upstreamFailed: true };
  }

  const byPosition = new Map<unknown, Record<string, unknown>>();
  if (!batch && isRecord(answer)) byPosition.set(forwarded[0]!.index, answer);
  else if (Array.isArray(answer)) for (const r of answer) if (isRecord(r)) byPosition.set(r.id, r);
  for (const f of forwarded) if (!f.notification) responses[f.index] = relayed(byPosition.get(f.index), f.id);
  return { responses, upstreamFailed: false };
}

/** The node's answer under the client's own id; only `result` or `error` pass through. */
function relayed(response: Record<string, unknown> | undefined, id: JsonRpcId): JsonRpcResponse {
  if (response && isRecord(response.error)) {
    const { code, message, data } = response.error;
    if (typeof code === 'number' && typeof message === 'string')
      return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
  }
  if (response && 'result' in response) return { jsonrpc: '2.0', id, result: response.result };
  return jsonRpcError(id, JSON_RPC_ERROR_CODE.INTERNAL_ERROR, 'the node gave no valid answer to this request');
}

function identify(request: unknown): { id: JsonRpcId; notification: boolean } {
  if (!isRecord(request)) return { id: null, notification: false };
  if (!('id' in request)) return { id: null, notification: true };
  return { id: isJsonRpcId(request.id) ? request.id : null, notification: false };
}

function methodOf(request: unknown): string | undefined {
  return isRecord(request) && typeof request.method === 'string' ? request.method.slice(0, 64) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function send(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  if (reply.payload === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const body = JSON.stringify(reply.payload);
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** One POST to the node; resolves with its decoded JSON body, rejects with RpcUpstreamError. */
function postUpstream(url: URL, agent: HttpAgent | HttpsAgent, timeoutMs: number, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fail = (details: string, cause?: unknown) => reject(new RpcUpstreamError({ details, cause }));
    const options = {
      method: 'POST',
      agent,
      timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (err) => fail('the response was cut off', err));
      response.on('end', () => {
        if (response.statusCode !== 200) return fail(`HTTP ${response.statusCode}`);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          fail('the response is not JSON', err);
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (err) => fail(err.message, err));
    request.end(body);
  });
}
