// End to end: event buses as rule targets (docs/bus-targets.md), with two accounts on one server
// and the real AWS SDK. A forwarded event arrives on the target bus as a new event (a new id and
// ingestion time, the rest of the envelope as it was; AWS's "Event bus target: bus to bus"), is
// matched by that bus's rules, and reaches their queues. Another account's bus takes it only when
// its policy lets the sender's account PutEvents; a refusal, a missing bus and a loop are not
// retried and go to the rule target's dead-letter queue with their ERROR_CODE.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry, Target } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import type Database from 'better-sqlite3';

import { call } from '../src/cli/client.js';
import { stopAndCheck } from './helpers/aws.js';
import { openDatabase, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const A = { accessKeyId: 'AKIDA', secretAccessKey: 'secretA', account: '111111111111' } as const;
const B = { accessKeyId: 'AKIDB', secretAccessKey: 'secretB', account: '222222222222' } as const;
type Who = typeof A | typeof B;

const busArn = (who: Who, name: string): string => `arn:aws:events:${REGION}:${who.account}:event-bus/${name}`;
const queueArn = (who: Who, name: string): string => `arn:aws:sqs:${REGION}:${who.account}:${name}`;
const ruleArn = (who: Who, bus: string, name: string): string =>
  `arn:aws:events:${REGION}:${who.account}:rule/${bus === 'default' ? name : `${bus}/${name}`}`;

let server!: ServerProcess;
const events = new Map<Who, EventBridgeClient>();
const queues = new Map<Who, SQSClient>();
let db: Database.Database | undefined;

before(async () => {
  server = await startServer({
    args: ['--credentials', `${A.accessKeyId}:${A.secretAccessKey}:${A.account},${B.accessKeyId}:${B.secretAccessKey}:${B.account}`],
  });
  for (const who of [A, B]) {
    const credentials = { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey };
    events.set(who, new EventBridgeClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 }));
    queues.set(who, new SQSClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 }));
  }
});

after(async () => {
  db?.close();
  for (const c of [...events.values(), ...queues.values()]) c.destroy();
  await stopAndCheck(server);
});

/** The environment `call` signs a Switchyard API request with, as `who`. */
const signedAs = (who: Who): NodeJS.ProcessEnv => ({ AWS_ACCESS_KEY_ID: who.accessKeyId, AWS_SECRET_ACCESS_KEY: who.secretAccessKey, AWS_REGION: REGION });

const eb = (who: Who): EventBridgeClient => events.get(who) as EventBridgeClient;
const sqs = (who: Who): SQSClient => queues.get(who) as SQSClient;

function store(): Database.Database {
  db ??= openDatabase(server.dataDir);
  return db;
}

async function queue(who: Who, name: string): Promise<string> {
  return (await sqs(who).send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
}

async function rule(who: Who, bus: string, name: string, pattern: unknown, targets: Target[]): Promise<void> {
  await eb(who).send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }));
  const out = await eb(who).send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: targets }));
  assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.FailedEntries));
}

async function putOne(who: Who, entry: PutEventsRequestEntry): Promise<string> {
  const out = await eb(who).send(new PutEventsCommand({ Entries: [entry] }));
  assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.Entries));
  return out.Entries?.[0]?.EventId as string;
}

/** The next message on the queue (long polls up to 10 s), deleted once read. */
async function receiveOne(who: Who, url: string): Promise<Message> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const r = await sqs(who).send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2, MessageAttributeNames: ['All'], MaxNumberOfMessages: 1 }),
    );
    const [m] = r.Messages ?? [];
    if (m !== undefined) {
      await sqs(who).send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      return m;
    }
  }
  assert.fail(`no message on ${url} within 10 s`);
}

const attributesOf = (m: Message): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));

/** The delivery's state and attempts in the store (owed.state: 1 delivered, 3 dead-lettered). */
function delivery(eventId: string, targetId: string): { state: number; attempts: number } {
  return store()
    .prepare(
      `SELECT o.state, o.attempts FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination
       WHERE e.id = ? AND d.target_id = ?`,
    )
    .get(eventId, targetId) as { state: number; attempts: number };
}

