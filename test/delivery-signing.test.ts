// Signed deliveries (docs/signed-deliveries.md): a connection with signing secrets makes every
// API-destination request carry webhook-id, webhook-timestamp and webhook-signature as the
// Standard Webhooks specification defines them. Checked here against the real server (in process,
// with an injected clock, for delivery and retries; as a process for the CLI), the real
// EventBridge SDK, the Switchyard API over HTTP and a real HTTP sink, and verified by an
// implementation of the specification written in this file from the spec alone (it does not
// import src/webhooks). The exported verifier (switchyard/webhooks) is then checked on the same
// requests.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeauthorizeConnectionCommand,
  DescribeConnectionCommand,
  EventBridgeClient,
  ListConnectionsCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import type { Target } from '@aws-sdk/client-eventbridge';

import { call } from '../src/cli/client.js';
import { resolveOptions } from '../src/config/options.js';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import type * as VerifyModule from '../src/webhooks/verify.js';
import { stopAndCheck } from './helpers/aws.js';
import { BIN, REPO, startServer as startServerProcess } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

// --- Standard Webhooks, written from the specification for this test -----------------------------
//
// Secret: "whsec_" + base64(key). Signed content: "<webhook-id>.<webhook-timestamp>.<body>".
// Signature: base64(HMAC-SHA256(key, content)); webhook-signature lists "v1,<signature>" entries
// separated by spaces. A receiver checks the timestamp against its clock (5 minutes here) and
// compares signatures in constant time.

function keyOf(secret: string): Buffer {
  assert.ok(secret.startsWith('whsec_'));
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

function expectedSignature(secret: string, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', keyOf(secret)).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body])).digest();
}

/** The v1 signatures of a webhook-signature header, decoded. */
function v1Signatures(header: string): Buffer[] {
  return header
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, sig]) => version === 'v1' && sig !== undefined && sig !== '')
    .map(([, sig]) => Buffer.from(sig as string, 'base64'));
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A receiver knowing `secret`: does it accept the request at `nowSeconds`? */
function receiverAccepts(secret: string, headers: IncomingHttpHeaders, body: Buffer, nowSeconds: number): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  if (!/^[0-9]+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = expectedSignature(secret, id, timestamp, body);
  return v1Signatures(signature).some((given) => same(given, expected));
}

const newSecret = (bytes = 32): string => `whsec_${randomBytes(bytes).toString('base64')}`;

// --- The server, the sink, the clients ------------------------------------------------------------

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body exactly as it arrived. */
  readonly body: Buffer;
}

let clock = Date.parse('2026-11-27T12:00:00Z');
const nowSeconds = (): number => Math.floor(clock / 1000);
let dir!: string;
let server!: RunningServer;
let sink!: Server;
let sinkUrl!: string;
let events!: EventBridgeClient;
/** Statuses the sink answers per path, in order; 200 once they run out. */
const cues = new Map<string, number[]>();
const received: Received[] = [];
/** Every log line of the server, every API answer (SDK and Switchyard API), as text. */
const logged: string[] = [];
const answers: string[] = [];

/** The secrets sent in this file (the in-process server's): none may be answered, logged or stored in clear. */
const SECRETS = {
  first: newSecret(32),
  second: newSecret(24),
  third: newSecret(64),
  apiKey: 'ak-Vq27-signing-test-SECRET',
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-signing-'));
  sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
      const status = cues.get(path)?.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not ok');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const options = resolveOptions({ port: 0, dataDir: dir }, {});
  server = await startServer(options, (line) => logged.push(JSON.stringify(line)), { now: () => clock, random: () => 0.5 });
  events = new EventBridgeClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
  events.middlewareStack.add(
    (next) => async (args) => {
      try {
        const out = await next(args);
        answers.push(JSON.stringify(out.output) ?? '');
        return out;
      } catch (e) {
        answers.push(JSON.stringify({ message: (e as Error).message, ...(e as object) }));
        throw e;
      }
    },
    { step: 'deserialize', name: 'recordAnswers' },
  );
});

