// Durability of queues under SIGKILL. SDK clients send messages to a standard and a FIFO queue
// (SendMessage and SendMessageBatch) while others receive them with a 2-second VisibilityTimeout,
// delete about half and leave the rest in flight; the server is killed with SIGKILL mid-load
// (once enough sends were acknowledged and a message of each queue is surely in flight, never
// after a fixed sleep), restarted on the same data directory, and both queues are drained with
// long polls. Then:
//
//   - every message acknowledged with a MessageId is delivered in the drain, with that MessageId,
//     its body and (FIFO) its SequenceNumber, unless its deletion was acknowledged before;
//   - a message whose deletion was acknowledged (while its receipt was current) never comes back;
//   - a message is delivered again only after the visibility timeout of its previous delivery
//     ended (SQS's at-least-once redelivery of in-flight messages), whether the server restarted
//     in between or not: the in-flight messages come back in the drain, not at once, so their
//     visibility survived the kill; no message is delivered twice in the drain;
//   - FIFO order per group survives: the first deliveries of a group's messages come in the order
//     they were sent (one sender owns each group, so its order is known), each answer holds a
//     group's messages in order, and the drain delivers each group in order.
//
// Two kill/restart cycles on one data directory, each drained empty before the next. The wait for
// the in-flight messages is the behaviour under test (their 2 s visibility timeout ending, which
// the drain's long poll must notice after the restart); nothing else waits on time.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';

