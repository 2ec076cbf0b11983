// One attempt to an API destination (src/delivery/http-target.ts), against real local HTTP
// servers: a sink that records what it receives and answers as each test asks, and an OAuth
// token endpoint.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConnectionSecrets } from '../src/connections/vault.js';
import type { ApiDestination, AuthorizationType, Connection, ConnectionState } from '../src/domain/connections.js';
import type { Target } from '../src/domain/model.js';
import { HttpTargets, traceparent } from '../src/delivery/http-target.js';
import type { ApiDestinationCall, AttemptOutcome } from '../src/delivery/http-target.js';
import { classifyFailure } from '../src/delivery/retry.js';
import { ssrfPolicy } from '../src/delivery/ssrf.js';
import type { Resolver } from '../src/delivery/ssrf.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Handler = (req: Received, res: ServerResponse) => void;

/** A server recording every request and answering with `handler` (200 by default). */
async function recordingServer(): Promise<{ server: Server; base: string; seen: Received[]; handle: (h: Handler) => void }> {
  const seen: Received[] = [];
  let handler: Handler = (_req, res) => res.writeHead(200).end('ok');
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base, seen, handle: (h) => (handler = h) };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const CONNECTION_ARN = 'arn:aws:events:us-east-1:123456789012:connection/orders/11111111-2222-3333-4444-555555555555';
const EVENT_ID = '6a7e8feb-b491-4cf7-a9f1-bf3703467718';

function secrets(type: AuthorizationType, authParameters: ConnectionSecrets['authParameters'], state: ConnectionState = 'AUTHORIZED'): ConnectionSecrets {
  const connection: Connection = {
    region: 'us-east-1',
    account: '123456789012',
    name: 'orders',
    arn: CONNECTION_ARN,
    secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:events!connection/orders/x-abcdef',
    authorizationType: type,
    state,
    authParameters: {},
    createdAt: 0,
    modifiedAt: 0,
  };
  return new ConnectionSecrets(connection, authParameters);
}

function destination(endpoint: string, httpMethod = 'POST'): ApiDestination {
  return {
    region: 'us-east-1',
    account: '123456789012',
    name: 'orders-webhook',
    arn: 'arn:aws:events:us-east-1:123456789012:api-destination/orders-webhook/9a2e0000-0000-0000-0000-000000000000',
    connectionArn: CONNECTION_ARN,
    invocationEndpoint: endpoint,
    httpMethod,
    invocationRateLimitPerSecond: 300,
    createdAt: 0,
    modifiedAt: 0,
  };
}

const BASIC = secrets('BASIC', { BasicAuthParameters: { Username: 'svc', Password: 'pa55-w0rd-SECRET' } });
const API_KEY = secrets('API_KEY', { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'key-VALUE-secret' } });

function call(endpoint: string, over: Partial<ApiDestinationCall> = {}): ApiDestinationCall {
  return {
    destination: destination(endpoint),
    secrets: BASIC,
    target: { Id: 't1', Arn: destination(endpoint).arn },
    body: '{"detail":{"orderId":"o-1"}}',
    eventId: EVENT_ID,
    ...over,
  };
}

function failed(outcome: AttemptOutcome): Extract<AttemptOutcome, { ok: false }> {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<AttemptOutcome, { ok: false }>;
}

const OPEN = ssrfPolicy('127.0.0.1');

