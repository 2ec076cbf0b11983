// The per-event trace (docs/event-trace.md), end to end: the real server in process (startServer)
// with an injected clock and fixed jitter, two accounts' credentials, the real EventBridge and SQS
// SDKs to set up and put events, a real HTTP sink behind API destinations answering as each test
// cues it, and Switchyard.GetEventTrace called over HTTP, signed, as the CLI calls it. Time is moved,
// not slept on: after each step the test advances the clock and waits for the dispatcher to attempt
// what is due (settleDeliveries). Last, `switchyard trace` against a real server process.
//
// Shown: a retried then delivered event (WAITING with NextAttemptAt while it waits), a
// dead-lettered one, one delivered to one rule's target and dropped by another's (PARTIAL), one
// owed to no target (NO_TARGETS) and one owed to a target not delivered yet (PENDING); another
// account's or region's event is not found, a malformed id is a ValidationException.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';

import { ApiError, call } from '../src/cli/client.js';
import { resolveOptions } from '../src/config/options.js';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { stopAndCheck } from './helpers/aws.js';
import { sinkRouter } from './helpers/destinations.js';
import type { SinkRouter } from './helpers/destinations.js';
import { BIN, REPO, startServer as startProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const A = { accessKeyId: 'AKIDTRACEA', secretAccessKey: 'secretA', account: '111111111111' } as const;
const B = { accessKeyId: 'AKIDTRACEB', secretAccessKey: 'secretB', account: '222222222222' } as const;
const DEFAULT_BUS = `arn:aws:events:${REGION}:${A.account}:event-bus/default`;
const DLQ_ARN = `arn:aws:sqs:${REGION}:${A.account}:trace-dlq`;

let clock = Date.parse('2026-11-27T12:00:00Z');
let dir!: string;
let server!: RunningServer;
let sink!: Server;
let sinkUrl!: string;
let events!: EventBridgeClient;
let sqs!: SQSClient;
let router: SinkRouter | undefined;
/** Statuses the sink answers per path, in order; when they run out it answers 200. */
const cues = new Map<string, number[]>();

type Json = Record<string, unknown>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-trace-'));
  sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = cues.get(req.url ?? '/')?.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not ok');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const credentials = [A, B].map((c) => `${c.accessKeyId}:${c.secretAccessKey}:${c.account}`).join(',');
  const options = resolveOptions({ port: 0, dataDir: dir, credentials }, {});
  server = await startServer(options, () => undefined, { now: () => clock, random: () => 0.5, httpTimeoutMs: 1_000 });
  const aws = { endpoint: server.url, region: REGION, credentials: { accessKeyId: A.accessKeyId, secretAccessKey: A.secretAccessKey }, maxAttempts: 1 };
  events = new EventBridgeClient(aws);
  sqs = new SQSClient(aws);
  await sqs.send(new CreateQueueCommand({ QueueName: 'trace-dlq' }));
});