import { assertNoServersLeft, openDatabase, removeDataDir, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const QUEUE_NAMES = { standard: 'crash-standard', fifo: 'crash.fifo' } as const;
type Kind = keyof typeof QUEUE_NAMES;
const KINDS: readonly Kind[] = ['standard', 'fifo'];
const CYCLES = 2;
/** Senders per queue; each FIFO sender owns GROUPS_PER_SENDER groups. */
const SENDERS = 3;
const GROUPS_PER_SENDER = 3;
/** Load-phase receivers per queue. */
const RECEIVERS = 2;
/** The VisibilityTimeout of the load-phase receives (seconds): what the drain must wait out. */
const VISIBILITY_S = 2;
/** The drain's receives delete at once; this only has to outlast a delete. */
const DRAIN_VISIBILITY_S = 30;
/** Kill once this many send requests were acknowledged in the cycle (and messages are in flight). */
const SENDS_BEFORE_KILL = 120;
/** A message left in flight counts as surely in flight at the kill if its receive started this recently. */
const IN_FLIGHT_MARGIN_MS = 500;
/** The drain gives up (and the test fails, listing what is missing) this long after the visibility timeout. */
const DRAIN_GRACE_MS = 8_000;

function client(server: ServerProcess): SQSClient {
  return new SQSClient({
    endpoint: server.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // A request that fails at the kill is simply not acknowledged: no retries.
    maxAttempts: 1,
  });
}

/** A message a sender tried to send (acknowledged or not). */
interface Attempt {
  readonly key: string;
  readonly kind: Kind;
  readonly body: string;
  /** FIFO: its group and its place in the group (0, 1, ...: the sender's order). */
  readonly group?: string;
  readonly n?: number;
}

/** What a 200 answered for a message. */
interface Ack {
  readonly messageId: string;
  readonly sequenceNumber?: string;
}

interface Delivery {
  readonly phase: 'load' | 'drain';
  readonly messageId: string;
  /** Date.now() before the ReceiveMessage was sent, and after its answer: the claim lies between. */
  readonly requestedAt: number;
  readonly answeredAt: number;
  readonly visibilityS: number;
  readonly receiveCount: number;
  readonly sequenceNumber?: string;
  readonly groupId?: string;
}

/** Everything the clients saw in one cycle, and the checks made as they see it. */
class Ledger {
  readonly attempts = new Map<string, Attempt>();
  readonly acks = new Map<string, Ack>();
  readonly deliveries = new Map<string, Delivery[]>();
  /** Deleted for sure: the delete was acknowledged before the receipt's visibility timeout ended. */
  readonly deleted = new Set<string>();
  /** Maybe deleted: the delete failed at the kill, or was acknowledged too late to be sure. */
  readonly maybeDeleted = new Set<string>();
  /** FIFO: per group, how many of its messages were delivered a first time (they must come in order). */
  private readonly firstDelivered = new Map<string, number>();
  private readonly nextInGroup = new Map<string, number>();
  private nextKey = 0;

  constructor(readonly cycle: number) {}

  attempt(kind: Kind, group?: string): Attempt {
    const key = `c${this.cycle}-${kind}-${this.nextKey++}`;
    const pad = 'x'.repeat(Math.floor(Math.random() * 200));
    let a: Attempt;
    if (group === undefined) {
      a = { key, kind, body: JSON.stringify({ key, pad }) };
    } else {
      const n = this.nextInGroup.get(group) ?? 0;
      this.nextInGroup.set(group, n + 1);
      a = { key, kind, group, n, body: JSON.stringify({ key, group, n, pad }) };
    }
    this.attempts.set(key, a);
    return a;
  }

  ack(a: Attempt, messageId: string | undefined, sequenceNumber: string | undefined): void {
    assert.ok(messageId, `no MessageId for ${a.key}`);
    if (a.kind === 'fifo') assert.ok(sequenceNumber, `no SequenceNumber for ${a.key}`);
    this.acks.set(a.key, { messageId, ...(sequenceNumber === undefined ? {} : { sequenceNumber }) });
  }

  /**
   * Record the messages of one ReceiveMessage answer and check them against what came before:
   * a known body, redelivery only after the previous visibility timeout, never after a sure
   * delete, FIFO groups in order. Returns the attempts, in the answer's order.
   */
  receive(kind: Kind, messages: readonly Message[], requestedAt: number, answeredAt: number, visibilityS: number, phase: Delivery['phase']): Attempt[] {
    const out: Attempt[] = [];
    const lastInAnswer = new Map<string, number>();
    for (const m of messages) {
      const key = (JSON.parse(m.Body ?? '{}') as { key?: string }).key ?? '';
      const a = this.attempts.get(key);
      assert.ok(a !== undefined, `received a message nobody sent: ${m.Body?.slice(0, 80)}`);
      assert.equal(a.kind, kind, `${key} received from the ${kind} queue`);
      assert.equal(m.Body, a.body, `${key}: the body changed`);
      const attrs = m.Attributes ?? {};
      const previous = this.deliveries.get(key) ?? [];
      const last = previous.at(-1);
      if (last !== undefined) {
        assert.ok(
          answeredAt >= last.requestedAt + last.visibilityS * 1000,
          `${key} delivered again ${answeredAt - last.requestedAt} ms after a receive with a ${last.visibilityS} s visibility timeout ` +
            `(${last.phase} -> ${phase})`,
        );
      }
      assert.ok(!this.deleted.has(key), `${key} delivered again after its deletion was acknowledged (${phase})`);
      if (a.group !== undefined) {
        const n = a.n as number;
        assert.equal(attrs.MessageGroupId, a.group, `${key}: MessageGroupId`);
        const before = lastInAnswer.get(a.group);
        assert.ok(before === undefined || n > before, `group ${a.group}: message ${n} after ${before} in one answer`);
        lastInAnswer.set(a.group, n);
        if (previous.length === 0) {
          const expected = this.firstDelivered.get(a.group) ?? 0;
          assert.equal(n, expected, `group ${a.group}: message ${n} delivered before message ${expected} ever was`);
          this.firstDelivered.set(a.group, n + 1);
        }
      }
      this.deliveries.set(key, [
        ...previous,
        {
          phase,
          messageId: m.MessageId ?? '',
          requestedAt,
          answeredAt,
          visibilityS,
          receiveCount: Number(attrs.ApproximateReceiveCount),
          ...(attrs.SequenceNumber === undefined ? {} : { sequenceNumber: attrs.SequenceNumber }),
          ...(attrs.MessageGroupId === undefined ? {} : { groupId: attrs.MessageGroupId }),
        },
      ]);
      out.push(a);
    }
    return out;
  }

  /** A delete of `keys` was acknowledged at `at`: sure for those whose receipt was still current. */
  deletedAt(keys: readonly string[], at: number): void {
    for (const key of keys) {
      const last = this.deliveries.get(key)?.at(-1) as Delivery;
      if (at < last.requestedAt + last.visibilityS * 1000) this.deleted.add(key);
      else this.maybeDeleted.add(key);
    }
  }
}

interface LoadStats {
  sends: number;
  received: number;
  deletes: number;
  /** Messages left in flight by the load-phase receivers. */
  left: number;
  /** Keys surely in flight at the kill (not deleted, receive started < VISIBILITY_S before it). */
  inFlightAtKill: string[];
}

/**
 * Senders and receivers on both queues until SENDS_BEFORE_KILL sends were acknowledged and a
 * message of each queue was left in flight less than VISIBILITY_S - IN_FLIGHT_MARGIN_MS ago; then
 * SIGKILL (with a jitter of 0-3 ms). Resolves when every loop stopped: each stops on its first
 * failed request after the kill (a failure before it fails the test).
 */
async function loadAndKill(server: ServerProcess, urls: Record<Kind, string>, ledger: Ledger): Promise<Record<Kind, LoadStats>> {
  const sqs = client(server);
  const stats: Record<Kind, LoadStats> = {
    standard: { sends: 0, received: 0, deletes: 0, left: 0, inFlightAtKill: [] },
    fifo: { sends: 0, received: 0, deletes: 0, left: 0, inFlightAtKill: [] },
  };
  const lastLeftAt: Record<Kind, number> = { standard: -Infinity, fifo: -Infinity };
  let killedAt = Number.NaN;
  let killing: Promise<number | null> | undefined;
  const maybeKill = (): void => {
    if (killing !== undefined) return;
    const sends = stats.standard.sends + stats.fifo.sends;
    const recent = (k: Kind): boolean => Date.now() - lastLeftAt[k] < VISIBILITY_S * 1000 - IN_FLIGHT_MARGIN_MS;
    // (Should messages never be left in flight, kill anyway after a while: the test then fails on that.)
    const ready = sends >= SENDS_BEFORE_KILL && recent('standard') && recent('fifo');
    if (!ready && sends < 20 * SENDS_BEFORE_KILL) return;
    killing = new Promise((resolve) => {
      setTimeout(() => {
        killedAt = Date.now();
        resolve(server.stop('SIGKILL'));
      }, Math.floor(Math.random() * 4));
    });
  };
  const failedAtKill = (what: string, e: unknown): void => {
    assert.ok(killing !== undefined, `${what} failed before the kill: ${String(e)}`);
  };

  const sender = async (kind: Kind, s: number): Promise<void> => {
    const groups = Array.from({ length: GROUPS_PER_SENDER }, (_, g) => `c${ledger.cycle}-s${s}-g${g}`);
    for (let i = 0; ; i++) {
      const size = i % 2 === 0 ? 1 : 1 + Math.floor(Math.random() * 10);
      const batch = i % 2 === 1;
      const attempts = Array.from({ length: size }, () =>
        ledger.attempt(kind, kind === 'fifo' ? groups[Math.floor(Math.random() * groups.length)] : undefined),
      );
      const entry = (a: Attempt): { MessageBody: string; MessageGroupId?: string; MessageDeduplicationId?: string } => ({
        MessageBody: a.body,
        ...(a.group === undefined ? {} : { MessageGroupId: a.group, MessageDeduplicationId: a.key }),
      });
      try {
        if (!batch) {
          const a = attempts[0] as Attempt;
          const out = await sqs.send(new SendMessageCommand({ QueueUrl: urls[kind], ...entry(a) }));
          ledger.ack(a, out.MessageId, out.SequenceNumber);
        } else {
          const out = await sqs.send(
            new SendMessageBatchCommand({ QueueUrl: urls[kind], Entries: attempts.map((a, j) => ({ Id: `e${j}`, ...entry(a) })) }),
          );
          assert.deepEqual(out.Failed ?? [], [], 'SendMessageBatch failed entries');
          assert.equal(out.Successful?.length, size);
          for (const ok of out.Successful ?? []) {
            const a = attempts[Number(ok.Id?.slice(1))] as Attempt;
            ledger.ack(a, ok.MessageId, ok.SequenceNumber);
          }
        }
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        failedAtKill(batch ? 'SendMessageBatch' : 'SendMessage', e);
        return;
      }
      stats[kind].sends++;
      maybeKill();
    }
  };

  const receiver = async (kind: Kind): Promise<void> => {
    for (let i = 0; ; i++) {
      const requestedAt = Date.now();
      let messages: Message[];
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: urls[kind],
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            VisibilityTimeout: VISIBILITY_S,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        messages = out.Messages ?? [];
      } catch (e) {
        failedAtKill('ReceiveMessage', e);
        return;
      }
      const got = ledger.receive(kind, messages, requestedAt, Date.now(), VISIBILITY_S, 'load');
      stats[kind].received += got.length;
      // Delete about half, leave the others in flight.
      const del = got.map((a, j) => ({ a, m: messages[j] as Message })).filter(() => Math.random() < 0.5);
      if (del.length < got.length) {
        stats[kind].left += got.length - del.length;
        lastLeftAt[kind] = requestedAt;
      }
      if (del.length > 0) {
        const keys = del.map((d) => d.a.key);
        try {
          if (del.length === 1 && i % 2 === 0) {
            await sqs.send(new DeleteMessageCommand({ QueueUrl: urls[kind], ReceiptHandle: del[0]?.m.ReceiptHandle }));
            ledger.deletedAt(keys, Date.now());
          } else {
            const out = await sqs.send(
              new DeleteMessageBatchCommand({ QueueUrl: urls[kind], Entries: del.map((d, j) => ({ Id: `d${j}`, ReceiptHandle: d.m.ReceiptHandle })) }),
            );
            // A failed entry (a FIFO receipt that expired) is not deleted: the message stays owed.
            ledger.deletedAt(
              (out.Successful ?? []).map((ok) => keys[Number(ok.Id?.slice(1))] as string),
              Date.now(),
            );
          }
        } catch (e) {
          for (const key of keys) ledger.maybeDeleted.add(key);
          failedAtKill('delete', e);
          return;
        }
        stats[kind].deletes += del.length;
      }
      maybeKill();
    }
  };

  await Promise.all(
    KINDS.flatMap((kind) => [
      ...Array.from({ length: SENDERS }, (_, s) => sender(kind, s)),
      ...Array.from({ length: RECEIVERS }, () => receiver(kind)),
    ]),
  );
  const exit = await killing;
  sqs.destroy();
  assert.equal(exit, null, 'the server should have died of SIGKILL, not exited');
  assert.equal(server.process.signalCode, 'SIGKILL');

  for (const [key, list] of ledger.deliveries) {
    const last = list.at(-1) as Delivery;
    const kind = (ledger.attempts.get(key) as Attempt).kind;
    if (!ledger.deleted.has(key) && !ledger.maybeDeleted.has(key) && last.requestedAt + last.visibilityS * 1000 > killedAt) {
      stats[kind].inFlightAtKill.push(key);
    }
  }
  return stats;
}