describe('HttpTargets: the request as sent', () => {
  let sink: Awaited<ReturnType<typeof recordingServer>>;
  let targets: HttpTargets;

  before(async () => {
    sink = await recordingServer();
    targets = new HttpTargets({ ssrf: OPEN, now: Date.now });
  });
  after(async () => {
    await targets.close();
    await stop(sink.server);
  });
  beforeEach(() => {
    sink.seen.length = 0;
    sink.handle((_req, res) => res.writeHead(200).end('ok'));
  });

  it('BASIC: Authorization, EventBridge headers, the body as given', async () => {
    const outcome = await targets.invoke(call(`${sink.base}/events`));
    assert.equal(outcome.ok, true);
    assert.equal(sink.seen.length, 1);
    const got = sink.seen[0]!;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/events');
    assert.equal(got.headers.authorization, `Basic ${Buffer.from('svc:pa55-w0rd-SECRET').toString('base64')}`);
    assert.equal(got.headers['user-agent'], 'Amazon/EventBridge/ApiDestinations');
    assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(got.headers.range, 'bytes=0-1048575');
    assert.equal(got.headers['accept-encoding'], 'gzip,deflate');
    assert.equal(got.body, '{"detail":{"orderId":"o-1"}}');
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(got.body)));
  });

  it('API_KEY: the key as the named header', async () => {
    await targets.invoke(call(`${sink.base}/events`, { secrets: API_KEY }));
    assert.equal(sink.seen[0]!.headers['x-api-key'], 'key-VALUE-secret');
    assert.equal(sink.seen[0]!.headers.authorization, undefined);
  });

  it('path wildcards, query and header parameters (the connection wins), body parameters', async () => {
    const conn = secrets('API_KEY', {
      ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'k' },
      InvocationHttpParameters: {
        HeaderParameters: [
          { Key: 'x-tenant', Value: 'acme', IsValueSecret: false },
          { Key: 'User-Agent', Value: 'spoofed' },
        ],
        QueryStringParameters: [
          { Key: 'region', Value: 'eu', IsValueSecret: false },
          { Key: 'sig', Value: 'q-secret', IsValueSecret: true },
        ],
        BodyParameters: [{ Key: 'source', Value: 'switchyard', IsValueSecret: false }],
      },
    });
    const target: Target = {
      Id: 't1',
      Arn: 'arn',
      HttpParameters: {
        PathParameterValues: ['acme corp/1', 'o-1'],
        QueryStringParameters: { region: 'us', page: '2' },
        HeaderParameters: { 'x-tenant': 'other', 'x-request-kind': 'order', 'Content-Type': 'application/vnd.orders+json' },
      },
    };
    const outcome = await targets.invoke(call(`${sink.base}/tenants/*/orders/*?v=1`, { secrets: conn, target, body: '{"source":"aws.events","id":1}' }));
    assert.equal(outcome.ok, true);
    const got = sink.seen[0]!;
    const url = new URL(got.url, sink.base);
    assert.equal(url.pathname, '/tenants/acme%20corp%2F1/orders/o-1');
    assert.deepEqual(Object.fromEntries(url.searchParams), { v: '1', region: 'eu', page: '2', sig: 'q-secret' });
    assert.equal(got.headers['x-tenant'], 'acme');
    assert.equal(got.headers['x-request-kind'], 'order');
    assert.equal(got.headers['user-agent'], 'Amazon/EventBridge/ApiDestinations');
    assert.equal(got.headers['content-type'], 'application/vnd.orders+json');
    assert.deepEqual(JSON.parse(got.body), { source: 'switchyard', id: 1 });
  });

  it('a body that is not a JSON object is sent unchanged; GET sends none', async () => {
    const conn = secrets('API_KEY', {
      ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'k' },
      InvocationHttpParameters: { BodyParameters: [{ Key: 'source', Value: 'switchyard' }] },
    });
    await targets.invoke(call(`${sink.base}/text`, { secrets: conn, body: '"order o-1 shipped"' }));
    assert.equal(sink.seen[0]!.body, '"order o-1 shipped"');
    await targets.invoke({ ...call(`${sink.base}/get`, { secrets: conn }), destination: destination(`${sink.base}/get`, 'GET') });
    assert.equal(sink.seen[1]!.method, 'GET');
    assert.equal(sink.seen[1]!.body, '');
    assert.equal(sink.seen[1]!.headers['content-type'], undefined);
  });

  it('traceparent from an X-Ray TraceHeader, which is passed on as X-Amzn-Trace-Id', async () => {
    const traceHeader = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await targets.invoke(call(`${sink.base}/t`, { traceHeader }));
    assert.equal(sink.seen[0]!.headers.traceparent, '00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01');
    assert.equal(sink.seen[0]!.headers['x-amzn-trace-id'], traceHeader);
  });

  it('without a TraceHeader: a traceparent on the event id, no X-Amzn-Trace-Id', async () => {
    await targets.invoke(call(`${sink.base}/t`));
    assert.match(String(sink.seen[0]!.headers.traceparent), /^00-6a7e8febb4914cf7a9f1bf3703467718-[0-9a-f]{16}-00$/);
    assert.equal(sink.seen[0]!.headers['x-amzn-trace-id'], undefined);
    assert.match(traceparent('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0', 'not-a-uuid'), /^00-5759e988bd862e3fe1be46a994272793-[0-9a-f]{16}-00$/);
    assert.match(traceparent('garbage', 'not-a-uuid'), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});

describe('HttpTargets: outcomes', () => {
  let sink: Awaited<ReturnType<typeof recordingServer>>;
  let targets: HttpTargets;
  const NOW = Date.UTC(2025, 0, 1);

  before(async () => {
    sink = await recordingServer();
    targets = new HttpTargets({ ssrf: OPEN, now: () => NOW, timeoutMs: 200, maxResponseBytes: 1024 });
  });
  after(async () => {
    await targets.close();
    await stop(sink.server);
  });
  beforeEach(() => {
    sink.seen.length = 0;
  });

  it('2xx is delivered', async () => {
    sink.handle((_req, res) => res.writeHead(204).end());
    assert.deepEqual(await targets.invoke(call(`${sink.base}/ok`)), { ok: true, status: 204, latencyMs: 0 });
  });

  it('4xx, 5xx and 429 with Retry-After are failures classified as EventBridge does', async () => {
    const cases: [number, Record<string, string>, boolean, number | null][] = [
      [400, {}, false, null],
      [404, {}, false, null],
      [409, {}, true, null],
      [500, {}, true, null],
      [503, { 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, true, 30_000],
      [429, { 'retry-after': '7' }, true, 7_000],
    ];
    for (const [status, headers, retryable, retryAfterMs] of cases) {
      sink.handle((_req, res) => res.writeHead(status, headers).end('{"message":"nope"}'));
      const f = failed(await targets.invoke(call(`${sink.base}/s`)));
      assert.deepEqual(f.failure, { kind: 'http', status, isApiDestination: true });
      assert.equal(f.status, status);
      assert.equal(f.retryAfterMs, retryAfterMs, `status ${status}`);
      assert.equal(classifyFailure(f.failure).retryable, retryable, `status ${status}`);
      assert.match(f.error, new RegExp(`HTTP ${status}: \\{"message":"nope"\\}`));
    }
  });

  it('a redirect is the answer, never followed', async () => {
    sink.handle((req, res) => (req.url === '/moved' ? res.writeHead(302, { location: `${sink.base}/elsewhere` }).end() : res.writeHead(200).end()));
    const f = failed(await targets.invoke(call(`${sink.base}/moved`)));
    assert.deepEqual(f.failure, { kind: 'http', status: 302, isApiDestination: true });
    assert.equal(classifyFailure(f.failure).retryable, false);
    assert.deepEqual(sink.seen.map((r) => r.url), ['/moved']);
  });

  it('a target that never answers times out after timeoutMs', async () => {
    sink.handle(() => {
      /* never answers */
    });
    const f = failed(await targets.invoke(call(`${sink.base}/hang`)));
    assert.deepEqual(f.failure, { kind: 'timeout' });
    assert.match(f.error, /within 200 ms/);
  });

  it('a body that never ends times out too (the deadline covers the body)', async () => {
    sink.handle((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    assert.deepEqual(failed(await targets.invoke(call(`${sink.base}/slow-body`))).failure, { kind: 'timeout' });
  });

  it('a large response body is read up to the cap and the rest discarded', async () => {
    sink.handle((_req, res) => res.writeHead(500).end('x'.repeat(2_000_000)));
    const f = failed(await targets.invoke(call(`${sink.base}/big`)));
    assert.equal(f.status, 500);
    assert.ok(f.error.length < 400, f.error);
  });

  it('a refused connection is a network failure, retried', async () => {
    const gone = await recordingServer();
    await stop(gone.server);
    const f = failed(await targets.invoke(call(`${gone.base}/x`)));
    assert.deepEqual(f.failure, { kind: 'network', code: 'ECONNREFUSED' });
    assert.equal(classifyFailure(f.failure).retryable, true);
  });

  it('secrets never appear in the error, even when the target echoes them', async () => {
    const conn = secrets('API_KEY', {
      ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'key-VALUE-secret' },
      InvocationHttpParameters: { QueryStringParameters: [{ Key: 'sig', Value: 'q s3cret', IsValueSecret: true }] },
    });
    sink.handle((req, res) => res.writeHead(401).end(`bad key ${String(req.headers['x-api-key'])} for ${req.url}`));
    const f = failed(await targets.invoke(call(`${sink.base}/echo`, { secrets: conn })));
    assert.equal(f.status, 401);
    assert.doesNotMatch(f.error, /key-VALUE-secret|s3cret/);
    assert.match(f.error, /bad key \*\*\*/);
    sink.handle((req, res) => res.writeHead(500).end(String(req.headers.authorization)));
    const b = failed(await targets.invoke(call(`${sink.base}/echo`)));
    assert.doesNotMatch(b.error, new RegExp(Buffer.from('svc:pa55-w0rd-SECRET').toString('base64')));
    assert.doesNotMatch(JSON.stringify(b), /pa55-w0rd-SECRET/);
  });

  it('a deauthorized connection is not invoked', async () => {
    const f = failed(await targets.invoke(call(`${sink.base}/x`, { secrets: secrets('BASIC', {}, 'DEAUTHORIZED') })));
    assert.deepEqual(f.failure, { kind: 'refused' });
    assert.equal(sink.seen.length, 0);
  });
});

describe('HttpTargets: SSRF protection', () => {
  let sink: Awaited<ReturnType<typeof recordingServer>>;
  const resolve: Resolver = (hostname) =>
    hostname === 'hooks.example' ? Promise.resolve([{ address: '127.0.0.1', family: 4 }]) : Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));

  before(async () => {
    sink = await recordingServer();
  });
  after(async () => {
    await stop(sink.server);
  });

  it('refuses a name resolving to loopback when the policy is on, without connecting', async () => {
    const targets = new HttpTargets({ ssrf: ssrfPolicy('0.0.0.0'), resolve, now: Date.now });
    try {
      const port = new URL(sink.base).port;
      const f = failed(await targets.invoke(call(`http://hooks.example:${port}/events`)));
      assert.equal(f.failure.kind, 'address-refused');
      assert.equal(classifyFailure(f.failure).retryable, false);
      assert.match(f.error, /loopback/);
      const d = failed(await targets.invoke(call(`http://nowhere.example:${port}/events`)));
      assert.deepEqual(d.failure, { kind: 'network', code: 'ENOTFOUND' });
      assert.equal(sink.seen.length, 0);
    } finally {
      await targets.close();
    }
  });

  it('sends to the pinned address when the name is allow-listed, with the name as Host', async () => {
    const targets = new HttpTargets({ ssrf: ssrfPolicy('0.0.0.0', ['hooks.example']), resolve, now: Date.now });
    try {
      const port = new URL(sink.base).port;
      const outcome = await targets.invoke(call(`http://hooks.example:${port}/events`));
      assert.equal(outcome.ok, true);
      assert.equal(sink.seen.at(-1)!.headers.host, `hooks.example:${port}`);
    } finally {
      await targets.close();
    }
  });
});

describe('HttpTargets: OAuth client credentials', () => {
  let sink: Awaited<ReturnType<typeof recordingServer>>;
  let auth: Awaited<ReturnType<typeof recordingServer>>;
  let tokenNumber = 0;
  let clock = Date.UTC(2025, 0, 1);
  const states: [string, ConnectionState, string | undefined][] = [];

  function oauth(state: ConnectionState = 'AUTHORIZING', clientSecret = 'client-SECRET-value'): ConnectionSecrets {
    return secrets(
      'OAUTH_CLIENT_CREDENTIALS',
      {
        OAuthParameters: {
          AuthorizationEndpoint: `${auth.base}/oauth/token`,
          HttpMethod: 'POST',
          ClientParameters: { ClientID: 'client-1', ClientSecret: clientSecret },
          OAuthHttpParameters: {
            BodyParameters: [{ Key: 'audience', Value: 'orders-api' }],
            QueryStringParameters: [{ Key: 'tenant', Value: 'acme' }],
            HeaderParameters: [{ Key: 'x-auth-tenant', Value: 'acme' }],
          },
        },
      },
      state,
    );
  }

  before(async () => {
    sink = await recordingServer();
    auth = await recordingServer();
  });
  after(async () => {
    await stop(sink.server);
    await stop(auth.server);
  });
  beforeEach(() => {
    sink.seen.length = 0;
    auth.seen.length = 0;
    states.length = 0;
    auth.handle((_req, res) => {
      tokenNumber++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `token-${tokenNumber}`, token_type: 'bearer', expires_in: 3600 }));
    });
    sink.handle((req, res) => res.writeHead(req.headers.authorization === `Bearer token-${tokenNumber}` ? 200 : 401).end());
  });

  function newTargets(): HttpTargets {
    return new HttpTargets({ ssrf: OPEN, now: () => clock, onConnectionState: (arn, state, reason) => void states.push([arn, state, reason]) });
  }

  it('fetches a token once, sends it as Bearer, and reports the connection authorized', async () => {
    const targets = newTargets();
    try {
      const first = oauth();
      const outcomes = await Promise.all([targets.invoke(call(`${sink.base}/e`, { secrets: first })), targets.invoke(call(`${sink.base}/e`, { secrets: first }))]);
      assert.deepEqual(outcomes.map((o) => o.ok), [true, true]);
      assert.equal((await targets.invoke(call(`${sink.base}/e`, { secrets: oauth('AUTHORIZED') }))).ok, true);
      assert.equal(auth.seen.length, 1);
      const req = auth.seen[0]!;
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/oauth/token?tenant=acme');
      assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(req.headers['x-auth-tenant'], 'acme');
      assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), {
        grant_type: 'client_credentials',
        client_id: 'client-1',
        client_secret: 'client-SECRET-value',
        audience: 'orders-api',
      });
      assert.equal(sink.seen.length, 3);
      for (const r of sink.seen) assert.equal(r.headers.authorization, `Bearer token-${tokenNumber}`);
      assert.deepEqual(states, [[CONNECTION_ARN, 'AUTHORIZED', undefined]]);
    } finally {
      await targets.close();
    }
  });

  it('drops the token after a 401 and fetches a new one for the next attempt', async () => {
    const targets = newTargets();
    try {
      const conn = oauth('AUTHORIZED');
      assert.equal((await targets.invoke(call(`${sink.base}/e`, { secrets: conn }))).ok, true);
      // The target now wants a token it has not seen: the cached one is refused.
      tokenNumber++;
      const f = failed(await targets.invoke(call(`${sink.base}/e`, { secrets: conn })));
      assert.deepEqual(f.failure, { kind: 'http', status: 401, isApiDestination: true });
      assert.equal(classifyFailure(f.failure).retryable, true);
      assert.equal(auth.seen.length, 1);
      sink.handle((req, res) => res.writeHead(req.headers.authorization === `Bearer token-${tokenNumber}` ? 200 : 401).end());
      assert.equal((await targets.invoke(call(`${sink.base}/e`, { secrets: conn }))).ok, true);
      assert.equal(auth.seen.length, 2);
    } finally {
      await targets.close();
    }
  });

  it('fetches a new token when the cached one is about to expire, or the credentials change', async () => {
    const targets = newTargets();
    try {
      const conn = oauth('AUTHORIZED');
      await targets.invoke(call(`${sink.base}/e`, { secrets: conn }));
      clock += 3_500_000; // 100 s before expiry: still used
      await targets.invoke(call(`${sink.base}/e`, { secrets: conn }));
      assert.equal(auth.seen.length, 1);
      clock += 50_000; // within 60 s of expiry: refreshed
      assert.equal((await targets.invoke(call(`${sink.base}/e`, { secrets: conn }))).ok, true);
      assert.equal(auth.seen.length, 2);
      await targets.invoke(call(`${sink.base}/e`, { secrets: oauth('AUTHORIZED', 'rotated-secret') }));
      assert.equal(auth.seen.length, 3);
    } finally {
      await targets.close();
    }
  });

  it('a refused token request deauthorizes the connection and is not retried; no secret in the error', async () => {
    const targets = newTargets();
    try {
      auth.handle((req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(`{"error":"invalid_client","echo":"${req.body}"}`));
      const f = failed(await targets.invoke(call(`${sink.base}/e`, { secrets: oauth() })));
      assert.deepEqual(f.failure, { kind: 'refused' });
      assert.equal(classifyFailure(f.failure).retryable, false);
      assert.doesNotMatch(f.error, /client-SECRET-value/);
      assert.match(f.error, /invalid_client/);
      assert.equal(sink.seen.length, 0);
      assert.equal(states.length, 1);
      assert.equal(states[0]![1], 'DEAUTHORIZED');
      assert.doesNotMatch(String(states[0]![2]), /client-SECRET-value/);
    } finally {
      await targets.close();
    }
  });

  it('a token endpoint failing with 5xx is a retryable failure that leaves the connection alone', async () => {
    const targets = newTargets();
    try {
      auth.handle((_req, res) => res.writeHead(503).end());
      const f = failed(await targets.invoke(call(`${sink.base}/e`, { secrets: oauth() })));
      assert.deepEqual(f.failure, { kind: 'http', status: 503, isApiDestination: true });
      assert.equal(classifyFailure(f.failure).retryable, true);
      assert.deepEqual(states, []);
    } finally {
      await targets.close();
    }
  });
});
