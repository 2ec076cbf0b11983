// The queue engine (src/queues/engine.ts) over the real SQLite store, with a clock the test moves:
// what SQS decides by time. Retention, the 5-minute deduplication window, the 60-second rules for
// PurgeQueue and for re-creating a deleted queue, delays and visibility timeouts are each checked
// on both sides of their boundary, to the millisecond, without waiting.
//
// test/e2e-sqs.test.ts covers the same engine through the SDK, where time cannot be moved.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SwitchyardError } from '../src/domain/errors.js';
import type { ErrorCode } from '../src/domain/errors.js';
import { encodeReceipt, QueueEngine } from '../src/queues/engine.js';
import type { ReceiveOptions } from '../src/queues/engine.js';
import type { Queue, StoredMessage } from '../src/queues/model.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const SCOPE = { account: '123456789012', region: 'eu-west-1' };
const SECOND = 1000;
const MINUTE = 60 * SECOND;

let dir: string;
let store: SqliteStore;
let engine: QueueEngine;
/** The engine's clock. */
let clock = Date.UTC(2026, 0, 1);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-queues-'));
  store = openSqliteStore(dir);
  engine = new QueueEngine({ store: store.queues, now: () => clock });
});

after(async () => {
  engine.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function tick(ms: number): void {
  clock += ms;
}

async function queue(name: string, attributes: Record<string, string> = {}): Promise<Queue> {
  return engine.createQueue(SCOPE, name, attributes, {});
}

async function send(q: Queue, body: string, extra: { DelaySeconds?: number; MessageGroupId?: string; MessageDeduplicationId?: string } = {}) {
  const [outcome] = await engine.send(q, [engine.check(q, { MessageBody: body, ...extra })], 'tester');
  assert.ok(outcome !== undefined);
  return outcome;
}

async function receive(q: Queue, opts: Partial<ReceiveOptions> = {}): Promise<StoredMessage[]> {
  return engine.receive(q, { max: 10, waitTimeSeconds: 0, ...opts });
}

function handle(q: Queue, m: StoredMessage): string {
  return encodeReceipt({ queueId: q.id, seq: m.seq, nonce: m.receipt ?? '', receivedAt: m.receivedAt ?? 0 });
}

/** [visible, in flight, delayed], as GetQueueAttributes reports them. */
async function counts(q: Queue): Promise<[number, number, number]> {
  const a = await engine.allAttributes(q);
  return [Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible), Number(a.ApproximateNumberOfMessagesDelayed)];
}

async function refused(p: Promise<unknown>, code: ErrorCode, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SwitchyardError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  });
}

describe('retention', () => {
  it('drops messages, visible or in flight, once older than MessageRetentionPeriod', async () => {
    const q = await queue('retention', { MessageRetentionPeriod: '60' });
    const t0 = clock;
    await send(q, 'old');
    await send(q, 'old too');
    const [inFlight] = await receive(q, { max: 1, visibilityTimeout: 600 });
    assert.ok(inFlight !== undefined);
    tick(30 * SECOND);
    await send(q, 'young');
    assert.deepEqual(await counts(q), [2, 1, 0]);

    clock = t0 + MINUTE; // exactly the retention period: still kept
    assert.deepEqual(await counts(q), [2, 1, 0]);
    clock = t0 + MINUTE + 1;
    assert.deepEqual(await counts(q), [1, 0, 0], 'past retention: not counted before the sweep either');
    assert.equal(await engine.sweep(), 2);
    assert.deepEqual((await receive(q)).map((m) => m.body), ['young']);
    // The expired message's handle: deleting what is gone succeeds.
    await engine.deleteMessage(q, handle(q, inFlight));

    clock = t0 + 30 * SECOND + MINUTE + 1;
    assert.deepEqual(await counts(q), [0, 0, 0]);
    assert.deepEqual(await receive(q), [], 'a receive skips (and drops) what is past retention before the sweep');
    assert.equal(await engine.sweep(), 0);
  });

  it('counts from the original send in a standard dead-letter queue, from the move in a FIFO one', async () => {
    const dlq = await queue('retention-dlq', { MessageRetentionPeriod: '60' });
    const src = await queue('retention-src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) });
    await send(src, 'poison');
    assert.equal((await receive(src, { visibilityTimeout: 0 })).length, 1);
    tick(2 * MINUTE);
    assert.deepEqual(await receive(src, { visibilityTimeout: 0 }), [], 'moved to the dead-letter queue');
    assert.deepEqual(await counts(dlq), [0, 0, 0], 'older than the DLQ retention since its send: gone');

    const fifoDlq = await queue('retention-dlq.fifo', { FifoQueue: 'true', MessageRetentionPeriod: '60' });
    const fifoSrc = await queue('retention-src.fifo', {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: fifoDlq.arn, maxReceiveCount: 1 }),
    });
    await send(fifoSrc, 'poison', { MessageGroupId: 'g' });
    assert.equal((await receive(fifoSrc, { visibilityTimeout: 0 })).length, 1);
    tick(2 * MINUTE);
    assert.deepEqual(await receive(fifoSrc, { visibilityTimeout: 0 }), []);
    assert.deepEqual(await counts(fifoDlq), [1, 0, 0], 'a FIFO dead-letter queue counts from the move');
    tick(MINUTE + 1);
    assert.deepEqual(await counts(fifoDlq), [0, 0, 0]);
  });
});

