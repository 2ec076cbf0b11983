// End to end: events on a bus reach Switchyard's own queues. A rule's target is a queue ARN;
// PutEvents (EventBridge SDK) puts events, a consumer (SQS SDK) long-polls the queue and receives
// the EventBridge envelope, or the target's transformed input, exactly once per matched target.
// FIFO queues get SqsParameters.MessageGroupId and keep the order of acceptance within a group.
// A target whose queue does not exist is recorded as a failed delivery, and the server goes on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { Target } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import type Database from 'better-sqlite3';

import { stopAndCheck } from './helpers/aws.js';
import { openDatabase, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };
const queueArn = (name: string): string => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

let server!: ServerProcess;
let events!: EventBridgeClient;
let sqs!: SQSClient;

before(async () => {
  server = await startServer();
  events = new EventBridgeClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
  sqs = new SQSClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
});

after(async () => {
  events?.destroy();
  sqs?.destroy();
  await stopAndCheck(server);
});

async function queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl as string;
}

async function rule(name: string, pattern: unknown, targets: Target[]): Promise<void> {
  await events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
  const put = await events.send(new PutTargetsCommand({ Rule: name, Targets: targets }));
  assert.equal(put.FailedEntryCount, 0);
}

async function put(source: string, details: readonly unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < details.length; i += 10) {
    const entries = details.slice(i, i + 10).map((d) => ({ Source: source, DetailType: 'Test', Detail: JSON.stringify(d) }));
    const out = await events.send(new PutEventsCommand({ Entries: entries }));
    assert.equal(out.FailedEntryCount, 0);
    ids.push(...(out.Entries ?? []).map((e) => e.EventId as string));
  }
  return ids;
}

/** Receive (long polls) until `n` messages have come, deleting each; fails after 10 s without them. */
async function drain(url: string, n: number): Promise<Message[]> {
  const got: Message[] = [];
  const deadline = Date.now() + 10_000;
  while (got.length < n) {
    assert.ok(Date.now() < deadline, `only ${got.length} of ${n} messages arrived`);
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['All'] }),
    );
    for (const m of r.Messages ?? []) {
      got.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

describe('rule targets on built-in queues', () => {
  it('a consumer receives the EventBridge envelope of each matched event, once', async () => {
    const url = await queue('orders-in');
    await rule('orders-to-queue', { source: ['shop.orders'], detail: { kind: ['order'] } }, [{ Id: 'q', Arn: queueArn('orders-in') }]);
    const ids = await put('shop.orders', [
      { kind: 'order', n: 1 },
      { kind: 'refund', n: 2 },
      { kind: 'order', n: 3 },
    ]);
    const got = await drain(url, 2);
    const envelopes = got.map((m) => JSON.parse(m.Body as string) as Record<string, unknown>);
    assert.deepEqual(
      envelopes.map((e) => e.id).sort(),
      [ids[0], ids[2]].sort(),
      'the two matching events, not the refund',
    );
    for (const e of envelopes) {
      assert.deepEqual(Object.keys(e), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
      assert.equal(e.source, 'shop.orders');
      assert.equal(e['detail-type'], 'Test');
      assert.equal(e.account, ACCOUNT);
      assert.equal(e.region, REGION);
      assert.equal((e.detail as { kind: string }).kind, 'order');
    }
    for (const m of got) assert.equal(m.Attributes?.SenderId, 'events.amazonaws.com');
    // Nothing more: each event was delivered once.
    const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    assert.equal(more.Messages, undefined);
  });

  it('a target with an InputTransformer sends its output, and one event reaches two targets', async () => {
    const plain = await queue('plain-copy');
    const shaped = await queue('shaped-copy');
    await rule('two-targets', { source: ['shop.shipping'] }, [
      { Id: 'plain', Arn: queueArn('plain-copy') },
      {
        Id: 'shaped',
        Arn: queueArn('shaped-copy'),
        InputTransformer: { InputPathsMap: { parcel: '$.detail.parcel' }, InputTemplate: '"Parcel <parcel> shipped"' },
      },
    ]);
    const [id] = await put('shop.shipping', [{ parcel: 'P-17' }]);
    const [p] = await drain(plain, 1);
    const [s] = await drain(shaped, 1);
    assert.equal((JSON.parse(p?.Body as string) as { id: string }).id, id);
    assert.equal(s?.Body, '"Parcel P-17 shipped"');
  });

  it('a FIFO queue gets the MessageGroupId and keeps the order the events were accepted in', async () => {
    const url = await queue('ordered.fifo', { FifoQueue: 'true' });
    await rule('to-fifo', { source: ['shop.ledger'] }, [{ Id: 'f', Arn: queueArn('ordered.fifo'), SqsParameters: { MessageGroupId: 'ledger' } }]);
    const details = Array.from({ length: 25 }, (_, n) => ({ n }));
    const ids = await put('shop.ledger', details);
    const got = await drain(url, 25);
    assert.deepEqual(
      got.map((m) => (JSON.parse(m.Body as string) as { detail: { n: number } }).detail.n),
      details.map((d) => d.n),
    );
    for (const [i, m] of got.entries()) {
      assert.equal(m.Attributes?.MessageGroupId, 'ledger');
      assert.equal(m.Attributes?.MessageDeduplicationId, ids[i], 'deduplicated by event id (no content-based deduplication)');
      assert.match(m.Attributes?.SequenceNumber ?? '', /^\d{20}$/);
    }
  });

  it('a target whose queue does not exist dead-letters the event, with the six attributes AWS documents', async () => {
    const dlq = await queue('targets-dlq');
    await rule('to-nowhere', { source: ['shop.lost'] }, [
      { Id: 'lost', Arn: queueArn('never-created'), DeadLetterConfig: { Arn: queueArn('targets-dlq') } },
    ]);
    const [id] = await put('shop.lost', [{ x: 1 }]);
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }));
    const [m] = r.Messages ?? [];
    assert.equal((JSON.parse(m?.Body as string) as { id: string }).id, id, 'the event itself');
    const attributes = Object.fromEntries(Object.entries(m?.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));
    assert.deepEqual(attributes, {
      RULE_ARN: `arn:aws:events:${REGION}:${ACCOUNT}:rule/to-nowhere`,
      TARGET_ARN: queueArn('never-created'),
      ERROR_CODE: 'NO_RESOURCE',
      ERROR_MESSAGE: 'The specified queue does not exist.',
      RETRY_ATTEMPTS: '0',
    });
  });

  it('a target whose queue does not exist fails that delivery only; the others go on', async () => {
    const url = await queue('survivor');
    await rule('half-broken', { source: ['shop.audit'] }, [
      { Id: 'missing', Arn: queueArn('no-such-queue') },
      { Id: 'fine', Arn: queueArn('survivor') },
    ]);
    const [id] = await put('shop.audit', [{ x: 1 }]);
    const [m] = await drain(url, 1);
    assert.equal((JSON.parse(m?.Body as string) as { id: string }).id, id);
    let db: Database.Database | undefined;
    try {
      db = openDatabase(server.dataDir);
      const row = db
        .prepare("SELECT state, attempts, last_error FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination WHERE e.id = ? AND d.target_id = 'missing'")
        .get(id) as { state: number; attempts: number; last_error: string };
      // Not retried (the target does not exist) and no dead-letter queue: dropped, with its error.
      assert.deepEqual(row, { state: 2, attempts: 1, last_error: 'NO_RESOURCE: The specified queue does not exist.' });
    } finally {
      db?.close();
    }
  });
});
