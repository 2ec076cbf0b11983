/**
 * The HTTP edge: one node:http server for the whole wire interface of ../shared/SPEC.md.
 *
 *   GET  /health                     readiness (200 once the store is open and delivery runs)
 *   POST /   X-Amz-Target: AWSEvents.<Op>   EventBridge, AWS JSON 1.1
 *   POST /   X-Amz-Target: AmazonSQS.<Op>   SQS, AWS JSON 1.0 (awsQueryCompatible)
 *   POST / or /<account>/<queue>, form-encoded Action=<Op>   SQS, query protocol (query.ts)
 *   GET  the same, with the form in the query string
 *
 * For each API request: read the body (capped), authenticate (auth.ts), decode the input (AWS
 * JSON, or the query protocol's form for a service that speaks it), run the operation's handler,
 * and encode its output; any thrown SwitchyardError becomes AWS's error answer here and nowhere
 * else, in the request's protocol. A fault that is not a SwitchyardError is logged and answered as
 * InternalException (500); the server never crashes on a request.
 *
 * Errors on AWS JSON: body `{"__type", "message"}`, headers x-amzn-RequestId and X-Amzn-ErrorType
 * (the `__type`). The service says how its `__type` reads (`errorType`; EventBridge: the code
 * itself) and whether it is awsQueryCompatible, which adds `x-amzn-query-error: <query code>;Sender`
 * (`Receiver` for a 5xx), the code the SDKs report. On the query protocol: XML (query.ts).
 *
 * A request without X-Amz-Target that is a form POST, or a GET with `Action=` in its query
 * string, is a query-protocol request when some service speaks that protocol: it goes to the
 * service whose model has that Action (else the first such service, which answers InvalidAction)
 * and is authenticated with that service's signing name, as on JSON.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ERROR_CATALOGUE, queryCode, SwitchyardError } from '../domain/errors.js';
import type { ErrorCode } from '../domain/errors.js';
import { authenticate } from './auth.js';
import type { AuthPolicy } from './auth.js';
import { decodeQueryInput, encodeQueryError, encodeQueryResponse, hasOperation, parseQueryParams } from './query.js';
import type { QueryProtocol } from './query.js';

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
  /** The Host header the client sent (queue URLs are built on it). */
  readonly host?: string;
  /** Aborted when the client goes away before the answer (ends a long poll). */
  readonly signal?: AbortSignal;
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
  /**
   * The `__type` of an error code on this service's JSON protocol (also its X-Amzn-ErrorType).
   * Absent: the code itself (EventBridge, AWS JSON 1.1). SQS: `com.amazonaws.sqs#<code>` or a
   * Coral type (domain/errors.ts).
   */
  readonly errorType?: (code: ErrorCode) => string;
  /**
   * awsQueryCompatible (SQS): every JSON error also carries `x-amzn-query-error: <query code>;Sender`
   * (`Receiver` for a 5xx), the code domain/errors.ts `queryCode` gives.
   */
  readonly queryCompatible?: boolean;
  /** The service also speaks AWS's query protocol (SQS): form-encoded requests, XML answers. */
  readonly query?: QueryProtocol;
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
  const queryServices = opts.services.filter((s) => s.query !== undefined);
  const server = createServer((req, res) => {
    // Once the server is closing, every answer closes its connection, so keep-alive clients
    // cannot hold the process open.
    if (!server.listening) res.setHeader('connection', 'close');
    handle(req, res, opts, byPrefix, queryServices).catch((e: unknown) => {
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
  queryServices: readonly JsonService[],
): Promise<void> {
  const requestId = randomUUID();
  const url = req.url ?? '/';
  if (req.method === 'GET' && (url === '/health' || url.startsWith('/health?'))) {
    const ready = opts.ready();
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ready ? 'ok' : 'starting' }));
    return;
  }
  if (queryServices.length > 0 && isQueryRequest(req)) {
    await handleQuery(req, res, opts, queryServices, requestId);
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
    const output = await handler(requestContext(req, res, caller, requestId, operation), input);
    const text = JSON.stringify(output ?? {});
    res.writeHead(200, {
      'content-type': service.contentType,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': requestId,
    });
    res.end(text);
  } catch (e) {
    writeError(res, requestId, asSwitchyardError(e, opts), service);
  }
}

/**
 * The handler's context; its signal aborts when the client goes away before the answer. The
 * signal is made when a handler first reads it (a long poll): an AbortController per request,
 * aborted at every response's end, cost the ingest path ~2% (the abort builds a DOMException).
 */
