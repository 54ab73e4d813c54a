import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';

import { errorResponse } from '../middleware/error.filter';
import { parseValidSubmitJob, SubmitJobDto } from './dto/submit-job.dto';
import type { JobsService } from './jobs.service';

export type InstallIntakeRouteParameters = {
  server: Server;
  jobs: Pick<JobsService, 'submit'>;
  /** The app's global validation pipe: a body the fast check does not pass is worded by class-validator, as before. */
  pipe: PipeTransform;
  maxBodyBytes: number;
};

const BODY: ArgumentMetadata = { type: 'body', metatype: SubmitJobDto, data: '' };
/** What express.json() parses; anything else (another charset, a compressed body) takes the ordinary route. */
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

class BodyTooLargeError extends Error {
  readonly type = 'entity.too.large';
  readonly status = 413;
}
class BodyAbortedError extends Error {}
class BodyParseError extends Error {
  readonly type = 'entity.parse.failed';
  readonly status = 400;
}

/**
 * `POST /v1/jobs` served straight from the HTTP server, ahead of Express and Nest's pipeline: intake is the hot path
 * (every requester's every job), and Express routing, body-parser and Nest's router cost about as much CPU as the
 * request's own checks. Hand-rolled on purpose, and small: the same body limit, the same JSON rules (a top-level
 * object, UTF-8), the same validation (the fast check, else the app's ValidationPipe), the same JobsService.submit
 * and the same error bodies (errorResponse) as the controller. Every other request, and an intake request this route
 * does not take (another content type, a content encoding), goes to Express untouched: JobsController.submit stays
 * the documented route and serves those.
 */
export function installIntakeRoute({ server, jobs, pipe, maxBodyBytes }: InstallIntakeRouteParameters): void {
  const fallback = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (takes(req)) void serve(req, res);
    else for (const listener of fallback) listener.call(server, req, res);
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = parseJson(await readBody(req, maxBodyBytes));
      const dto = parseValidSubmitJob(body) ?? ((await pipe.transform(body, BODY)) as SubmitJobDto);
      send(res, 202, await jobs.submit(dto));
    } catch (err) {
      // The client went away mid-body: no one to answer.
      if (err instanceof BodyAbortedError) return;
      const { status, body } = errorResponse(err);
      // A body over the limit was not read to its end: the connection cannot carry another request.
      if (err instanceof BodyTooLargeError) res.setHeader('connection', 'close');
      send(res, status, body);
    }
  }
}

function takes(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  const path = url.indexOf('?') === -1 ? url : url.slice(0, url.indexOf('?'));
  if (path !== '/v1/jobs' && path !== '/v1/jobs/') return false;
  const encoding = req.headers['content-encoding'];
  return JSON_TYPE.test(req.headers['content-type'] ?? '') && (encoding === undefined || encoding === 'identity');
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      reject(new BodyTooLargeError('request entity too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError('request entity too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    // A client that goes away mid-body ends the request with an error (ECONNRESET, 'aborted') before 'close'.
    req.once('error', (err) => reject(req.complete ? err : new BodyAbortedError(err.message)));
    req.once('close', () => {
      if (!req.complete) reject(new BodyAbortedError('the client closed the request before its end'));
    });
  });
}

/** express.json()'s strict mode: only an object or an array at the top level. */
function parseJson(raw: Buffer): unknown {
  // express.json() strips a UTF-8 byte order mark; JSON.parse does not.
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[')
    throw new BodyParseError(first === undefined ? 'the body is empty' : `unexpected token '${first}' at the top level`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BodyParseError((err as Error).message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