/**
 * Receive everything from one queue (long polls; each answer deleted at once) until every message
 * still owed has come and the queue is empty, or the deadline passes (then fail with what is
 * missing). Returns the keys drained.
 */
async function drain(sqs: SQSClient, kind: Kind, url: string, ledger: Ledger, deadline: number): Promise<Set<string>> {
  const owed = [...ledger.acks.keys()].filter(
    (k) => ledger.attempts.get(k)?.kind === kind && !ledger.deleted.has(k) && !ledger.maybeDeleted.has(k),
  );
  const drained = new Set<string>();
  const lastOfGroup = new Map<string, number>();
  for (;;) {
    if (owed.every((k) => drained.has(k))) {
      const { Attributes: c = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      if (c.ApproximateNumberOfMessages === '0' && c.ApproximateNumberOfMessagesNotVisible === '0' && c.ApproximateNumberOfMessagesDelayed === '0') {
        return drained;
      }
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const missing = owed.filter((k) => !drained.has(k));
      assert.fail(`${kind}: ${missing.length} acknowledged message(s) never came back after the restart: ${missing.slice(0, 10).join(', ')}`);
    }
    const requestedAt = Date.now();
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: Math.min(5, Math.ceil(remaining / 1000)),
        VisibilityTimeout: DRAIN_VISIBILITY_S,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    const got = ledger.receive(kind, messages, requestedAt, Date.now(), DRAIN_VISIBILITY_S, 'drain');
    for (const a of got) {
      assert.ok(!drained.has(a.key), `${a.key} delivered twice in the drain`);
      drained.add(a.key);
      if (a.group !== undefined) {
        const before = lastOfGroup.get(a.group);
        assert.ok(before === undefined || (a.n as number) > before, `group ${a.group}: drained ${a.n} after ${before}`);
        lastOfGroup.set(a.group, a.n as number);
      }
    }
    if (messages.length > 0) {
      const del = await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle })) }),
      );
      assert.deepEqual(del.Failed ?? [], [], 'drain deletes');
    }
  }
}

