// Dropped deliveries end to end (docs/dropped-deliveries.md): a real server process, a real HTTP
// sink (node:http) behind an API destination, the EventBridge SDK to set up, the Switchyard API
// and the `switchyard dlq` CLI to list, count and redrive. The sink answers 400 (not retried) and,
// with no DeadLetterConfig, the delivery is dropped; once the sink answers 200 a redrive delivers
// it. What the server did is read from its own database (read-only) and from what the sink got.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

import { call } from '../src/cli/client.js';
import { stopAndCheck } from './helpers/aws.js';
import { sinkRouter } from './helpers/destinations.js';
import type { SinkRoute, SinkRouter } from './helpers/destinations.js';
import { BIN, openDatabase, removeDataDir, REPO, startServer, until } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

let server: ServerProcess | undefined;
let signedServer: ServerProcess | undefined;
let sink!: Server;
let sinkUrl!: string;
let events!: EventBridgeClient;
/** The status the sink answers on each path (400 until a test says otherwise). */
const statusOf = new Map<string, number>();
const received: { path: string; body: string }[] = [];

/** The environment of a CLI run: no AWS variables (unsigned requests) unless given. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_') || name.startsWith('SWITCHYARD_')) delete env[name];
  return { ...env, ...extra };
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'dlq', ...args], { cwd: REPO, env: cliEnv(env), timeout: 30_000 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

/** The Switchyard API of the test server, unsigned (loopback, no credentials configured). */
function api(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  return call(`Switchyard.${operation}`, input, { endpoint: (server as ServerProcess).url, env: {} });
}


/** A delivery's state and attempts, from the server's database (the `deliveries` view). */
function deliveryRow(eventId: string): { state: number; attempts: number } | undefined {
  const db = openDatabase((server as ServerProcess).dataDir);
  try {
    return db.prepare('SELECT state, attempts FROM deliveries WHERE event_id = ?').get(eventId) as { state: number; attempts: number } | undefined;
  } finally {
    db.close();
  }
}

const until400Dropped = (ruleArn: string, n: number) =>
  until(`${n} dropped deliveries of ${ruleArn}`, async () => {
    const out = await api('CountDroppedDeliveries', { RuleArn: ruleArn });
    return out.Count === n ? n : undefined;
  });

const untilDelivered = (eventId: string) =>
  until(`${eventId} delivered`, () => {
    const row = deliveryRow(eventId);
    return row?.state === 1 ? row : undefined;
  });

before(async () => {
  sink = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, body });
      const status = statusOf.get(path) ?? 400;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'refused');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  server = await startServer();
  events = new EventBridgeClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
});

after(async () => {
  events?.destroy();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  if (signedServer !== undefined) {
    await signedServer.stop();
    removeDataDir(signedServer.dataDir);
  }
  await stopAndCheck(server);
});

/** A rule on source `name` whose one target ('sink', no DeadLetterConfig) is the sink's `/name`. */
let router: SinkRouter | undefined;
const route = (name: string): Promise<SinkRoute> => (router ??= sinkRouter(events, sinkUrl, { account: ACCOUNT, region: REGION })).route(name);

async function put(source: string, n = 1): Promise<string[]> {
  const out = await events.send(
    new PutEventsCommand({ Entries: Array.from({ length: n }, (_, i) => ({ Source: source, DetailType: 'Test', Detail: JSON.stringify({ i }) })) }),
  );
  assert.equal(out.FailedEntryCount, 0);
  return (out.Entries ?? []).map((e) => e.EventId as string);
}