after(async () => {
  events?.destroy();
  await server?.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** The Switchyard API of the in-process server (unsigned: loopback, no credentials); its answer is recorded. */
async function api(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out = await call(`Switchyard.${operation}`, input, { endpoint: server.url, env: {} });
  answers.push(JSON.stringify(out));
  return out;
}

/** The same call as raw HTTP: status, X-Amzn-ErrorType and the body, recorded. */
async function raw(operation: string, input: unknown): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Switchyard.${operation}` },
    body: JSON.stringify(input),
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: JSON.parse(text) as Record<string, unknown> };
}

/**
 * A connection `name` (API_KEY, with a body parameter, so the body sent differs from the event's),
 * an API destination at the sink's `/name`, a rule on source `name` and its target 'sink'.
 */
async function route(name: string, target: Partial<Target> = {}): Promise<{ connectionArn: string }> {
  const connection = await events.send(
    new CreateConnectionCommand({
      Name: name,
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: SECRETS.apiKey },
        InvocationHttpParameters: { BodyParameters: [{ Key: 'tenant', Value: 'acme', IsValueSecret: false }] },
      },
    }),
  );
  const destination = await events.send(
    new CreateApiDestinationCommand({ Name: name, ConnectionArn: connection.ConnectionArn, InvocationEndpoint: `${sinkUrl}/${name}`, HttpMethod: 'POST' }),
  );
  await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: [name] }) }));
  const put = await events.send(
    new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'sink', Arn: destination.ApiDestinationArn, RoleArn: `arn:aws:iam::${ACCOUNT}:role/events`, ...target }] }),
  );
  assert.equal(put.FailedEntryCount, 0, JSON.stringify(put.FailedEntries));
  return { connectionArn: connection.ConnectionArn as string };
}

/** Put one event on source `source` (a Detail with non-ASCII text: bytes, not characters, are signed). */
async function putOnly(source: string): Promise<string> {
  const out = await events.send(new PutEventsCommand({ Entries: [{ Source: source, DetailType: 'Test', Detail: '{"name":"Zoë ✓","n":1}' }] }));
  assert.equal(out.FailedEntryCount, 0);
  return out.Entries?.[0]?.EventId as string;
}

async function put(source: string): Promise<string> {
  const id = await putOnly(source);
  await server.settleDeliveries();
  return id;
}

const hitsOf = (name: string): Received[] => received.filter((r) => r.path === `/${name}`);

function lastHit(name: string): Received {
  const hits = hitsOf(name);
  assert.ok(hits.length > 0, `the sink got nothing on /${name}`);
  return hits[hits.length - 1] as Received;
}

describe('signed deliveries', () => {
  it('a connection with a signing secret delivers webhook-id, webhook-timestamp and a v1 signature over the exact body', async () => {
    const { connectionArn } = await route('signed');
    assert.deepEqual(await api('DescribeConnectionSigning', { Name: 'signed' }), { ConnectionArn: connectionArn, SigningSecretCount: 0 });
    assert.deepEqual(await api('PutConnectionSigningSecrets', { Name: 'signed', Secrets: [SECRETS.first] }), { ConnectionArn: connectionArn, SigningSecretCount: 1 });
    assert.deepEqual(await api('DescribeConnectionSigning', { Name: 'signed' }), { ConnectionArn: connectionArn, SigningSecretCount: 1 });

    const id = await put('signed');
    const got = lastHit('signed');
    assert.equal(got.headers['webhook-id'], id, 'webhook-id is the event id');
    assert.equal(got.headers['webhook-timestamp'], String(nowSeconds()), 'whole seconds of the attempt, from the server clock');
    assert.match(got.headers['webhook-signature'] as string, /^v1,[A-Za-z0-9+/]{43}=$/);
    // The body sent is the event with the connection's body parameter merged in: that is what is signed.
    const body = JSON.parse(got.body.toString('utf8')) as { id: string; detail: { name: string }; tenant: string };
    assert.equal(body.tenant, 'acme');
    assert.equal(body.detail.name, 'Zoë ✓');
    assert.equal(got.headers['x-api-key'], SECRETS.apiKey, 'the connection still authorizes the request');

    assert.ok(receiverAccepts(SECRETS.first, got.headers, got.body, nowSeconds()), 'an independent Standard Webhooks receiver accepts it');
    assert.ok(!receiverAccepts(SECRETS.second, got.headers, got.body, nowSeconds()), 'another secret does not verify');
    assert.ok(!receiverAccepts(SECRETS.first, got.headers, Buffer.concat([got.body, Buffer.from(' ')]), nowSeconds()), 'a changed body does not verify');
    assert.ok(!receiverAccepts(SECRETS.first, { ...got.headers, 'webhook-id': `${id}x` }, got.body, nowSeconds()), 'another id does not verify');
    assert.ok(!receiverAccepts(SECRETS.first, got.headers, got.body, nowSeconds() + 301), 'five minutes later it is too old');
  });

  it('rotation: two secrets give two v1 signatures, each verified by its own secret; a receiver knowing either accepts', async () => {
    const { connectionArn } = await route('rotating');
    await api('PutConnectionSigningSecrets', { Name: 'rotating', Secrets: [SECRETS.first] });
    await put('rotating');
    assert.ok(receiverAccepts(SECRETS.first, lastHit('rotating').headers, lastHit('rotating').body, nowSeconds()));

    // Rotation starts: the new secret first, the old one kept.
    assert.deepEqual(await api('PutConnectionSigningSecrets', { Name: 'rotating', Secrets: [SECRETS.third, SECRETS.first] }), {
      ConnectionArn: connectionArn,
      SigningSecretCount: 2,
    });
    clock += 2_000;
    const id = await put('rotating');
    const got = lastHit('rotating');
    assert.equal(got.headers['webhook-id'], id);
    const header = got.headers['webhook-signature'] as string;
    const signatures = v1Signatures(header);
    assert.equal(signatures.length, 2, header);
    assert.match(header, /^v1,\S+ v1,\S+$/, 'space-separated entries');
    const stamp = got.headers['webhook-timestamp'] as string;
    const byNew = expectedSignature(SECRETS.third, id, stamp, got.body);
    const byOld = expectedSignature(SECRETS.first, id, stamp, got.body);
    assert.ok(same(signatures[0] as Buffer, byNew), 'the first signature is the newest secret\'s');
    assert.ok(same(signatures[1] as Buffer, byOld), 'the second is the old secret\'s');
    assert.ok(receiverAccepts(SECRETS.first, got.headers, got.body, nowSeconds()), 'a receiver knowing only the old secret accepts');
    assert.ok(receiverAccepts(SECRETS.third, got.headers, got.body, nowSeconds()), 'a receiver knowing only the new secret accepts');
    assert.ok(!receiverAccepts(SECRETS.second, got.headers, got.body, nowSeconds()), 'a receiver knowing neither refuses');

    // Rotation done: the old secret is dropped.
    await api('PutConnectionSigningSecrets', { Name: 'rotating', Secrets: [SECRETS.third] });
    await put('rotating');
    const done = lastHit('rotating');
    assert.equal(v1Signatures(done.headers['webhook-signature'] as string).length, 1);
    assert.ok(receiverAccepts(SECRETS.third, done.headers, done.body, nowSeconds()));
    assert.ok(!receiverAccepts(SECRETS.first, done.headers, done.body, nowSeconds()), 'the retired secret no longer verifies');
  });

  it('a retried delivery keeps its webhook-id, with a fresh timestamp and signature', async () => {
    cues.set('/retried', [503]);
    await route('retried');
    await api('PutConnectionSigningSecrets', { Name: 'retried', Secrets: [SECRETS.second] });
    const id = await put('retried');
    assert.equal(hitsOf('retried').length, 1);
    const firstAt = nowSeconds();
    clock += 1_000; // the first retry is due after 1 s
    await server.settleDeliveries();
    const [first, second] = hitsOf('retried') as [Received, Received];
    assert.ok(second !== undefined, 'retried');
    assert.equal(first.headers['webhook-id'], id);
    assert.equal(second.headers['webhook-id'], id, 'the receiver can deduplicate on webhook-id');
    assert.equal(first.headers['webhook-timestamp'], String(firstAt));
    assert.equal(second.headers['webhook-timestamp'], String(firstAt + 1), 'signed at the retry\'s time');
    assert.notEqual(first.headers['webhook-signature'], second.headers['webhook-signature']);
    assert.ok(receiverAccepts(SECRETS.second, first.headers, first.body, firstAt));
    assert.ok(receiverAccepts(SECRETS.second, second.headers, second.body, firstAt + 1));
  });

  it('parameters cannot set the signature headers; without secrets none are sent', async () => {
    await route('reserved', { HttpParameters: { HeaderParameters: { 'webhook-id': 'spoofed', 'Webhook-Timestamp': '1', 'webhook-signature': 'v1,AAAA' } } });
    await put('reserved');
    const unsigned = lastHit('reserved');
    assert.equal(unsigned.headers['webhook-id'], undefined);
    assert.equal(unsigned.headers['webhook-timestamp'], undefined);
    assert.equal(unsigned.headers['webhook-signature'], undefined);

    await api('PutConnectionSigningSecrets', { Name: 'reserved', Secrets: [SECRETS.first] });
    const id = await put('reserved');
    const signed = lastHit('reserved');
    assert.equal(signed.headers['webhook-id'], id);
    assert.equal(signed.headers['webhook-timestamp'], String(nowSeconds()));
    assert.ok(receiverAccepts(SECRETS.first, signed.headers, signed.body, nowSeconds()));

    assert.deepEqual(await api('DeleteConnectionSigningSecrets', { Name: 'reserved' }), {
      ConnectionArn: (await events.send(new DescribeConnectionCommand({ Name: 'reserved' }))).ConnectionArn,
      SigningSecretCount: 0,
    });
    await put('reserved');
    assert.equal(lastHit('reserved').headers['webhook-signature'], undefined, 'cleared: no longer signed');
  });

  it('UpdateConnection keeps the signing secrets; DeauthorizeConnection drops them with the credentials', async () => {
    await route('kept');
    await api('PutConnectionSigningSecrets', { Name: 'kept', Secrets: [SECRETS.second, SECRETS.first] });
    const before = await events.send(new DescribeConnectionCommand({ Name: 'kept' }));
    clock += 1_000;
    await events.send(new UpdateConnectionCommand({ Name: 'kept', AuthParameters: { ApiKeyAuthParameters: { ApiKeyValue: SECRETS.apiKey } } }));
    assert.equal((await api('DescribeConnectionSigning', { Name: 'kept' })).SigningSecretCount, 2);
    await put('kept');
    const got = lastHit('kept');
    assert.ok(receiverAccepts(SECRETS.second, got.headers, got.body, nowSeconds()));
    assert.ok(receiverAccepts(SECRETS.first, got.headers, got.body, nowSeconds()));

    clock += 1_000;
    await api('DeleteConnectionSigningSecrets', { Name: 'kept' });
    const after = await events.send(new DescribeConnectionCommand({ Name: 'kept' }));
    assert.ok((after.LastModifiedTime as Date) > (before.LastModifiedTime as Date), 'setting secrets modifies the connection');

    await api('PutConnectionSigningSecrets', { Name: 'kept', Secrets: [SECRETS.first] });
    await events.send(new DeauthorizeConnectionCommand({ Name: 'kept' }));
    assert.equal((await api('DescribeConnectionSigning', { Name: 'kept' })).SigningSecretCount, 0);
    const refused = await raw('PutConnectionSigningSecrets', { Name: 'kept', Secrets: [SECRETS.first] });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.__type, 'ValidationException');
    assert.match(refused.body.message as string, /^Connection 'kept' is DEAUTHORIZED.*UpdateConnection/);
  });
});

describe('the exported verifier (switchyard/webhooks)', () => {
  /** The package's own export, resolved as a receiver's `import 'switchyard/webhooks'` would be. */
  type Verifier = typeof VerifyModule;
  let webhooks!: Verifier;
  let got!: Received;

  before(async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, string> };
    assert.equal(pkg.exports['./webhooks'], './dist/src/webhooks/verify.js');
    const specifier: string = 'switchyard/webhooks';
    webhooks = (await import(specifier)) as Verifier;
    await route('exported');
    await api('PutConnectionSigningSecrets', { Name: 'exported', Secrets: [SECRETS.third, SECRETS.first] });
    await put('exported');
    got = lastHit('exported');
  });

  it('accepts a good delivery, with any one of the secrets, from Node headers or fetch Headers', () => {
    const now = () => clock;
    const id = got.headers['webhook-id'];
    assert.deepEqual(webhooks.verifyWebhook(SECRETS.first, got.headers, got.body, { now }), { id, timestamp: nowSeconds() });
    assert.deepEqual(webhooks.verifyWebhook(SECRETS.third, got.headers, got.body, { now }), { id, timestamp: nowSeconds() });
    assert.deepEqual(webhooks.verifyWebhook([SECRETS.second, SECRETS.first], got.headers, got.body.toString('utf8'), { now }), { id, timestamp: nowSeconds() });
    const fetchHeaders = new Headers(Object.entries(got.headers).map(([k, v]) => [k, String(v)] as [string, string]));
    assert.equal(webhooks.verifyWebhook(SECRETS.third, fetchHeaders, got.body, { now }).id, id);
    // Within the tolerance either way.
    assert.equal(webhooks.verifyWebhook(SECRETS.first, got.headers, got.body, { now: () => clock + 299_000 }).id, id);
    assert.equal(webhooks.verifyWebhook(SECRETS.first, got.headers, got.body, { now: () => clock - 299_000 }).id, id);
  });

  it('refuses a tampered body, a wrong secret, a stale or future timestamp, missing headers', () => {
    const now = () => clock;
    const refuses = (code: string, f: () => unknown): void =>
      assert.throws(f, (e: Error & { code?: string }) => e instanceof webhooks.WebhookVerificationError && e.code === code && !e.message.includes('whsec_'));
    const tampered = Buffer.from(got.body.toString('utf8').replace('acme', 'acmf'), 'utf8');
    refuses('no-matching-signature', () => webhooks.verifyWebhook(SECRETS.first, got.headers, tampered, { now }));
    refuses('no-matching-signature', () => webhooks.verifyWebhook(SECRETS.second, got.headers, got.body, { now }));
    refuses('no-matching-signature', () => webhooks.verifyWebhook(SECRETS.first, { ...got.headers, 'webhook-id': 'another' }, got.body, { now }));
    refuses('no-matching-signature', () => webhooks.verifyWebhook(SECRETS.first, { ...got.headers, 'webhook-timestamp': String(nowSeconds() + 1) }, got.body, { now }));
    refuses('timestamp-too-old', () => webhooks.verifyWebhook(SECRETS.first, got.headers, got.body, { now: () => clock + 301_000 }));
    refuses('timestamp-too-old', () => webhooks.verifyWebhook(SECRETS.first, got.headers, got.body, { now: () => clock + 11_000, toleranceSeconds: 10 }));
    refuses('timestamp-too-new', () => webhooks.verifyWebhook(SECRETS.first, got.headers, got.body, { now: () => clock - 301_000 }));
    refuses('invalid-timestamp', () => webhooks.verifyWebhook(SECRETS.first, { ...got.headers, 'webhook-timestamp': '1.5e9' }, got.body, { now }));
    refuses('missing-header', () => webhooks.verifyWebhook(SECRETS.first, { ...got.headers, 'webhook-signature': undefined }, got.body, { now }));
    refuses('invalid-secret', () => webhooks.verifyWebhook('whsec_c2hvcnQ=', got.headers, got.body, { now }));
  });

  it("signWebhook agrees with this file's implementation of the specification", () => {
    const body = Buffer.from('{"a":"ü"}', 'utf8');
    const mine = expectedSignature(SECRETS.second, 'msg_1', '1700000000', body).toString('base64');
    assert.equal(webhooks.signWebhook(SECRETS.second, 'msg_1', 1_700_000_000, body), `v1,${mine}`);
    assert.equal(webhooks.signWebhook(SECRETS.second, 'msg_1', 1_700_000_000, '{"a":"ü"}'), `v1,${mine}`);
    const generated = webhooks.generateSigningSecret();
    assert.match(generated, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(keyOf(generated).length, 32);
  });
});

describe('the Switchyard API refuses bad input in AWS shape', () => {
  it('ValidationException for bad names and secrets, naming the member but never the secret', async () => {
    await route('validated');
    const notBase64 = 'whsec_not*base64!';
    const short = newSecret(16);
    const long = newSecret(65);
    const noPrefix = randomBytes(32).toString('base64');
    const cases: [string, unknown, RegExp][] = [
      ['PutConnectionSigningSecrets', { Secrets: [SECRETS.first] }, /^Name is required\.$/],
      ['PutConnectionSigningSecrets', { Name: 'bad name!', Secrets: [SECRETS.first] }, /^Value 'bad name!' at 'Name' failed to satisfy constraint/],
      ['PutConnectionSigningSecrets', { Name: 'validated' }, /^Secrets is required\.$/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: SECRETS.first }, /^Secrets must be a list of strings\.$/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: [] }, /^Secrets must have between 1 and 5 members/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: Array.from({ length: 6 }, () => newSecret()) }, /^Secrets must have between 1 and 5 members/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: [SECRETS.first, 7] }, /^Secrets\.2 must be a string\.$/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: [noPrefix] }, /^Secrets\.1 must be whsec_ followed by the base64 of 24 to 64 random bytes\.$/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: [notBase64] }, /^Secrets\.1 .*; it is not base64\.$/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: [SECRETS.first, short] }, /^Secrets\.2 .*; it holds 16\.$/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: [long] }, /^Secrets\.1 .*; it holds 65\.$/],
      ['PutConnectionSigningSecrets', { Name: 'validated', Secrets: [SECRETS.first, SECRETS.first] }, /^Secrets\.2 repeats an earlier secret\.$/],
      ['DeleteConnectionSigningSecrets', {}, /^Name is required\.$/],
      ['DescribeConnectionSigning', { Name: 7 }, /^Name must be a string\.$/],
    ];
    for (const [operation, input, message] of cases) {
      const r = await raw(operation, input);
      assert.equal(r.status, 400, `${operation} ${JSON.stringify(input)}`);
      assert.equal(r.type, 'ValidationException');
      assert.equal(r.body.__type, 'ValidationException');
      assert.match(r.body.message as string, message);
      for (const secret of [notBase64, short, long, noPrefix, SECRETS.first]) {
        assert.ok(!(r.body.message as string).includes(secret.slice(6, 30)), `the message echoes a secret: ${r.body.message}`);
      }
    }
    assert.equal((await api('DescribeConnectionSigning', { Name: 'validated' })).SigningSecretCount, 0, 'nothing was set');
  });

  it('ResourceNotFoundException with AWS\'s connection message for a connection that does not exist', async () => {
    for (const [operation, input] of [
      ['PutConnectionSigningSecrets', { Name: 'ghost', Secrets: [SECRETS.first] }],
      ['DeleteConnectionSigningSecrets', { Name: 'ghost' }],
      ['DescribeConnectionSigning', { Name: 'ghost' }],
    ] as const) {
      const r = await raw(operation, input);
      assert.equal(r.status, 400);
      assert.equal(r.type, 'ResourceNotFoundException');
      assert.deepEqual(r.body, { __type: 'ResourceNotFoundException', message: "Failed to describe the connection(s). Connection 'ghost' does not exist." });
    }
  });
});

describe('signing secrets stay secret', () => {
  /** Each secret in the forms it could leak in: as given, its base64 alone, its key bytes. */
  const forms = (): [string, Buffer][] =>
    Object.values(SECRETS).flatMap((s): [string, Buffer][] =>
      s.startsWith('whsec_')
        ? [
            [s, Buffer.from(s.slice(6), 'latin1')],
            [s, keyOf(s)],
            [s, Buffer.from(s.slice(6), 'utf16le')],
          ]
        : [[s, Buffer.from(s, 'latin1')]],
    );

  it('never appear in an API answer', async () => {
    await events.send(new ListConnectionsCommand({}));
    await events.send(new DescribeConnectionCommand({ Name: 'rotating' }));
    assert.ok(answers.length > 40, `recorded ${answers.length} answers`);
    for (const text of answers) {
      for (const s of Object.values(SECRETS)) assert.ok(!text.includes(s.replace(/^whsec_/, '')), `an answer holds ${s}: ${text}`);
    }
  });

  it('never appear in the log', () => {
    const log = logged.join('\n');
    for (const s of Object.values(SECRETS)) assert.ok(!log.includes(s.replace(/^whsec_/, '')), `the log holds ${s}`);
  });

  it('never appear in the database file or its WAL', () => {
    const files = readdirSync(dir).filter((f) => f.startsWith('switchyard.db'));
    assert.ok(files.includes('switchyard.db'));
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      for (const [s, form] of forms()) assert.equal(bytes.indexOf(form), -1, `${f} holds ${s}`);
    }
  });
});

// --- The CLI against a real server process -------------------------------------------------------

describe('switchyard signing (CLI)', () => {
  let proc: ServerProcess | undefined;
  let eb!: EventBridgeClient;

  before(async () => {
    proc = await startServerProcess();
    eb = new EventBridgeClient({ endpoint: proc.url, region: REGION, credentials, maxAttempts: 1 });
    await eb.send(
      new CreateConnectionCommand({ Name: 'cli-conn', AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'p' } } }),
    );
  });

  after(async () => {
    eb?.destroy();
    await stopAndCheck(proc);
  });

  function cliEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_') || name.startsWith('SWITCHYARD_')) delete env[name];
    return env;
  }

  function cli(args: readonly string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    if (stdin === undefined) {
      return new Promise((resolve, reject) => {
        execFile(process.execPath, [BIN, 'signing', ...args], { cwd: REPO, env: cliEnv(), timeout: 30_000 }, (err, stdout, stderr) => {
          if (err !== null && typeof err.code !== 'number') reject(err);
          else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
        });
      });
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'signing', ...args], { cwd: REPO, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  it('generate, set, show and clear against a running server', async () => {
    const endpoint = ['--endpoint', (proc as ServerProcess).url];
    const generated = await cli(['generate']);
    assert.equal(generated.code, 0, generated.stderr);
    const secret = generated.stdout.trim();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(keyOf(secret).length, 32);
    const older = (await cli(['generate'])).stdout.trim();
    assert.notEqual(secret, older);

    const arn = (await eb.send(new DescribeConnectionCommand({ Name: 'cli-conn' }))).ConnectionArn;
    const set = await cli(['set', 'cli-conn', '--secret', secret, '--secret', older, ...endpoint]);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout), { ConnectionArn: arn, SigningSecretCount: 2 });
    const shown = await cli(['show', 'cli-conn', ...endpoint]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout), { ConnectionArn: arn, SigningSecretCount: 2 });
    assert.ok(!shown.stdout.includes(secret.slice(6)));

    // From stdin, one a line (kept out of `ps` and shell history).
    const piped = await cli(['set', 'cli-conn', '--secret', '-', ...endpoint], `${secret}\n${older}\n${newSecret()}\n`);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal((JSON.parse(piped.stdout) as { SigningSecretCount: number }).SigningSecretCount, 3);

    const cleared = await cli(['clear', 'cli-conn', ...endpoint]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.deepEqual(JSON.parse(cleared.stdout), { ConnectionArn: arn, SigningSecretCount: 0 });
    assert.equal((JSON.parse((await cli(['show', 'cli-conn', ...endpoint])).stdout) as { SigningSecretCount: number }).SigningSecretCount, 0);

    const log = (proc as ServerProcess).stderr();
    for (const s of [secret, older]) assert.ok(!log.includes(s.slice(6)), 'the server log holds a secret');
  });

  it('exits 1 with the error when the server refuses, 2 on bad usage', async () => {
    const endpoint = ['--endpoint', (proc as ServerProcess).url];
    const missing = await cli(['show', 'ghost', ...endpoint]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ResourceNotFoundException: Failed to describe the connection\(s\)\. Connection 'ghost' does not exist\./);
    const weak = newSecret(16);
    const refused = await cli(['set', 'cli-conn', '--secret', weak, ...endpoint]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ValidationException: Secrets\.1 must be whsec_/);
    assert.ok(!refused.stderr.includes(weak.slice(6)), 'the error does not echo the secret');
    assert.equal((await cli(['set', 'cli-conn', ...endpoint])).code, 2, 'set without --secret');
    assert.equal((await cli(['show', ...endpoint])).code, 2, 'show without a connection');
    assert.equal((await cli(['frobnicate'])).code, 2);
    assert.equal((await cli([])).code, 2);
  });
});