after(async () => {
  events?.destroy();
  sqs?.destroy();
  await server?.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** GetEventTrace, signed as `who` (account A by default) in `region`. */
function trace(eventId: unknown, who: typeof A | typeof B = A, region = REGION): Promise<Json> {
  const env = { AWS_ACCESS_KEY_ID: who.accessKeyId, AWS_SECRET_ACCESS_KEY: who.secretAccessKey, AWS_REGION: region };
  return call('Switchyard.GetEventTrace', eventId === undefined ? {} : { EventId: eventId }, { endpoint: server.url, env });
}

/** The call fails with the API error `code` and a message matching `message`, HTTP 400. */
async function refused(p: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, 400);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

/** A rule on source `name` whose target 'sink' is the API destination at the sink's `/name`. */
async function route(name: string, settings: Json = {}): Promise<{ ruleArn: string; destinationArn: string }> {
  router ??= sinkRouter(events, sinkUrl, { account: A.account, region: REGION });
  return router.route(name, settings);
}

async function put(source: string): Promise<string> {
  const out = await events.send(new PutEventsCommand({ Entries: [{ Source: source, DetailType: 'Test', Detail: '{"n":1}' }] }));
  assert.equal(out.FailedEntryCount, 0);
  await server.settleDeliveries();
  return out.Entries?.[0]?.EventId as string;
}

async function advance(ms: number): Promise<void> {
  clock += ms;
  await server.settleDeliveries();
}

/** The trace with every attempt's LatencyMs checked to be a count of ms, then left out (timing). */
function withoutLatency(t: Json): Json {
  const rules = (t.Rules as { Targets: { Attempts: Json[] }[] }[]).map((r) => ({
    ...r,
    Targets: r.Targets.map((target) => ({
      ...target,
      Attempts: target.Attempts.map(({ LatencyMs, ...rest }) => {
        assert.ok(Number.isInteger(LatencyMs) && (LatencyMs as number) >= 0, `LatencyMs ${String(LatencyMs)}`);
        return rest;
      }),
    })),
  }));
  return { ...t, Rules: rules };
}

describe('GetEventTrace', () => {
  it('a retried, then delivered event: WAITING with NextAttemptAt, then DELIVERED with both attempts', async () => {
    cues.set('/retried', [503]);
    const { ruleArn, destinationArn } = await route('retried');
    const ingestedAt = clock;
    const id = await put('retried');
    const target = { TargetId: 'sink', TargetArn: destinationArn };
    const waiting = withoutLatency(await trace(id));
    const lastError = ((waiting.Rules as { Targets: Json[] }[])[0]?.Targets[0]?.LastError ?? '') as string;
    assert.match(lastError, /^ERROR_FROM_TARGET: .*503/);
    // The attempt's error is the delivery's last error while it waits.
    const firstAttempt = { Number: 1, StartedAt: ingestedAt / 1000, Outcome: 'FAILED', HttpStatus: 503, Error: lastError };
    assert.deepEqual(waiting, {
      EventId: id,
      EventBusArn: DEFAULT_BUS,
      Account: A.account,
      Region: REGION,
      IngestedAt: ingestedAt / 1000,
      Outcome: 'PENDING',
      Rules: [
        {
          RuleArn: ruleArn,
          // The first retry of the schedule is 1 s after the failed attempt (docs/retries.md).
          Targets: [{ ...target, State: 'WAITING', Attempts: [firstAttempt], NextAttemptAt: (ingestedAt + 1_000) / 1000, LastError: lastError }],
        },
      ],
    });

    await advance(1_000);
    assert.deepEqual(withoutLatency(await trace(id)), {
      EventId: id,
      EventBusArn: DEFAULT_BUS,
      Account: A.account,
      Region: REGION,
      IngestedAt: ingestedAt / 1000,
      Outcome: 'DELIVERED',
      Rules: [
        {
          RuleArn: ruleArn,
          Targets: [
            {
              ...target,
              State: 'DELIVERED',
              Attempts: [firstAttempt, { Number: 2, StartedAt: (ingestedAt + 1_000) / 1000, Outcome: 'DELIVERED', HttpStatus: 200 }],
            },
          ],
        },
      ],
    });
  });

  it('a dead-lettered event: one attempt, DEAD_LETTERED, its last error', async () => {
    cues.set('/dead', [400]);
    const { ruleArn, destinationArn } = await route('dead', { DeadLetterConfig: { Arn: DLQ_ARN } });
    const id = await put('dead');
    await advance(600_000); // nothing more happens: a 400 is not retried
    const t = await trace(id);
    assert.equal(t.Outcome, 'DEAD_LETTERED');
    const [rule] = t.Rules as { RuleArn: string; Targets: Json[] }[];
    assert.equal(rule?.RuleArn, ruleArn);
    const [target] = rule?.Targets ?? [];
    assert.equal(target?.TargetArn, destinationArn);
    assert.equal(target?.State, 'DEAD_LETTERED');
    assert.equal(target?.NextAttemptAt, undefined);
    assert.match(target?.LastError as string, /^ERROR_FROM_TARGET: .*400/);
    assert.deepEqual(
      (target?.Attempts as Json[]).map((a) => [a.Number, a.Outcome, a.HttpStatus]),
      [[1, 'FAILED', 400]],
    );
  });

  it('two rules: delivered to one target, dropped by the other (no dead-letter queue): PARTIAL, rules in ARN order', async () => {
    cues.set('/mixed-bad', [400]);
    const ok = await route('mixed-ok');
    const bad = await route('mixed-bad');
    // Both rules match the same event: mixed-bad's pattern is changed to mixed-ok's (its target stays).
    await events.send(new PutRuleCommand({ Name: 'mixed-bad', EventPattern: JSON.stringify({ source: ['mixed-ok'] }) }));
    const id = await put('mixed-ok');
    const t = await trace(id);
    assert.equal(t.Outcome, 'PARTIAL');
    const rules = t.Rules as { RuleArn: string; Targets: Json[] }[];
    assert.deepEqual(
      rules.map((r) => [r.RuleArn, r.Targets.map((x) => [x.TargetId, x.TargetArn, x.State, (x.Attempts as unknown[]).length])]),
      [
        [bad.ruleArn, [['sink', bad.destinationArn, 'DROPPED', 1]]],
        [ok.ruleArn, [['sink', ok.destinationArn, 'DELIVERED', 1]]],
      ],
    );
    assert.match(rules[0]?.Targets[0]?.LastError as string, /400/);
  });

  it('an event no rule matched, or matched by a rule without targets: NO_TARGETS; owed to a target not delivered yet: PENDING', async () => {
    const nobody = await trace(await put('nobody-listens'));
    assert.equal(nobody.Outcome, 'NO_TARGETS');
    assert.deepEqual(nobody.Rules, []);
    assert.equal(nobody.Via, undefined);

    await events.send(new PutRuleCommand({ Name: 'lonely', EventPattern: JSON.stringify({ source: ['lonely'] }) }));
    const lonely = await trace(await put('lonely'));
    assert.deepEqual([lonely.Outcome, lonely.Rules], ['NO_TARGETS', []], 'a rule without targets owes nothing, so shows nothing');

    // A Lambda function target: owed, but Switchyard has no adapter for it yet, so it stays pending.
    const lambda = `arn:aws:lambda:${REGION}:${A.account}:function:later`;
    await events.send(new PutRuleCommand({ Name: 'later', EventPattern: JSON.stringify({ source: ['later'] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'later', Targets: [{ Id: 'fn', Arn: lambda }] }));
    const id = await put('later');
    await advance(60_000);
    const later = await trace(id);
    assert.equal(later.Outcome, 'PENDING');
    assert.deepEqual(later.Rules, [
      { RuleArn: `arn:aws:events:${REGION}:${A.account}:rule/later`, Targets: [{ TargetId: 'fn', TargetArn: lambda, State: 'PENDING', Attempts: [] }] },
    ]);
  });

  it("another account's or region's event is not found, word for word as one that does not exist; a malformed id is refused", async () => {
    const id = await put('nobody-listens');
    assert.equal((await trace(id)).EventId, id);
    await refused(trace(id, B), 'ResourceNotFoundException', `Event ${id} does not exist.`);
    await refused(trace(id, A, 'eu-west-1'), 'ResourceNotFoundException', `Event ${id} does not exist.`);
    await refused(trace('no-such-event'), 'ResourceNotFoundException', 'Event no-such-event does not exist.');
    await refused(trace(undefined), 'ValidationException', 'EventId is required.');
    await refused(trace('an id'), 'ValidationException', /^Value 'an id' at 'EventId' failed to satisfy constraint/);
    await refused(trace('x'.repeat(129)), 'ValidationException', /at 'EventId' failed to satisfy constraint/);
    await refused(trace(42), 'ValidationException', 'EventId must be a string.');
  });
});

describe('switchyard trace (the CLI, against a server process)', () => {
  /** The environment of a CLI run: no AWS or Switchyard variables, so requests go unsigned. */
  function cliEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_') || name.startsWith('SWITCHYARD_')) delete env[name];
    return env;
  }

  function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [BIN, 'trace', ...args], { cwd: REPO, env: cliEnv(), timeout: 30_000 }, (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') reject(err);
        else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
      });
    });
  }

  it('prints the trace as JSON; exits 1 for an unknown event, 2 for bad usage', async () => {
    const proc = await startProcess();
    try {
      const account = '000000000000';
      const aws = { endpoint: proc.url, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
      const eb = new EventBridgeClient(aws);
      const q = new SQSClient(aws);
      try {
        await q.send(new CreateQueueCommand({ QueueName: 'orders' }));
        await eb.send(new PutRuleCommand({ Name: 'orders', EventPattern: JSON.stringify({ source: ['shop'] }) }));
        await eb.send(new PutTargetsCommand({ Rule: 'orders', Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:${REGION}:${account}:orders` }] }));
        const out = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'shop', DetailType: 'order', Detail: '{}' }] }));
        const id = out.Entries?.[0]?.EventId as string;
        const api = (): Promise<Json> => call('Switchyard.GetEventTrace', { EventId: id }, { endpoint: proc.url, env: {} });
        // The server runs on its own clock: wait for its dispatcher to deliver.
        const deadline = Date.now() + 10_000;
        let shown = await api();
        while (shown.Outcome !== 'DELIVERED' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          shown = await api();
        }
        assert.equal(shown.Outcome, 'DELIVERED');

        const printed = await cli([id, '--endpoint', proc.url]);
        assert.equal(printed.code, 0, printed.stderr);
        const t = JSON.parse(printed.stdout) as Json;
        assert.deepEqual(t, shown);
        assert.equal(t.EventBusArn, `arn:aws:events:${REGION}:${account}:event-bus/default`);
        const targets = (t.Rules as { RuleArn: string; Targets: Json[] }[]).map((r) => [r.RuleArn, r.Targets.map((x) => [x.TargetId, x.State])]);
        assert.deepEqual(targets, [[`arn:aws:events:${REGION}:${account}:rule/orders`, [['queue', 'DELIVERED']]]]);

        const unknown = await cli(['no-such-event', '--endpoint', proc.url]);
        assert.equal(unknown.code, 1);
        assert.equal(unknown.stdout, '');
        assert.match(unknown.stderr, /ResourceNotFoundException: Event no-such-event does not exist\./);
        assert.equal((await cli(['--endpoint', proc.url])).code, 2, 'no event id');
        assert.equal((await cli([id, 'extra', '--endpoint', proc.url])).code, 2, 'two event ids');
      } finally {
        eb.destroy();
        q.destroy();
      }
    } finally {
      await stopAndCheck(proc);
    }
  });
});