/** After the drain: MessageIds, sequence numbers and receive counts agree with what was acknowledged and seen. */
function verifyDeliveries(ledger: Ledger): { redelivered: number; unacknowledged: number } {
  let redelivered = 0;
  let unacknowledged = 0;
  for (const [key, list] of ledger.deliveries) {
    const ack = ledger.acks.get(key);
    if (ack === undefined) {
      // Committed, but its send's answer was lost at the kill (or had not arrived yet): allowed.
      unacknowledged++;
    }
    for (const d of list) {
      if (ack !== undefined) {
        assert.equal(d.messageId, ack.messageId, `${key}: delivered with another MessageId`);
        if (ack.sequenceNumber !== undefined) assert.equal(d.sequenceNumber, ack.sequenceNumber, `${key}: SequenceNumber`);
      }
      assert.equal(d.messageId, (list[0] as Delivery).messageId, `${key}: MessageId changed between deliveries`);
    }
    const drained = list.find((d) => d.phase === 'drain');
    if (drained !== undefined) {
      // Receives in flight at the kill may have counted deliveries nobody saw: at least, not exactly.
      assert.ok(drained.receiveCount >= list.length, `${key}: ApproximateReceiveCount ${drained.receiveCount} < ${list.length} deliveries`);
      if (list.length > 1) redelivered++;
    }
  }
  return { redelivered, unacknowledged };
}