function requestContext(req: IncomingMessage, res: ServerResponse, caller: Caller, requestId: string, operation: string): RequestContext {
  const host = header(req, 'host');
  let gone: AbortController | undefined;
  return {
    caller,
    requestId,
    operation,
    ...(host === undefined ? {} : { host }),
    get signal(): AbortSignal {
      if (gone === undefined) {
        const controller = new AbortController();
        gone = controller;
        if (res.closed) controller.abort();
        else res.once('close', () => controller.abort());
      }
      return gone.signal;
    },
  };
}

/** A form POST, or a GET whose query string has an Action, without X-Amz-Target. */
function isQueryRequest(req: IncomingMessage): boolean {
  if (req.headers['x-amz-target'] !== undefined) return false;
  if (req.method === 'POST') {
    const contentType = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    return contentType === 'application/x-www-form-urlencoded';
  }
  if (req.method !== 'GET') return false;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q >= 0 && new URLSearchParams(url.slice(q + 1)).has('Action');
}

/**
 * A query-protocol request. Its parameters are the URL's query string and the form body (the
 * first occurrence of a name wins, the query string's first); the input is decoded from them with
 * the service's model (query.ts), so the same handlers run as on JSON. Sent to a path other than
 * `/` (a queue URL), that URL fills the protocol's `urlMember` when the form leaves it out.
 */
async function handleQuery(
  req: IncomingMessage,
  res: ServerResponse,
  opts: EdgeOptions,
  services: readonly JsonService[],
  requestId: string,
): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const params = parseQueryParams(q < 0 ? '' : url.slice(q + 1));
  const body = await readBody(req, opts.maxBodyBytes ?? DEFAULT_MAX_BODY);
  if (body !== null) parseQueryParams(body.toString('utf8'), params);
  const action = params.get('Action') ?? '';
  const service = services.find((s) => s.query !== undefined && hasOperation(s.query.model, action)) ?? (services[0] as JsonService);
  const protocol = service.query as QueryProtocol;
  if (body === null) {
    res.setHeader('connection', 'close');
    writeQueryError(res, requestId, protocol, new SwitchyardError('RequestEntityTooLargeException', 'Request entity too large'));
    if (!req.readableEnded) res.on('finish', () => req.destroy());
    return;
  }
  try {
    const caller = authenticate(req, body, service.signingName, opts.auth);
    // Not verified against AWS: what SQS answers a request without an Action.
    if (action === '') throw new SwitchyardError('MissingParameter', 'The request must contain the parameter Action.');
    const handler = service.operations.get(action);
    if (handler === undefined || !hasOperation(protocol.model, action)) {
      throw new SwitchyardError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    const host = header(req, 'host');
    const resourceUrl = path === '/' || path === '' || host === undefined ? undefined : `http://${host}${path}`;
    const input = decodeQueryInput(protocol, action, params, resourceUrl);
    const output = await handler(requestContext(req, res, caller, requestId, action), input);
    const text = encodeQueryResponse(protocol, action, output, requestId);
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': requestId });
    res.end(text);
  } catch (e) {
    writeQueryError(res, requestId, protocol, asSwitchyardError(e, opts));
  }
}

/**
 * A thrown SwitchyardError as it is; any other fault, or an error whose code is missing from the
 * catalogue (a bug: it has no status or wire form), is logged and becomes an InternalException.
 */
function asSwitchyardError(e: unknown, opts: EdgeOptions): SwitchyardError {
  if (e instanceof SwitchyardError && Object.hasOwn(ERROR_CATALOGUE, e.code)) return e;
  opts.log({ level: 'error', msg: 'request failed', err: String((e as Error)?.stack ?? e) });
  return new SwitchyardError('InternalException', 'Internal error');
}

function writeQueryError(res: ServerResponse, requestId: string, protocol: QueryProtocol, e: SwitchyardError): void {
  const text = encodeQueryError(protocol, e.code, e.message, requestId);
  res.writeHead(e.status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': requestId });
  res.end(text);
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

/**
 * AWS's JSON error body; an error AWS sends without a message (e.g. UnknownOperation) has none.
 * The `__type` and the query-error header are the service's (see the module comment).
 */
function writeError(res: ServerResponse, requestId: string, e: SwitchyardError, service?: JsonService): void {
  const type = service?.errorType?.(e.code) ?? e.code;
  const body = JSON.stringify(e.message === '' ? { __type: type } : { __type: type, message: e.message });
  const headers: Record<string, string | number> = {
    'content-type': service?.contentType ?? 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': type,
  };
  if (service?.queryCompatible === true) headers['x-amzn-query-error'] = `${queryCode(e.code)};${e.status >= 500 ? 'Receiver' : 'Sender'}`;
  res.writeHead(e.status, headers);
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