describe('dropped deliveries', () => {
  it('a delivery refused with 400 is kept as dropped, listed with its last error, and redriven to delivered', async () => {
    const { ruleArn, destinationArn } = await route('single');
    const [eventId] = (await put('single')) as [string];
    await until400Dropped(ruleArn, 1);

    const listed = await api('ListDroppedDeliveries', { RuleArn: ruleArn });
    const dropped = listed.DroppedDeliveries as Record<string, unknown>[];
    assert.equal(dropped.length, 1);
    const d = dropped[0] as Record<string, unknown>;
    assert.deepEqual(
      { EventId: d.EventId, RuleArn: d.RuleArn, TargetId: d.TargetId, TargetArn: d.TargetArn, Attempts: d.Attempts },
      { EventId: eventId, RuleArn: ruleArn, TargetId: 'sink', TargetArn: destinationArn, Attempts: 1 },
    );
    assert.match(d.LastError as string, /400/);
    assert.equal(typeof d.DroppedAt, 'number');
    assert.ok(Math.abs((d.DroppedAt as number) * 1000 - Date.now()) < 60_000, 'DroppedAt is epoch seconds of the last attempt');
    assert.equal(listed.NextToken, undefined);
    assert.deepEqual(deliveryRow(eventId), { state: 2, attempts: 1 });

    statusOf.set('/single', 200);
    const redriven = await api('RedriveDroppedDeliveries', { Entries: [{ EventId: eventId, RuleArn: ruleArn, TargetId: 'sink' }] });
    assert.deepEqual(redriven, { RedrivenCount: 1, FailedEntryCount: 0, FailedEntries: [] });
    assert.deepEqual(await untilDelivered(eventId), { state: 1, attempts: 2 });
    assert.equal(received.filter((r) => r.path === '/single').length, 2);
    assert.equal((await api('CountDroppedDeliveries', { RuleArn: ruleArn })).Count, 0);

    // Redriving it again, or what does not exist, fails per entry.
    const again = await api('RedriveDroppedDeliveries', {
      Entries: [
        { EventId: eventId, RuleArn: ruleArn, TargetId: 'sink' },
        { EventId: 'no-such-event', RuleArn: ruleArn, TargetId: 'sink' },
      ],
    });
    assert.equal(again.RedrivenCount, 0);
    assert.equal(again.FailedEntryCount, 2);
    assert.deepEqual(
      (again.FailedEntries as Record<string, unknown>[]).map((f) => [f.EventId, f.ErrorCode]),
      [
        [eventId, 'NotDropped'],
        ['no-such-event', 'NotFound'],
      ],
    );
  });

  it('a bulk redrive (All, filtered by rule) redrives every dropped delivery of the rule', async () => {
    const { ruleArn } = await route('bulk');
    const other = await route('other');
    const ids = await put('bulk', 3);
    await put('other');
    await until400Dropped(ruleArn, 3);
    await until400Dropped(other.ruleArn, 1);

    // Paged: two at a time, in acceptance order.
    const first = await api('ListDroppedDeliveries', { RuleArn: ruleArn, Limit: 2 });
    assert.equal((first.DroppedDeliveries as unknown[]).length, 2);
    assert.equal(typeof first.NextToken, 'string');
    const second = await api('ListDroppedDeliveries', { RuleArn: ruleArn, Limit: 2, NextToken: first.NextToken });
    assert.equal(second.NextToken, undefined);
    assert.deepEqual(
      [...(first.DroppedDeliveries as { EventId: string }[]), ...(second.DroppedDeliveries as { EventId: string }[])].map((d) => d.EventId),
      ids,
    );

    statusOf.set('/bulk', 200);
    assert.deepEqual(await api('RedriveDroppedDeliveries', { All: true, RuleArn: ruleArn }), {
      RedrivenCount: 3,
      FailedEntryCount: 0,
      FailedEntries: [],
    });
    for (const id of ids) assert.deepEqual(await untilDelivered(id), { state: 1, attempts: 2 });
    assert.equal((await api('CountDroppedDeliveries', { RuleArn: ruleArn })).Count, 0);
    assert.equal((await api('CountDroppedDeliveries', { RuleArn: other.ruleArn })).Count, 1, 'the other rule is untouched');
  });

  it('answers bad input with ValidationException in AWS error shape', async () => {
    const raw = async (operation: string, input: unknown) => {
      const res = await fetch((server as ServerProcess).url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Switchyard.${operation}` },
        body: JSON.stringify(input),
      });
      return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> };
    };
    for (const [operation, input, message] of [
      ['ListDroppedDeliveries', { Limit: 0 }, /Limit/],
      ['ListDroppedDeliveries', { NextToken: 'bm9wZQ==' }, /NextToken/],
      ['ListDroppedDeliveries', { RuleArn: 'not-an-arn' }, /RuleArn/],
      ['CountDroppedDeliveries', { TargetId: 'a b' }, /TargetId/],
      ['RedriveDroppedDeliveries', {}, /Entries.*All/],
      ['RedriveDroppedDeliveries', { All: true, Entries: [] }, /not both/],
      ['RedriveDroppedDeliveries', { Entries: [] }, /between 1 and 100/],
      ['RedriveDroppedDeliveries', { Entries: [{ EventId: 'e', RuleArn: 'arn:aws:events:us-east-1:000000000000:rule/r' }] }, /Entries\.1\.TargetId/],
    ] as const) {
      const r = await raw(operation, input);
      assert.equal(r.status, 400, `${operation} ${JSON.stringify(input)}`);
      assert.equal(r.type, 'ValidationException');
      assert.equal(r.body.__type, 'ValidationException');
      assert.match(r.body.message as string, message);
    }
    const unknown = await raw('Nope', {});
    assert.equal(unknown.body.__type, 'UnknownOperationException');
  });

  it('the dlq CLI lists, counts and redrives, singly and in bulk', async () => {
    const { ruleArn } = await route('cli');
    const [a, b] = (await put('cli', 2)) as [string, string];
    await until400Dropped(ruleArn, 2);
    const endpoint = ['--endpoint', (server as ServerProcess).url];

    const listed = await cli(['list', '--rule', ruleArn, ...endpoint]);
    assert.equal(listed.code, 0, listed.stderr);
    const shown = JSON.parse(listed.stdout) as { DroppedDeliveries: { EventId: string; TargetId: string; LastError: string }[] };
    assert.deepEqual(
      shown.DroppedDeliveries.map((d) => d.EventId),
      [a, b],
    );
    assert.match(shown.DroppedDeliveries[0]?.LastError ?? '', /400/);
    const counted = await cli(['count', '--rule', ruleArn, '--target', 'sink', ...endpoint]);
    assert.deepEqual(JSON.parse(counted.stdout), { Count: 2 });

    statusOf.set('/cli', 200);
    const one = await cli(['redrive', '--event', a, '--rule', ruleArn, '--target', 'sink', ...endpoint]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal((JSON.parse(one.stdout) as { RedrivenCount: number }).RedrivenCount, 1);
    assert.deepEqual(await untilDelivered(a), { state: 1, attempts: 2 });

    const rest = await cli(['redrive', '--all', '--rule', ruleArn, ...endpoint]);
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal((JSON.parse(rest.stdout) as { RedrivenCount: number }).RedrivenCount, 1);
    assert.deepEqual(await untilDelivered(b), { state: 1, attempts: 2 });

    // A failed entry exits 1; bad usage exits 2; a refused request exits 1 with the error.
    const gone = await cli(['redrive', '--event', a, '--rule', ruleArn, '--target', 'sink', ...endpoint]);
    assert.equal(gone.code, 1);
    assert.equal((JSON.parse(gone.stdout) as { FailedEntries: { ErrorCode: string }[] }).FailedEntries[0]?.ErrorCode, 'NotDropped');
    assert.equal((await cli(['redrive', '--event', a, ...endpoint])).code, 2);
    assert.equal((await cli(['frobnicate', ...endpoint])).code, 2);
    const refused = await cli(['list', '--rule', 'nope', ...endpoint]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ValidationException/);
  });

  it('the CLI signs with the AWS environment credentials, which a server with credentials checks', async () => {
    signedServer = await startServer({ args: ['--credentials', 'AKIDSIGNED:s3cret:123456789012'] });
    const endpoint = ['--endpoint', signedServer.url];
    const signed = await cli(['count', ...endpoint], { AWS_ACCESS_KEY_ID: 'AKIDSIGNED', AWS_SECRET_ACCESS_KEY: 's3cret', AWS_REGION: 'eu-west-1' });
    assert.equal(signed.code, 0, signed.stderr);
    assert.deepEqual(JSON.parse(signed.stdout), { Count: 0 });
    const wrong = await cli(['count', ...endpoint], { AWS_ACCESS_KEY_ID: 'AKIDSIGNED', AWS_SECRET_ACCESS_KEY: 'wrong' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /InvalidSignatureException/);
    const unsigned = await cli(['count', ...endpoint]);
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /MissingAuthenticationTokenException/);
    assert.equal(await signedServer.stop(), 0);
    removeDataDir(signedServer.dataDir);
    signedServer = undefined;
  });
});