after(() => assertNoServersLeft());

test('every message acknowledged before a SIGKILL survives it; in-flight ones come back after their visibility timeout, FIFO in order', async (t) => {
  let server = await startServer();
  const dataDir = server.dataDir;
  t.after(async () => {
    await server.stop('SIGKILL');
    removeDataDir(dataDir);
  });

  const setup = client(server);
  for (const kind of KINDS) {
    await setup.send(
      new CreateQueueCommand({ QueueName: QUEUE_NAMES[kind], ...(kind === 'fifo' ? { Attributes: { FifoQueue: 'true' } } : {}) }),
    );
  }
  setup.destroy();

  let total = 0;
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const ledger = new Ledger(cycle);
    const sqs = client(server);
    const urls = {} as Record<Kind, string>;
    for (const kind of KINDS) {
      urls[kind] = (await sqs.send(new GetQueueUrlCommand({ QueueName: QUEUE_NAMES[kind] }))).QueueUrl as string;
    }
    sqs.destroy();

    const stats = await loadAndKill(server, urls, ledger);
    server = await startServer({ dataDir });
    const restartedAt = Date.now();
    const restarted = client(server);
    const deadline = restartedAt + VISIBILITY_S * 1000 + DRAIN_GRACE_MS;
    const drained: Record<Kind, Set<string>> = { standard: new Set(), fifo: new Set() };
    await Promise.all(
      KINDS.map(async (kind) => {
        // The queues survived the restart (a QueueUrl is read by its path, so the old port does not matter).
        const url = (await restarted.send(new GetQueueUrlCommand({ QueueName: QUEUE_NAMES[kind] }))).QueueUrl as string;
        drained[kind] = await drain(restarted, kind, url, ledger, deadline);
      }),
    );
    restarted.destroy();
    const drainMs = Date.now() - restartedAt;

    const { redelivered, unacknowledged } = verifyDeliveries(ledger);
    for (const kind of KINDS) {
      const s = stats[kind];
      // The kill came while messages of each queue were surely in flight: the case under test.
      assert.ok(s.inFlightAtKill.length > 0, `${kind}: no message was in flight at the kill`);
      for (const key of s.inFlightAtKill) assert.ok(drained[kind].has(key), `${kind}: ${key}, in flight at the kill, did not come back`);
      const acked = [...ledger.acks.keys()].filter((k) => ledger.attempts.get(k)?.kind === kind).length;
      total += acked;
      t.diagnostic(
        `cycle ${cycle} ${kind}: ${s.sends} send requests acknowledged (${acked} messages), ${s.received} received and ${s.deletes} deleted ` +
          `before the kill, ${s.left} left in flight (${s.inFlightAtKill.length} surely in flight at the kill); ${drained[kind].size} drained after the restart`,
      );
    }
    t.diagnostic(
      `cycle ${cycle}: drain took ${drainMs} ms; ${redelivered} message(s) redelivered after their visibility timeout, ` +
        `${ledger.deleted.size} surely and ${ledger.maybeDeleted.size} maybe deleted, ${unacknowledged} delivered without an acknowledged send`,
    );
  }

  assert.equal(await server.stop('SIGTERM'), 0);
  const db = openDatabase(dataDir);
  try {
    const left = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    assert.equal(left, 0, 'every message was drained and deleted');
  } finally {
    db.close();
  }
  t.diagnostic(`total: ${total} acknowledged messages accounted for after ${CYCLES} SIGKILLs`);
});