describe('event buses as targets', () => {
  it('forwards to a bus of the same account as a new event, matched by that bus’s rules', async () => {
    await eb(A).send(new CreateEventBusCommand({ Name: 'orders' }));
    const url = await queue(A, 'orders-in');
    await rule(A, 'orders', 'orders-to-queue', { source: ['shop'], detail: { total: [{ numeric: ['>', 100] }] } }, [
      { Id: 'q', Arn: queueArn(A, 'orders-in') },
    ]);
    // Input, InputPath and InputTransformer do not apply to a bus target: it gets the whole event.
    await rule(A, 'default', 'to-orders', { source: ['shop'] }, [{ Id: 'bus', Arn: busArn(A, 'orders'), Input: '"ignored"' }]);

    const time = new Date('2026-11-27T10:00:00Z');
    const id = await putOne(A, {
      Source: 'shop',
      DetailType: 'Order Placed',
      Detail: '{"total": 250, "items": ["a", "b"]}',
      Resources: ['arn:aws:shop:order/1'],
      Time: time,
      TraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793',
    });
    const envelope = JSON.parse((await receiveOne(A, url)).Body as string) as Record<string, unknown>;
    assert.notEqual(envelope.id, id, 'a new event id');
    assert.deepEqual(
      { ...envelope, id: 'new' },
      {
        version: '0',
        id: 'new',
        'detail-type': 'Order Placed',
        source: 'shop',
        account: A.account,
        time: '2026-11-27T10:00:00Z',
        region: REGION,
        resources: ['arn:aws:shop:order/1'],
        detail: { total: 250, items: ['a', 'b'] },
      },
    );
    const forwarded = store().prepare('SELECT account, bus, via, trace_header FROM events WHERE id = ?').get(envelope.id);
    assert.deepEqual(forwarded, {
      account: A.account,
      bus: 'orders',
      via: JSON.stringify([busArn(A, 'default')]),
      trace_header: 'Root=1-5759e988-bd862e3fe1be46a994272793',
    });
    assert.deepEqual(delivery(id, 'bus'), { state: 1, attempts: 1 });
    assert.deepEqual(delivery(envelope.id as string, 'q'), { state: 1, attempts: 1 });

    // The trace follows it from bus to bus, both ways (docs/event-trace.md).
    const trace = (eventId: string) => call('Switchyard.GetEventTrace', { EventId: eventId }, { endpoint: server.url, env: signedAs(A) });
    const original = await trace(id);
    const target = (original.Rules as { RuleArn: string; Targets: { TargetId: string; ForwardedEventId?: string }[] }[])
      .find((r) => r.RuleArn === ruleArn(A, 'default', 'to-orders'))?.Targets[0];
    assert.equal(target?.ForwardedEventId, envelope.id);
    const forwardedTrace = await trace(envelope.id as string);
    assert.deepEqual(forwardedTrace.ForwardedFrom, { EventId: id, RuleArn: ruleArn(A, 'default', 'to-orders'), TargetId: 'bus' });
    assert.deepEqual(forwardedTrace.Via, [busArn(A, 'default')]);
    assert.equal(forwardedTrace.Outcome, 'DELIVERED');
  });

  it('forwards to another account’s bus whose policy allows the sender, keeping the sender’s account', async () => {
    await eb(B).send(new CreateEventBusCommand({ Name: 'b-inbox' }));
    await eb(B).send(new PutPermissionCommand({ EventBusName: 'b-inbox', Action: 'events:PutEvents', Principal: A.account, StatementId: 'from-a' }));
    const url = await queue(B, 'b-inbox-q');
    await rule(B, 'b-inbox', 'inbox-to-queue', { source: ['partner'] }, [{ Id: 'q', Arn: queueArn(B, 'b-inbox-q') }]);
    await rule(A, 'default', 'to-b', { source: ['partner'] }, [{ Id: 'b', Arn: busArn(B, 'b-inbox') }]);

    const id = await putOne(A, { Source: 'partner', DetailType: 'Shipment', Detail: '{"n":1}' });
    const envelope = JSON.parse((await receiveOne(B, url)).Body as string) as Record<string, unknown>;
    assert.notEqual(envelope.id, id);
    assert.equal(envelope.account, A.account, 'the account that put the event');
    assert.deepEqual(envelope.detail, { n: 1 });
    assert.deepEqual(store().prepare('SELECT account, bus FROM events WHERE id = ?').get(envelope.id), { account: B.account, bus: 'b-inbox' });
  });

  it('PutTargets refuses Input, InputPath and InputTransformer on another account’s bus (PutTargets’ reference)', async () => {
    await eb(A).send(new PutRuleCommand({ Name: 'to-b-shaped', EventPattern: '{"source":["shaped"]}' }));
    for (const shaping of [{ Input: '{"a":1}' }, { InputPath: '$.detail' }, { InputTransformer: { InputTemplate: '"x"' } }]) {
      await assert.rejects(
        eb(A).send(new PutTargetsCommand({ Rule: 'to-b-shaped', Targets: [{ Id: 'b', Arn: busArn(B, 'b-inbox'), ...shaping }] })),
        (e: Error) => {
          assert.equal(e.name, 'ValidationException');
          assert.equal(e.message, 'Parameter(s) Input, InputPath, InputTransformer not valid for target: b. They are not available when the target is an event bus of a different account.');
          return true;
        },
      );
    }
  });

  it('a bus whose policy does not allow the sender refuses the event: not retried, dead-lettered with NO_PERMISSIONS', async () => {
    await eb(B).send(new CreateEventBusCommand({ Name: 'b-closed' }));
    await queue(B, 'b-closed-q');
    await rule(B, 'b-closed', 'closed-to-queue', { source: ['intruder'] }, [{ Id: 'q', Arn: queueArn(B, 'b-closed-q') }]);
    const dlq = await queue(A, 'a-dlq-refused');
    await rule(A, 'default', 'to-closed', { source: ['intruder'] }, [
      { Id: 'closed', Arn: busArn(B, 'b-closed'), DeadLetterConfig: { Arn: queueArn(A, 'a-dlq-refused') } },
    ]);
    const id = await putOne(A, { Source: 'intruder', DetailType: 'Knock', Detail: '{}' });
    const m = await receiveOne(A, dlq);
    assert.equal((JSON.parse(m.Body as string) as { id: string }).id, id, 'the event itself');
    assert.deepEqual(attributesOf(m), {
      RULE_ARN: ruleArn(A, 'default', 'to-closed'),
      TARGET_ARN: busArn(B, 'b-closed'),
      ERROR_CODE: 'NO_PERMISSIONS',
      ERROR_MESSAGE: `The policy of event bus ${busArn(B, 'b-closed')} does not allow account ${A.account} to perform events:PutEvents.`,
      RETRY_ATTEMPTS: '0',
    });
    assert.deepEqual(delivery(id, 'closed'), { state: 3, attempts: 1 });
    assert.equal((store().prepare("SELECT count(*) AS n FROM events WHERE bus = 'b-closed'").get() as { n: number }).n, 0);
  });

  it('a bus that does not exist: not retried, dead-lettered with NO_RESOURCE', async () => {
    const dlq = await queue(A, 'a-dlq-missing');
    await rule(A, 'default', 'to-nowhere', { source: ['lost'] }, [
      { Id: 'gone', Arn: busArn(A, 'never-created'), DeadLetterConfig: { Arn: queueArn(A, 'a-dlq-missing') } },
    ]);
    const id = await putOne(A, { Source: 'lost', DetailType: 'Lost', Detail: '{}' });
    const m = await receiveOne(A, dlq);
    assert.equal((JSON.parse(m.Body as string) as { id: string }).id, id);
    assert.equal(attributesOf(m).ERROR_CODE, 'NO_RESOURCE');
    assert.equal(attributesOf(m).ERROR_MESSAGE, 'Event bus never-created does not exist.');
    assert.deepEqual(delivery(id, 'gone'), { state: 3, attempts: 1 });
  });

  it('a cycle of bus targets ends: the forward back to a bus the event came through is LOOP_DETECTED', async () => {
    await eb(A).send(new CreateEventBusCommand({ Name: 'ping' }));
    await eb(A).send(new CreateEventBusCommand({ Name: 'pong' }));
    const dlq = await queue(A, 'a-dlq-loop');
    const seen = await queue(A, 'pong-seen');
    await rule(A, 'ping', 'ping-to-pong', { source: ['loop'] }, [{ Id: 'to-pong', Arn: busArn(A, 'pong') }]);
    await rule(A, 'pong', 'pong-to-ping', { source: ['loop'] }, [
      { Id: 'to-ping', Arn: busArn(A, 'ping'), DeadLetterConfig: { Arn: queueArn(A, 'a-dlq-loop') } },
      { Id: 'seen', Arn: queueArn(A, 'pong-seen') },
    ]);
    const id = await putOne(A, { Source: 'loop', DetailType: 'Round', Detail: '{}', EventBusName: 'ping' });

    const onPong = JSON.parse((await receiveOne(A, seen)).Body as string) as { id: string };
    const m = await receiveOne(A, dlq);
    assert.equal((JSON.parse(m.Body as string) as { id: string }).id, onPong.id, 'the event pong would have sent back');
    assert.deepEqual(attributesOf(m), {
      RULE_ARN: ruleArn(A, 'pong', 'pong-to-ping'),
      TARGET_ARN: busArn(A, 'ping'),
      ERROR_CODE: 'LOOP_DETECTED',
      ERROR_MESSAGE: `The event has already been on event bus ${busArn(A, 'ping')}.`,
      RETRY_ATTEMPTS: '0',
    });
    const onBuses = store().prepare("SELECT bus FROM events WHERE bus IN ('ping', 'pong') ORDER BY rowid").all() as { bus: string }[];
    assert.deepEqual(onBuses.map((r) => r.bus), ['ping', 'pong'], 'one event on each bus, nothing more');
    assert.deepEqual(delivery(id, 'to-pong'), { state: 1, attempts: 1 });
  });
});