describe('FIFO deduplication window', () => {
  it('treats the same id as a duplicate for 5 minutes from the first send, even after a delete', async () => {
    const q = await queue('window.fifo', { FifoQueue: 'true' });
    const t0 = clock;
    const first = await send(q, 'one', { MessageGroupId: 'g', MessageDeduplicationId: 'd' });
    assert.equal(first.duplicate, false);
    const [m] = await receive(q);
    assert.ok(m !== undefined);
    await engine.deleteMessage(q, handle(q, m));

    clock = t0 + 4 * MINUTE;
    const dup = await send(q, 'two', { MessageGroupId: 'g', MessageDeduplicationId: 'd' });
    assert.deepEqual(dup, { ...first, duplicate: true });

    clock = t0 + 5 * MINUTE - 1;
    assert.equal((await send(q, 'three', { MessageGroupId: 'g', MessageDeduplicationId: 'd' })).duplicate, true, 'a duplicate does not extend the window');
    assert.deepEqual(await receive(q), []);

    clock = t0 + 5 * MINUTE;
    const fresh = await send(q, 'four', { MessageGroupId: 'g', MessageDeduplicationId: 'd' });
    assert.equal(fresh.duplicate, false);
    assert.notEqual(fresh.messageId, first.messageId);
    assert.ok(BigInt(fresh.sequenceNumber ?? '0') > BigInt(first.sequenceNumber ?? '0'), 'sequence numbers only grow');
    assert.deepEqual((await receive(q)).map((x) => x.body), ['four']);
  });

  it('applies to content-based ids, per group when so scoped', async () => {
    const q = await queue('window-content.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true', DeduplicationScope: 'messageGroup' });
    const t0 = clock;
    const a = await send(q, 'same', { MessageGroupId: 'a' });
    assert.equal((await send(q, 'same', { MessageGroupId: 'b' })).duplicate, false);
    clock = t0 + 5 * MINUTE - 1;
    assert.equal((await send(q, 'same', { MessageGroupId: 'a' })).messageId, a.messageId);
    clock = t0 + 5 * MINUTE;
    assert.equal((await send(q, 'same', { MessageGroupId: 'a' })).duplicate, false);
  });
});

describe('the 60-second rules', () => {
  it('allows one PurgeQueue per queue every 60 seconds', async () => {
    const q = await queue('purge');
    const other = await queue('purge-other');
    const t0 = clock;
    await send(q, 'x');
    await engine.purgeQueue(q);
    await engine.purgeQueue(other);
    assert.deepEqual(await counts(q), [0, 0, 0]);
    clock = t0 + MINUTE - 1;
    await refused(engine.purgeQueue(q), 'PurgeQueueInProgress', 'Only one PurgeQueue operation on purge is allowed every 60 seconds.');
    clock = t0 + MINUTE;
    await engine.purgeQueue(q);
  });

  it('keeps a deleted queue name for 60 seconds; then it is a new, empty queue', async () => {
    const old = await queue('recreate', { VisibilityTimeout: '5' });
    await send(old, 'left behind');
    const [m] = await receive(old);
    assert.ok(m !== undefined);
    const t0 = clock;
    await engine.deleteQueue(old);
    clock = t0 + MINUTE - 1;
    await refused(queue('recreate'), 'QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another with the same name.');
    clock = t0 + MINUTE;
    const fresh = await queue('recreate');
    assert.notEqual(fresh.id, old.id);
    assert.equal(fresh.attributes.VisibilityTimeout, '30');
    assert.deepEqual(await counts(fresh), [0, 0, 0]);
    // A handle from the old queue touches nothing in the new one.
    await send(fresh, 'new');
    await engine.deleteMessage(fresh, handle(old, m));
    assert.deepEqual(await counts(fresh), [1, 0, 0]);
  });
});

