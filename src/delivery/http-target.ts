/**
 * One delivery attempt to an API destination, made as Amazon EventBridge makes it. The
 * dispatcher (src/delivery/dispatcher.ts) calls `HttpTargets.invoke` once per attempt and
 * classifies the outcome with classifyFailure (src/delivery/retry.ts); nothing here retries.
 * The request it sends is specified in docs/api-destinations.md, "Invoking an API destination".
 *
 *   invoke(call)
 *     |  connection DEAUTHORIZED? ---------------------------------> failure 'refused'
 *     |  OAuth: cached token fresh? -- no --> token endpoint (checked, pinned, timed) --+
 *     |                                          4xx: connection DEAUTHORIZED, 'refused' |
 *     |                                          other failure: that failure            |
 *     v  <-------------------------------------------------------------------------------+
 *   build the request: endpoint with `*` -> PathParameterValues, query (target, then the
 *   connection's, which wins), headers (target, connection, auth, trace, fixed), body
 *     |
 *   signing secrets? webhook-id (the event id), webhook-timestamp (now, s), webhook-signature
 *   (one `v1,` per secret over the body as sent; src/webhooks/verify.ts, docs/signed-deliveries.md)
 *     |
 *   checkUrl (SSRF) --refused--> 'address-refused' / 'network' (DNS) / 'refused' (bad URL)
 *     |
 *   the pinned agent's request() (one agent per origin and address); one deadline for
 *   connect + headers + body (timeoutMs, or the call's); the body is read up to maxResponseBytes
 *     |
 *   2xx: ok.  Otherwise: 'http' (status, Retry-After), 'timeout' or 'network' (code).
 *   A 401/407 drops the OAuth token it was sent with, so the next attempt fetches a new one.
 *
 * Secrets. The password, API key, client secret, OAuth token and the values of parameters marked
 * IsValueSecret go into the request and nowhere else: error texts name the endpoint by origin
 * and path only (a secret query parameter stays out), and every text an outcome carries is
 * scrubbed of each secret value the call knew, so a target that echoes the Authorization header
 * in its error page does not put the credential into the attempt record. Signing secrets only
 * key the HMAC; they are scrubbed too.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import type { ConnectionSecrets, HttpParameter, HttpParameters } from '../connections/vault.js';
import type { ApiDestination, ConnectionState } from '../domain/connections.js';
import type { Target } from '../domain/model.js';
import { randomHex } from '../domain/ids.js';
import { webhookHeaders } from '../webhooks/verify.js';
import { parseRetryAfter } from './retry.js';
import type { DeliveryFailure } from './retry.js';
import { checkUrl, pinnedAgent, systemResolver } from './ssrf.js';
import type { CheckedTarget, Resolver, SsrfPolicy } from './ssrf.js';

/** Everything one attempt needs. */
export interface ApiDestinationCall {
  /** The API destination: InvocationEndpoint, HttpMethod, ConnectionArn. */
  readonly destination: ApiDestination;
  /** Its connection's credentials in clear (ConnectionVault.connectionSecrets). */
  readonly secrets: ConnectionSecrets;
  /** The rule's target; its HttpParameters (PathParameterValues, HeaderParameters, QueryStringParameters) are used. */
  readonly target: Target;
  /** The body src/transform computed for the target. */
  readonly body: string;
  readonly eventId: string;
  /** PutEvents' TraceHeader for the event, if it had one. */
  readonly traceHeader?: string | undefined;
  /** This request's deadline in ms (the target's timeout-seconds option); default `timeoutMs`. */
  readonly timeoutMs?: number | undefined;
}

/** What one attempt came to. `error` is for the attempt record and holds no secret. */
export type AttemptOutcome =
  | { readonly ok: true; readonly status: number; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly failure: DeliveryFailure;
      /** The target's status, when it answered. */
      readonly status?: number;
      /** The delay the target's Retry-After asked for (parseRetryAfter); null when it set none. */
      readonly retryAfterMs: number | null;
      readonly latencyMs: number;
      readonly error: string;
    };

