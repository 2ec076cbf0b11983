/**
 * The HTTP edge: one node:http server for the whole wire interface of ../shared/SPEC.md.
 *
 *   GET  /health                     readiness (200 once the store is open and delivery runs)
 *   POST /   X-Amz-Target: AWSEvents.<Op>   EventBridge, AWS JSON 1.1
 *
 * For each API request: read the body (capped), authenticate (auth.ts), decode the AWS JSON
 * input, run the operation's handler, and encode its output; any thrown SwitchyardError becomes
 * AWS's error body here and nowhere else. A fault that is not a SwitchyardError is logged and
 * answered as InternalException (500); the server never crashes on a request.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwitchyardError } from '../domain/errors.js';
import { authenticate } from './auth.js';
import type { AuthPolicy } from './auth.js';

/** Who is calling, as authentication established it. */
export interface Caller {
  readonly account: string;
  readonly region: string;
  readonly accessKeyId?: string;
}

export interface RequestContext {
  readonly caller: Caller;
  readonly requestId: string;
  /** The operation's name, e.g. 'PutRule' (its IAM action is 'events:PutRule'). */
  readonly operation: string;
}

export type Handler = (ctx: RequestContext, input: Record<string, unknown>) => Promise<unknown>;

/** A service on the AWS JSON protocol: its X-Amz-Target prefix and operations. */
export interface JsonService {
  /** 'AWSEvents' or 'AmazonSQS'. */
  readonly targetPrefix: string;
  /** SigV4 service name: 'events' or 'sqs'. */
  readonly signingName: string;
  /** 'application/x-amz-json-1.1' or '-1.0'. */
  readonly contentType: string;
  readonly operations: ReadonlyMap<string, Handler>;
}

export interface EdgeOptions {
  readonly services: readonly JsonService[];
  readonly auth: AuthPolicy;
  /** Whether readiness should be reported. */
  readonly ready: () => boolean;
  readonly log: (line: Record<string, unknown>) => void;
  /** Largest request body read, in bytes. */
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

export function createEdge(opts: EdgeOptions): Server {
  const byPrefix = new Map(opts.services.map((s) => [s.targetPrefix, s]));
  const server = createServer((req, res) => {
    // Once the server is closing, every answer closes its connection, so keep-alive clients
    // cannot hold the process open.
    if (!server.listening) res.setHeader('connection', 'close');
    handle(req, res, opts, byPrefix).catch((e: unknown) => {
      opts.log({ level: 'error', msg: 'request failed', err: String((e as Error)?.stack ?? e) });
      if (!res.headersSent) writeError(res, randomUUID(), new SwitchyardError('InternalException', 'Internal error'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  // A request node cannot parse (bad method, malformed headers) gets a 400, never a silent close.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: EdgeOptions,
  byPrefix: ReadonlyMap<string, JsonService>,
): Promise<void> {
  const requestId = randomUUID();
  const url = req.url ?? '/';
  if (req.method === 'GET' && (url === '/health' || url.startsWith('/health?'))) {
    const ready = opts.ready();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ready ? 'ok' : 'starting' }));
    return;
  }
  if (req.method !== 'POST') {
    req.resume();
    writeXml(res, 403, requestId, 'AccessDeniedException', 'Unable to determine service/operation name to be authorized');
    return;
  }
  const target = header(req, 'x-amz-target');
  const dot = target?.indexOf('.') ?? -1;
  const service = target === undefined || dot < 0 ? undefined : byPrefix.get(target.slice(0, dot));
  if (service === undefined) {
    // Not an API call we know: drain and answer as AWS does for an unknown operation.
    req.resume();
    writeError(res, requestId, new SwitchyardError('UnknownOperationException', ''));
    return;
  }
  const contentType = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== service.contentType && contentType !== 'application/json') {
    // AWS's JSON front end answers a request it cannot decode as JSON with a bare XML 404.
    req.resume();
    res.writeHead(404, { 'content-type': 'application/xml', 'x-amzn-requestid': requestId });
    res.end('<UnknownOperationException/>\n');
    return;
  }
  const body = await readBody(req, opts.maxBodyBytes ?? DEFAULT_MAX_BODY);
  if (body === null) {
    res.setHeader('connection', 'close');
    writeError(res, requestId, new SwitchyardError('RequestEntityTooLargeException', 'Request entity too large'), service);
    if (!req.readableEnded) res.on('finish', () => req.destroy());
    return;
  }
  try {
    const caller = authenticate(req, body, service.signingName, opts.auth);
    const operation = (target as string).slice(dot + 1);
    const handler = service.operations.get(operation);
    if (handler === undefined) throw new SwitchyardError('UnknownOperationException', '');
    const input = decodeInput(body);
    const output = await handler({ caller, requestId, operation }, input);
    const text = JSON.stringify(output ?? {});
    res.writeHead(200, {
      'content-type': service.contentType,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': requestId,
    });
    res.end(text);
  } catch (e) {
    if (!(e instanceof SwitchyardError)) throw e;
    writeError(res, requestId, e, service);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Past this many bytes an oversized body is not even read to its end: the connection is closed. */
const DISCARD_LIMIT = 64 * 1024 * 1024;

/**
 * The body, or null when it is larger than `max`. An oversized body is read to its end and
 * discarded (so the client can read the answer), unless it is larger still than DISCARD_LIMIT.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (declared > DISCARD_LIMIT) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
      else if (size > DISCARD_LIMIT) resolve(null);
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Deepest nesting of objects and arrays accepted in a request body (AWS's inputs need < 10). */
const MAX_INPUT_DEPTH = 64;

/**
 * The body must be a JSON object, nested at most MAX_INPUT_DEPTH deep; AWS answers anything else
 * with a bare SerializationException.
 */
function decodeInput(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SwitchyardError('SerializationException', '');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || tooDeep(parsed)) {
    throw new SwitchyardError('SerializationException', '');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Whether a parsed value nests deeper than MAX_INPUT_DEPTH. Recursive, but never deeper than
 * MAX_INPUT_DEPTH + 1 calls: the walk stops as soon as it gets there.
 */
function tooDeep(value: object, depth = 1): boolean {
  if (depth > MAX_INPUT_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (child !== null && typeof child === 'object' && tooDeep(child as object, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && tooDeep(child, depth + 1)) return true;
  }
  return false;
}

/** AWS's JSON error body; an error AWS sends without a message (e.g. UnknownOperation) has none. */
function writeError(res: ServerResponse, requestId: string, e: SwitchyardError, service?: JsonService): void {
  const body = JSON.stringify(e.message === '' ? { __type: e.code } : { __type: e.code, message: e.message });
  res.writeHead(e.status, {
    'content-type': service?.contentType ?? 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': e.code,
  });
  res.end(body);
}

function writeXml(res: ServerResponse, status: number, requestId: string, code: string, message: string): void {
  const body = `<${code}>\n  <Message>${message}</Message>\n</${code}>\n`;
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amzn-requestid': requestId, 'x-amzn-errortype': code });
  res.end(body);
}

/** Listen, and resolve with the bound port. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