describe('delays and visibility timeouts', () => {
  it('holds a delayed message until its delay ends', async () => {
    const q = await queue('delay');
    const t0 = clock;
    await send(q, 'later', { DelaySeconds: 10 });
    assert.deepEqual(await counts(q), [0, 0, 1]);
    clock = t0 + 10 * SECOND - 1;
    assert.deepEqual(await receive(q), []);
    clock = t0 + 10 * SECOND;
    assert.deepEqual(await counts(q), [1, 0, 0]);
    const [m] = await receive(q);
    assert.equal(m?.body, 'later');
    assert.equal(m?.sentAt, t0, 'SentTimestamp is the send, not the end of the delay');
  });

  it("delays by the queue's DelaySeconds, and FIFO groups wait behind a delayed head", async () => {
    const q = await queue('delay-queue.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true', DelaySeconds: '5' });
    const t0 = clock;
    await send(q, 'first', { MessageGroupId: 'g' });
    tick(3 * SECOND);
    await send(q, 'second', { MessageGroupId: 'g' });
    assert.deepEqual(await counts(q), [0, 0, 2]);
    clock = t0 + 5 * SECOND;
    assert.deepEqual((await receive(q)).map((m) => m.body), ['first'], 'the second is still delayed');
  });

  it('delivers a received message again when its visibility timeout ends', async () => {
    const q = await queue('visibility', { VisibilityTimeout: '30' });
    const t0 = clock;
    await send(q, 'again');
    const [first] = await receive(q);
    assert.equal(first?.receiveCount, 1);
    assert.equal(first?.firstReceivedAt, t0);
    clock = t0 + 30 * SECOND - 1;
    assert.deepEqual(await receive(q), []);
    assert.deepEqual(await counts(q), [0, 1, 0]);
    clock = t0 + 30 * SECOND;
    const [second] = await receive(q, { visibilityTimeout: 10 });
    assert.equal(second?.receiveCount, 2);
    assert.equal(second?.firstReceivedAt, t0);
    assert.notEqual(second?.receipt, first?.receipt);

    // ChangeMessageVisibility counts from the call, not from the receive.
    tick(5 * SECOND);
    assert.ok(second !== undefined);
    await engine.changeVisibility(q, handle(q, second), 20);
    const changedAt = clock;
    clock = changedAt + 20 * SECOND - 1;
    assert.deepEqual(await receive(q), []);
    clock = changedAt + 20 * SECOND;
    assert.equal((await receive(q)).length, 1);
  });

  it('keeps a message invisible for at most 12 hours since its receive (§2.6)', async () => {
    const q = await queue('twelve-hours');
    await send(q, 'slow work');
    const [m] = await receive(q, { visibilityTimeout: 3600 });
    assert.ok(m !== undefined);
    const h = handle(q, m);
    await engine.changeVisibility(q, h, 43_200);
    tick(3600 * SECOND);
    await refused(
      engine.changeVisibility(q, h, 39_601),
      'InvalidParameterValue',
      'Value 39601 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]',
    );
    await engine.changeVisibility(q, h, 39_600);
    clock += 39_600 * SECOND - 1;
    assert.deepEqual(await receive(q), []);
    tick(1);
    // A new receive starts a new 12 hours.
    const [again] = await receive(q);
    assert.ok(again !== undefined);
    await engine.changeVisibility(q, handle(q, again), 43_200);
  });

  it('on a FIFO queue, refuses to delete once the visibility timeout has ended', async () => {
    const q = await queue('expiry.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await send(q, 'a', { MessageGroupId: 'g' });
    await send(q, 'b', { MessageGroupId: 'g' });
    const t0 = clock;
    const [a] = await receive(q, { max: 1, visibilityTimeout: 30 });
    assert.ok(a !== undefined);
    clock = t0 + 30 * SECOND;
    const h = handle(q, a);
    await refused(engine.deleteMessage(q, h), 'InvalidParameterValue', `Value ${h} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
    const [again] = await receive(q, { max: 1, visibilityTimeout: 30 });
    assert.equal(again?.body, 'a', 'order kept: the head comes back first');
    clock += 30 * SECOND - 1;
    await engine.deleteMessage(q, handle(q, again as StoredMessage));
    assert.deepEqual((await receive(q)).map((m) => m.body), ['b']);
  });
});

describe('long polls in process', () => {
  it('wakes a waiting receive on a send, and close() ends waits with nothing', async () => {
    // The clock stands still: only a wake-up can end these 20 s waits early.
    const q = await queue('poll');
    const started = Date.now();
    // The send races the receive's first look: whichever comes first, the receive gets it at once.
    const waiting = receive(q, { waitTimeSeconds: 20 });
    await send(q, 'hello');
    assert.deepEqual((await waiting).map((m) => m.body), ['hello']);
    const parkedFirst = receive(q, { waitTimeSeconds: 20 });
    await new Promise((r) => setImmediate(r));
    await send(q, 'world');
    assert.deepEqual((await parkedFirst).map((m) => m.body), ['world']);

    const own = new QueueEngine({ store: store.queues, now: () => clock });
    const parked = own.receive(q, { max: 1, waitTimeSeconds: 20 });
    await new Promise((r) => setImmediate(r));
    own.close();
    assert.deepEqual(await parked, []);
    assert.ok(Date.now() - started < 5000, 'no receive waited its 20 s');
  });
});