export interface HttpTargetsOptions {
  /** SSRF policy (ssrfPolicy in src/delivery/ssrf.ts), checked before every request. */
  readonly ssrf: SsrfPolicy;
  /** Resolves endpoint host names. Default: the system resolver. */
  readonly resolve?: Resolver;
  /** The deadline of one request (connect, headers and body), in ms. Default 5000, EventBridge's. */
  readonly timeoutMs?: number;
  /** How much of a response body is read; the rest is discarded. Default 65536. */
  readonly maxResponseBytes?: number;
  /** The clock (epoch ms): token expiry, Retry-After dates and latencies. */
  readonly now: () => number;
  /**
   * Told when an OAuth connection's state should change: 'AUTHORIZED' once a token is obtained
   * for a connection that was not AUTHORIZED, 'DEAUTHORIZED' (with the reason) when the
   * authorization endpoint refuses the client credentials. Wire it to ConnectionVault.setState.
   * Errors it throws are ignored (the attempt's outcome does not depend on it).
   */
  readonly onConnectionState?: (connectionArn: string, state: ConnectionState, reason?: string) => void | Promise<void>;
  /** Agents kept (one per origin and address); the least recently used is closed past this. Default 256. */
  readonly maxAgents?: number;
}

/** The headers EventBridge documents on every API destination request ("Headers included in requests to API destinations"). */
export const API_DESTINATION_HEADERS = {
  'user-agent': 'Amazon/EventBridge/ApiDestinations',
  'content-type': 'application/json; charset=utf-8',
  range: 'bytes=0-1048575',
  'accept-encoding': 'gzip,deflate',
} as const;

/**
 * Header names that target and connection parameters cannot set: EventBridge's fixed ones, the
 * ones the HTTP client owns (undici refuses several outright), and the trace and Standard
 * Webhooks signature headers Switchyard sets itself. Content-Type can be overridden.
 */
const RESERVED_HEADERS = new Set([
  'user-agent',
  'range',
  'accept-encoding',
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-authorization',
  'traceparent',
  'x-amzn-trace-id',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);

/** An OAuth token is refreshed when it expires within this margin (EventBridge: 60 seconds). */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

interface CachedToken {
  /** A digest of the OAuth parameters it was obtained with: new credentials, new token. */
  readonly fingerprint: string;
  readonly accessToken: string;
  /** When to fetch a new one (epoch ms); Infinity when the endpoint gave no expires_in. */
  readonly refreshAt: number;
}

/** A request the attempt failed before or while making. */
class AttemptError extends Error {
  constructor(
    readonly failure: DeliveryFailure,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

type OAuthParameters = NonNullable<ConnectionSecrets['authParameters']['OAuthParameters']>;

/**
 * Makes attempts to API destinations. One per server: it holds the OAuth tokens (in memory only,
 * by connection ARN) and the connection agents. close() when done.
 */
export class HttpTargets {
  readonly #ssrf: SsrfPolicy;
  readonly #resolve: Resolver;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #now: () => number;
  readonly #onConnectionState: HttpTargetsOptions['onConnectionState'];
  readonly #maxAgents: number;
  /** Agents by origin and pinned address, in least-recently-used order. */
  readonly #agents = new Map<string, Agent>();
  readonly #tokens = new Map<string, CachedToken>();
  /** Token requests under way, by connection ARN: concurrent attempts share one. */
  readonly #fetching = new Map<string, { fingerprint: string; promise: Promise<CachedToken> }>();
  #closed = false;

  constructor(options: HttpTargetsOptions) {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const maxResponseBytes = options.maxResponseBytes ?? 65_536;
    const maxAgents = options.maxAgents ?? 256;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    if (!Number.isInteger(maxResponseBytes) || maxResponseBytes < 0) throw new RangeError(`maxResponseBytes must be an integer >= 0, got ${maxResponseBytes}`);
    if (!Number.isInteger(maxAgents) || maxAgents < 1) throw new RangeError(`maxAgents must be an integer >= 1, got ${maxAgents}`);
    this.#ssrf = options.ssrf;
    this.#resolve = options.resolve ?? systemResolver;
    this.#timeoutMs = timeoutMs;
    this.#maxResponseBytes = maxResponseBytes;
    this.#now = options.now;
    this.#onConnectionState = options.onConnectionState;
    this.#maxAgents = maxAgents;
  }

  /** Make one attempt. Never throws for a failed attempt: the outcome says how it failed. */
  async invoke(call: ApiDestinationCall): Promise<AttemptOutcome> {
    const started = this.#now();
    const secrets = secretValues(call.secrets);
    let tokenUsed: CachedToken | undefined;
    const fail = (failure: DeliveryFailure, error: string, extra: { status?: number; retryAfterMs?: number | null } = {}): AttemptOutcome => {
      const scrubbed = scrub(error, [...secrets, ...(tokenUsed === undefined ? [] : [tokenUsed.accessToken])]);
      return {
        ok: false,
        failure,
        ...(extra.status === undefined ? {} : { status: extra.status }),
        retryAfterMs: extra.retryAfterMs ?? null,
        latencyMs: Math.max(0, this.#now() - started),
        error: scrubbed,
      };
    };
    if (this.#closed) return fail({ kind: 'refused' }, 'Switchyard is shutting down');
    const { secrets: connection } = call;
    if (connection.state === 'DEAUTHORIZED' || connection.state === 'DEAUTHORIZING' || connection.state === 'DELETING') {
      return fail({ kind: 'refused' }, `The connection ${connection.connectionArn} is ${connection.state}`);
    }
    try {
      let authorization: Record<string, string> = {};
      if (connection.authorizationType === 'OAUTH_CLIENT_CREDENTIALS') {
        tokenUsed = await this.#token(connection);
        authorization = { authorization: `Bearer ${tokenUsed.accessToken}` };
      } else {
        authorization = authHeaders(connection);
      }
      const req = buildRequest(call, authorization);
      if (connection.signingSecrets.length > 0) {
        // Signed at this attempt's time: a retry keeps webhook-id (the event id) with a fresh
        // timestamp and signature, so a receiver's replay window never outlasts the retries.
        Object.assign(req.headers, webhookHeaders(connection.signingSecrets, call.eventId, Math.floor(this.#now() / 1000), req.body ?? ''));
      }
      const res = await this.#send(req.url, { method: req.method, headers: req.headers, body: req.body }, call.timeoutMs);
      if (res.status >= 200 && res.status <= 299) return { ok: true, status: res.status, latencyMs: Math.max(0, this.#now() - started) };
      if ((res.status === 401 || res.status === 407) && tokenUsed !== undefined) this.#dropToken(connection.connectionArn, tokenUsed);
      const retryAfterMs = parseRetryAfter(firstHeader(res.headers['retry-after']), this.#now());
      return fail(
        { kind: 'http', status: res.status, isApiDestination: true },
        `${req.method} ${describeUrl(req.url)} answered HTTP ${res.status}${res.excerpt === '' ? '' : `: ${res.excerpt}`}`,
        { status: res.status, retryAfterMs },
      );
    } catch (e) {
      if (e instanceof AttemptError) return fail(e.failure, e.message, e.status === undefined ? {} : { status: e.status });
      // A bug, not an outcome of the target; still never let a secret out through its message.
      return fail({ kind: 'network', code: 'ERR_INTERNAL' }, `Internal error while invoking the API destination: ${String((e as Error)?.message ?? e)}`);
    }
  }

  /** Close every agent. Attempts after this fail with 'refused'. */
  async close(): Promise<void> {
    this.#closed = true;
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    this.#tokens.clear();
    await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
  }

  // --- OAuth ------------------------------------------------------------------------------------

  /** A fresh token for the connection: the cached one, or one fetched now (shared by concurrent attempts). */
  async #token(connection: ConnectionSecrets): Promise<CachedToken> {
    const oauth = connection.authParameters.OAuthParameters;
    if (oauth === undefined) throw new AttemptError({ kind: 'refused' }, 'The connection has no OAuthParameters');
    const arn = connection.connectionArn;
    const fingerprint = createHash('sha256').update(JSON.stringify(oauth)).digest('base64url');
    const cached = this.#tokens.get(arn);
    if (cached !== undefined && cached.fingerprint === fingerprint && this.#now() < cached.refreshAt) return cached;
    const pending = this.#fetching.get(arn);
    if (pending !== undefined && pending.fingerprint === fingerprint) return pending.promise;
    const promise = this.#fetchToken(oauth, fingerprint).then(
      async (token) => {
        this.#tokens.set(arn, token);
        if (connection.state !== 'AUTHORIZED') await this.#tellState(arn, 'AUTHORIZED');
        return token;
      },
      async (e: unknown) => {
        this.#tokens.delete(arn);
        if (e instanceof AttemptError && e.failure.kind === 'refused' && e.status !== undefined) {
          await this.#tellState(arn, 'DEAUTHORIZED', scrub(e.message, secretValues(connection)));
        }
        throw e;
      },
    );
    const entry = { fingerprint, promise };
    this.#fetching.set(arn, entry);
    try {
      return await promise;
    } finally {
      if (this.#fetching.get(arn) === entry) this.#fetching.delete(arn);
    }
  }

  /**
   * The client-credentials grant (RFC 6749 section 4.4) against AuthorizationEndpoint with
   * HttpMethod: grant_type=client_credentials, client_id and client_secret as form fields (in the
   * query string for GET), then OAuthHttpParameters' body, query and header parameters (which may
   * replace grant_type, e.g. to add a scope or audience). The answer must be a 2xx JSON object
   * with a string access_token; expires_in (seconds) sets the refresh time.
   */
  async #fetchToken(oauth: OAuthParameters, fingerprint: string): Promise<CachedToken> {
    const method = (oauth.HttpMethod ?? 'POST').toUpperCase();
    const extra: HttpParameters = oauth.OAuthHttpParameters ?? {};
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: oauth.ClientParameters.ClientID, client_secret: oauth.ClientParameters.ClientSecret });
    for (const [k, v] of parameterEntries(extra.BodyParameters)) form.set(k, v);
    let url: URL;
    try {
      url = new URL(oauth.AuthorizationEndpoint);
    } catch {
      throw new AttemptError({ kind: 'refused' }, 'The connection\'s AuthorizationEndpoint is not a URL');
    }
    for (const [k, v] of parameterEntries(extra.QueryStringParameters)) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'user-agent': API_DESTINATION_HEADERS['user-agent'], accept: 'application/json' };
    for (const [k, v] of parameterEntries(extra.HeaderParameters)) {
      if (!RESERVED_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
    }
    let body: string | undefined;
    if (method === 'GET' || method === 'HEAD') {
      for (const [k, v] of form) url.searchParams.set(k, v);
    } else {
      body = form.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const where = `the OAuth authorization endpoint ${describeUrl(url.href)}`;
    let res: SentResponse;
    try {
      res = await this.#send(url.href, { method, headers, body });
    } catch (e) {
      if (e instanceof AttemptError) throw new AttemptError(e.failure, `${where}: ${e.message}`);
      throw e;
    }
    if (res.status < 200 || res.status > 299) {
      const transient = res.status === 408 || res.status === 429 || res.status >= 500;
      const failure: DeliveryFailure = transient ? { kind: 'http', status: res.status, isApiDestination: true } : { kind: 'refused' };
      throw new AttemptError(failure, `${where} answered HTTP ${res.status}${res.excerpt === '' ? '' : `: ${res.excerpt}`}`, res.status);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      parsed = undefined;
    }
    const answer = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (typeof answer.access_token !== 'string' || answer.access_token === '') {
      throw new AttemptError({ kind: 'refused' }, `${where} answered HTTP ${res.status} without an access_token`, res.status);
    }
    const expiresIn = typeof answer.expires_in === 'number' ? answer.expires_in : typeof answer.expires_in === 'string' ? Number(answer.expires_in) : NaN;
    let refreshAt = Infinity;
    if (Number.isFinite(expiresIn) && expiresIn > 0) {
      const lifetime = expiresIn * 1_000;
      // A token shorter-lived than twice the margin is refreshed halfway through its life.
      refreshAt = this.#now() + lifetime - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 2);
    }
    return { fingerprint, accessToken: answer.access_token, refreshAt };
  }

  /** Forget `token` (the target refused it), unless a newer one has replaced it meanwhile. */
  #dropToken(connectionArn: string, token: CachedToken): void {
    if (this.#tokens.get(connectionArn) === token) this.#tokens.delete(connectionArn);
  }

  async #tellState(arn: string, state: ConnectionState, reason?: string): Promise<void> {
    try {
      await this.#onConnectionState?.(arn, state, reason);
    } catch {
      // The state is bookkeeping; the attempt's outcome stands.
    }
  }

  // --- Sending ----------------------------------------------------------------------------------

  /**
   * One request: checkUrl, the pinned agent, one deadline for everything, the body read up to
   * the cap. Throws AttemptError for every way it can fail short of an HTTP answer.
   */
  async #send(
    url: string,
    init: { method: string; headers: Record<string, string>; body: string | undefined },
    timeoutMs = this.#timeoutMs,
  ): Promise<SentResponse> {
    const checked = await checkUrl(url, this.#ssrf, this.#resolve);
    if (!checked.ok) {
      switch (checked.reason) {
        case 'address-refused':
          throw new AttemptError({ kind: 'address-refused', detail: checked.message }, checked.message);
        case 'dns-failure': {
          const code = /\((E[A-Z_]+)\)/.exec(checked.message)?.[1] ?? 'ENOTFOUND';
          throw new AttemptError({ kind: 'network', code }, checked.message);
        }
        default:
          // invalid-url, unsupported-protocol, credentials-in-url: the message may hold the URL.
          throw new AttemptError({ kind: 'refused' }, `The endpoint is not usable (${checked.reason})`);
      }
    }
    const agent = this.#agent(checked);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const res = await agent.request({
        origin: checked.url.origin,
        path: `${checked.url.pathname}${checked.url.search}`,
        method: init.method as 'POST',
        headers: init.headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const raw = await readCapped(res.body, this.#maxResponseBytes);
      const encoding = firstHeader(res.headers['content-encoding']);
      const text = encoding === undefined || encoding === 'identity' ? raw.toString('utf8') : '';
      return { status: res.statusCode, headers: res.headers, text, excerpt: excerpt(text) };
    } catch (e) {
      if (timedOut || isTimeout(e)) throw new AttemptError({ kind: 'timeout' }, `${init.method} ${describeUrl(url)}: no complete answer within ${timeoutMs} ms`);
      const code = (e as { code?: unknown }).code;
      if (code === 'UND_ERR_INVALID_ARG') {
        // A header name or value undici refuses (its message names the header, never its value).
        throw new AttemptError({ kind: 'refused' }, `The request is not valid HTTP: ${(e as Error).message}`);
      }
      const netCode = networkCode(e);
      throw new AttemptError({ kind: 'network', code: netCode }, `${init.method} ${describeUrl(url)}: connection failed (${netCode})`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The agent pinned to `checked`'s address, shared by every request to that origin and address. */
  #agent(checked: CheckedTarget): Agent {
    const key = `${checked.url.origin} ${checked.address}`;
    const found = this.#agents.get(key);
    if (found !== undefined) {
      this.#agents.delete(key);
      this.#agents.set(key, found);
      return found;
    }
    const agent = pinnedAgent(checked, { connectTimeoutMs: this.#timeoutMs });
    this.#agents.set(key, agent);
    if (this.#agents.size > this.#maxAgents) {
      const [oldestKey, oldest] = this.#agents.entries().next().value as [string, Agent];
      this.#agents.delete(oldestKey);
      // Requests under way on it finish first: close() waits for them.
      void oldest.close().catch(() => undefined);
    }
    return agent;
  }
}

interface SentResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body as read (up to the cap), as text; '' when it was content-encoded. */
  readonly text: string;
  /** A short, single-line excerpt of it for error texts. */
  readonly excerpt: string;
}

// --- Building the request -------------------------------------------------------------------------

/** The target's HttpParameters, as PutTargets took them (string maps and a string list). */
interface TargetHttpParameters {
  readonly PathParameterValues?: readonly string[];
  readonly HeaderParameters?: Readonly<Record<string, string>>;
  readonly QueryStringParameters?: Readonly<Record<string, string>>;
}

/** The method, URL, headers and body of the attempt. Exported for tests of the pure part. */
export function buildRequest(call: ApiDestinationCall, authorization: Readonly<Record<string, string>>): {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
} {
  const targetParams = (call.target.HttpParameters ?? {}) as TargetHttpParameters;
  const connParams: HttpParameters = call.secrets.authParameters.InvocationHttpParameters ?? {};
  const method = call.destination.httpMethod.toUpperCase();

  // The endpoint's `*` wildcards, in order, from PathParameterValues (each URL-encoded as one segment).
  const values = targetParams.PathParameterValues ?? [];
  let i = 0;
  const endpoint = call.destination.invocationEndpoint.replace(/\*/g, (star) => (i < values.length ? encodeURIComponent(values[i++] as string) : star));
  const url = new URL(endpoint);
  // Query: the endpoint's own, then the target's, then the connection's (which wins on a conflict).
  for (const [k, v] of Object.entries(targetParams.QueryStringParameters ?? {})) url.searchParams.set(k, v);
  for (const [k, v] of parameterEntries(connParams.QueryStringParameters)) url.searchParams.set(k, v);

  // Headers, later ones winning: Content-Type default, target, connection, auth, trace, fixed.
  const headers: Record<string, string> = { 'content-type': API_DESTINATION_HEADERS['content-type'] };
  const add = (k: string, v: string): void => {
    const name = k.toLowerCase();
    if (!RESERVED_HEADERS.has(name)) headers[name] = v;
  };
  for (const [k, v] of Object.entries(targetParams.HeaderParameters ?? {})) add(k, v);
  for (const [k, v] of parameterEntries(connParams.HeaderParameters)) add(k, v);
  for (const [k, v] of Object.entries(authorization)) add(k, v);
  headers.traceparent = traceparent(call.traceHeader, call.eventId);
  if (call.traceHeader !== undefined && call.traceHeader !== '') headers['x-amzn-trace-id'] = call.traceHeader;
  headers['user-agent'] = API_DESTINATION_HEADERS['user-agent'];
  headers.range = API_DESTINATION_HEADERS.range;
  headers['accept-encoding'] = API_DESTINATION_HEADERS['accept-encoding'];

  // GET and HEAD carry no body; the connection's BodyParameters join a JSON object body.
  const body = method === 'GET' || method === 'HEAD' ? undefined : withBodyParameters(call.body, connParams.BodyParameters);
  if (body === undefined) delete headers['content-type'];
  return { method, url: url.href, headers, body };
}

/**
 * The body with the connection's BodyParameters as top-level members, when the body is a JSON
 * object (they replace members of the same name, as the connection's parameters win elsewhere).
 * Any other body (a string, an array, text from an InputTransformer) is sent as it is.
 */
export function withBodyParameters(body: string, params: readonly HttpParameter[] | undefined): string {
  const entries = parameterEntries(params);
  if (entries.length === 0) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return body;
  const merged = parsed as Record<string, unknown>;
  for (const [k, v] of entries) merged[k] = v;
  return JSON.stringify(merged);
}

/** Authorization headers for BASIC and API_KEY connections. */
function authHeaders(connection: ConnectionSecrets): Record<string, string> {
  const p = connection.authParameters;
  switch (connection.authorizationType) {
    case 'BASIC': {
      const basic = p.BasicAuthParameters;
      if (basic === undefined) throw new AttemptError({ kind: 'refused' }, 'The connection has no BasicAuthParameters');
      return { authorization: `Basic ${Buffer.from(`${basic.Username}:${basic.Password}`, 'utf8').toString('base64')}` };
    }
    case 'API_KEY': {
      const key = p.ApiKeyAuthParameters;
      if (key === undefined) throw new AttemptError({ kind: 'refused' }, 'The connection has no ApiKeyAuthParameters');
      return { [key.ApiKeyName]: key.ApiKeyValue };
    }
    default:
      return {};
  }
}

/** A connection parameter list as [key, value] pairs (entries without a Key are skipped). */
function parameterEntries(params: readonly HttpParameter[] | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const p of params ?? []) {
    if (typeof p.Key === 'string' && p.Key !== '') out.push([p.Key, p.Value ?? '']);
  }
  return out;
}

// --- Trace context ------------------------------------------------------------------------------

const XRAY_ROOT = /(?:^|;)\s*Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})\s*(?:;|$)/;
const XRAY_PARENT = /(?:^|;)\s*Parent=([0-9a-fA-F]{16})\s*(?:;|$)/;
const XRAY_SAMPLED = /(?:^|;)\s*Sampled=1\s*(?:;|$)/;

/**
 * A W3C traceparent for the attempt. From an X-Ray TraceHeader
 * (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`): the trace id is
 * the Root's time and id joined (5759e988bd862e3fe1be46a994272793, as X-Ray maps the two), the
 * parent id is Parent (a new one when absent), the flags say Sampled. Without one: the trace id is
 * the event id's 32 hex digits when it is a UUID (so every attempt for an event shares a trace),
 * else random; a new parent id; not sampled.
 */
export function traceparent(traceHeader: string | undefined, eventId: string): string {
  const root = traceHeader === undefined ? null : XRAY_ROOT.exec(traceHeader);
  if (root !== null && traceHeader !== undefined) {
    const traceId = `${root[1]}${root[2]}`.toLowerCase();
    const parent = XRAY_PARENT.exec(traceHeader)?.[1]?.toLowerCase();
    const parentId = parent !== undefined && !/^0+$/.test(parent) ? parent : spanId();
    if (!/^0+$/.test(traceId)) return `00-${traceId}-${parentId}-${XRAY_SAMPLED.test(traceHeader) ? '01' : '00'}`;
  }
  const hex = eventId.replace(/-/g, '').toLowerCase();
  const traceId = /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : randomHex(16);
  return `00-${traceId}-${spanId()}-00`;
}

function spanId(): string {
  let id = randomHex(8);
  while (/^0+$/.test(id)) id = randomHex(8);
  return id;
}

// --- Errors and secrets ---------------------------------------------------------------------------

/** Every secret value of a connection, for scrubbing texts. */
function secretValues(connection: ConnectionSecrets): string[] {
  const p = connection.authParameters;
  const out: string[] = [];
  if (p.BasicAuthParameters !== undefined) {
    out.push(p.BasicAuthParameters.Password);
    out.push(Buffer.from(`${p.BasicAuthParameters.Username}:${p.BasicAuthParameters.Password}`, 'utf8').toString('base64'));
  }
  if (p.ApiKeyAuthParameters !== undefined) out.push(p.ApiKeyAuthParameters.ApiKeyValue);
  if (p.OAuthParameters !== undefined) {
    out.push(p.OAuthParameters.ClientParameters.ClientSecret);
    out.push(...secretParameterValues(p.OAuthParameters.OAuthHttpParameters));
  }
  out.push(...secretParameterValues(p.InvocationHttpParameters));
  out.push(...connection.signingSecrets);
  return out;
}

function secretParameterValues(params: HttpParameters | undefined): string[] {
  const lists = [params?.HeaderParameters, params?.QueryStringParameters, params?.BodyParameters];
  return lists.flatMap((list) => (list ?? []).filter((p) => p.IsValueSecret === true && typeof p.Value === 'string').map((p) => p.Value as string));
}

/** `text` with every occurrence of each secret (and its URL-encoded form) replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s === '') continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(new URLSearchParams({ s }).toString().slice(2));
  }
  // Longest first, so a secret containing another is replaced whole.
  for (const s of [...forms].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}

/**
 * The first `cap` bytes of a response body; the rest is not read (the body is destroyed, and its
 * connection with it, when it is longer). Listeners rather than an async iterator: this runs for
 * every delivery, and the iterator's machinery cost more than the read.
 */
function readCapped(body: Readable, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      body.off('data', onData);
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      const room = cap - size;
      if (chunk.length < room) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      if (room > 0) chunks.push(chunk.subarray(0, room));
      size = cap;
      body.off('end', done);
      body.off('error', reject);
      // Discard the rest (and the connection with it).
      body.on('error', () => undefined);
      body.destroy();
      done();
    };
    body.on('data', onData);
    body.once('end', done);
    body.once('error', reject);
  });
}

/** A URL for error texts: origin and path, never the query (it may hold secret parameters). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

/** The Node or undici code of a connection failure (ECONNREFUSED, UND_ERR_SOCKET, ...). */
function networkCode(e: unknown): string {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'UND_ERR_UNKNOWN';
}
