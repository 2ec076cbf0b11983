/**
 * Queues on SQLite, on the store's main connection (the port's QueueStore). Each method runs one
 * transaction; better-sqlite3 is synchronous and this process is the only writer of these tables,
 * so a claim (select, then mark) cannot interleave with another. The hot writes (send, receive,
 * delete, change visibility) go through group commit (shared-commit.ts): each still runs as one
 * unit (a savepoint), and the calls of one turn of the event loop share one synced commit.
 *
 * A message's life in one row (times in ms; "now" is the caller's clock):
 *
 *   sent --(delay)--> visible --receive--> in flight --visibility ends--> visible ...
 *     visible_at = sentAt + delay   visible_at <= now    visible_at > now, receive_count > 0
 *   any state --DeleteMessage (latest receipt) / purge / retention--> gone
 *   visible, received maxReceiveCount times already --receive--> moved to the dead-letter queue
 *
 * Delayed and in-flight messages both have visible_at > now; receive_count tells them apart.
 *
 * FIFO: a group is served only when its oldest message (lowest seq) is visible, which holds both
 * "nothing of the group in flight" and "in order" (a redelivered message is still the oldest).
 * One receive may take several messages of one group, in order, stopping at the first that is
 * not visible.
 */
import type Database from 'better-sqlite3';
import type { Scope } from '../../domain/model.js';
import type { MoveTask, NewMessage, Queue, Receipt, SendOutcome, StoredMessage } from '../../queues/model.js';
import type { Page, QueueStore, ReceiveRequest } from '../port.js';
import { SharedCommit } from './shared-commit.js';

type Row = Record<string, unknown>;

/** Sequence numbers: 20 digits, increasing with the message's row number. */
const SEQUENCE_BASE = 10n ** 19n;

/** What a message row keeps as JSON: all a receiver sees that no query filters on. */
interface Meta {
  readonly attributes: NewMessage['attributes'];
  readonly systemAttributes: NewMessage['systemAttributes'];
  readonly md5OfBody: string;
  readonly md5OfAttributes?: string;
  readonly md5OfSystemAttributes?: string;
  readonly senderId: string;
  readonly deduplicationId?: string;
  readonly deadLetterSourceArn?: string;
}

function queueOf(row: Row | undefined): Queue | undefined {
  if (row === undefined) return undefined;
  return { ...(JSON.parse(row.doc as string) as Omit<Queue, 'id'>), id: row.id as number };
}

function messageOf(row: Row, fifo: boolean): StoredMessage {
  const meta = JSON.parse(row.meta as string) as Meta;
  return {
    seq: row.seq as number,
    messageId: row.message_id as string,
    body: row.body as string,
    ...meta,
    sentAt: row.sent_at as number,
    visibleAt: row.visible_at as number,
    receiveCount: row.receive_count as number,
    ...(row.first_received_at === null ? {} : { firstReceivedAt: row.first_received_at as number }),
    ...(row.receipt === null ? {} : { receipt: row.receipt as string }),
    ...(row.group_id === null ? {} : { groupId: row.group_id as string }),
    ...(fifo ? { sequenceNumber: sequenceNumber(row.seq as number) } : {}),
  };
}

function sequenceNumber(seq: number): string {
  return String(SEQUENCE_BASE + BigInt(seq));
}

function docOf(queue: Omit<Queue, 'id'>): string {
  const { id: _id, ...doc } = queue as Queue;
  return JSON.stringify(doc);
}

export class SqliteQueueStore implements QueueStore {
  private readonly db: Database.Database;
  private readonly sql;
  private readonly commits: SharedCommit;

  constructor(db: Database.Database) {
    this.db = db;
    this.commits = new SharedCommit(db);
    const p = (text: string): Database.Statement => db.prepare(text);
    this.sql = {
      /** account, region, name, doc */
      insertQueue: p('INSERT OR IGNORE INTO queues (account, region, name, doc) VALUES (?, ?, ?, ?)'),
      /** account, region, name */
      getQueue: p('SELECT id, doc FROM queues WHERE account = ? AND region = ? AND name = ?'),
      /** account, region, after, prefix (LIKE, escaped with \), limit */
      listQueues: p(
        "SELECT id, doc FROM queues WHERE account = ? AND region = ? AND name > ? AND name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
      ),
      /** account, region */
      allQueues: p('SELECT id, doc FROM queues WHERE account = ? AND region = ? ORDER BY name'),
      everyQueue: p('SELECT id, doc FROM queues'),
      /** doc, id */
      updateQueue: p('UPDATE queues SET doc = ? WHERE id = ?'),
      /** id */
      deleteQueue: p('DELETE FROM queues WHERE id = ?'),
      /** queue */
      deleteMessagesOf: p('DELETE FROM messages WHERE queue = ?'),
      /** queue */
      deleteKeysOf: p('DELETE FROM deduplication WHERE queue = ?'),
      /** queue, message_id, body, meta, group_id, sent_at, enqueued_at, visible_at */
      insertMessage: p(
        'INSERT INTO messages (queue, message_id, body, meta, group_id, sent_at, enqueued_at, visible_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      /** queue, key, now */
      findKey: p('SELECT message_id, sequence_number FROM deduplication WHERE queue = ? AND key = ? AND expires_at > ?'),
      /** queue, key, message_id, sequence_number, expires_at */
      putKey: p('INSERT OR REPLACE INTO deduplication (queue, key, message_id, sequence_number, expires_at) VALUES (?, ?, ?, ?, ?)'),
      /** queue, now, limit: visible messages, oldest visibility first */
      visible: p('SELECT * FROM messages WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?'),
      /** queue: the oldest message of each group */
      groupHeads: p(
        'SELECT group_id, MIN(seq) AS seq FROM messages WHERE queue = ? AND group_id IS NOT NULL GROUP BY group_id ORDER BY seq',
      ),
      /** queue, group_id, limit: a group's messages in order */
      groupMessages: p('SELECT * FROM messages WHERE queue = ? AND group_id = ? ORDER BY seq LIMIT ?'),
      /** visible_at, receipt, now (first_received_at when unset), seq */
      claim: p(
        'UPDATE messages SET visible_at = ?, receipt = ?, receive_count = receive_count + 1, first_received_at = coalesce(first_received_at, ?) WHERE seq = ?',
      ),
      /** queue, meta, enqueued_at, visible_at, seq: dead-letter (the receive count goes on) */
      deadLetter: p('UPDATE messages SET queue = ?, meta = ?, enqueued_at = ?, visible_at = ?, receipt = NULL WHERE seq = ?'),
      /** queue, meta, enqueued_at, visible_at, seq: move back (as if sent anew) */
      move: p('UPDATE messages SET queue = ?, meta = ?, enqueued_at = ?, visible_at = ?, receive_count = 0, first_received_at = NULL, receipt = NULL WHERE seq = ?'),
      /** seq, queue */
      getMessage: p('SELECT * FROM messages WHERE seq = ? AND queue = ?'),
      /** seq */
      deleteMessage: p('DELETE FROM messages WHERE seq = ?'),
      /** visible_at, seq */
      setVisibleAt: p('UPDATE messages SET visible_at = ? WHERE seq = ?'),
      /** now x3, queue, expired before */
      counts: p(
        `SELECT count(*) FILTER (WHERE visible_at <= ?) AS visible,
                count(*) FILTER (WHERE visible_at > ? AND receive_count > 0) AS in_flight,
                count(*) FILTER (WHERE visible_at > ? AND receive_count = 0) AS delayed
         FROM messages WHERE queue = ? AND enqueued_at >= ?`,
      ),
      /** queue, now */
      nextVisible: p('SELECT min(visible_at) AS at FROM messages WHERE queue = ? AND visible_at > ?'),
      /** queue, limit: oldest first */
      oldest: p('SELECT * FROM messages WHERE queue = ? ORDER BY seq LIMIT ?'),
      /** queue, before */
      expireMessages: p('DELETE FROM messages WHERE queue = ? AND enqueued_at < ?'),
      /** now */
      expireKeys: p('DELETE FROM deduplication WHERE expires_at <= ?'),
      /** handle, account, region, source_arn, doc */
      putMoveTask: p('INSERT OR REPLACE INTO move_tasks (handle, account, region, source_arn, doc) VALUES (?, ?, ?, ?, ?)'),
      /** handle */
      getMoveTask: p('SELECT doc FROM move_tasks WHERE handle = ?'),
      /** account, region, source_arn */
      listMoveTasks: p('SELECT doc FROM move_tasks WHERE account = ? AND region = ? AND source_arn = ? ORDER BY rowid DESC'),
    };
  }

  async createQueue(queue: Omit<Queue, 'id'>): Promise<{ queue: Queue; created: boolean }> {
    return this.db.transaction(() => {
      const created = this.sql.insertQueue.run(queue.account, queue.region, queue.name, docOf(queue)).changes === 1;
      return { queue: queueOf(this.sql.getQueue.get(queue.account, queue.region, queue.name) as Row) as Queue, created };
    })();
  }

  async getQueue(scope: Scope, name: string): Promise<Queue | undefined> {
    return queueOf(this.sql.getQueue.get(scope.account, scope.region, name) as Row | undefined);
  }

  async listQueues(scope: Scope, page: Page): Promise<Queue[]> {
    const prefix = `${(page.namePrefix ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.sql.listQueues.all(scope.account, scope.region, page.after ?? '', prefix, page.limit) as Row[];
    return rows.map((r) => queueOf(r) as Queue);
  }

  async allQueues(scope: Scope): Promise<Queue[]> {
    return (this.sql.allQueues.all(scope.account, scope.region) as Row[]).map((r) => queueOf(r) as Queue);
  }

  async updateQueue(queue: Queue): Promise<void> {
    this.sql.updateQueue.run(docOf(queue), queue.id);
  }

  async deleteQueue(queue: Queue): Promise<void> {
    this.db.transaction(() => {
      this.sql.deleteMessagesOf.run(queue.id);
      this.sql.deleteKeysOf.run(queue.id);
      this.sql.deleteQueue.run(queue.id);
    })();
  }

  async sendMessages(queue: Queue, messages: readonly NewMessage[], now: number, dedupWindowMs: number): Promise<SendOutcome[]> {
    return this.commits.run(() => messages.map((m) => this.insert(queue, m, now, dedupWindowMs)));
  }

  /**
   * Enqueue one message, inside the caller's transaction (sendMessages, and the store's delivery
   * of an event to a queue, which marks the delivery made in the same transaction).
   */
  insert(queue: Queue, m: NewMessage, now: number, dedupWindowMs: number): SendOutcome {
    const key = m.deduplicationKey;
    if (key !== undefined) {
      const seen = this.sql.findKey.get(queue.id, key, now) as Row | undefined;
      if (seen !== undefined) {
        return {
          messageId: seen.message_id as string,
          ...(seen.sequence_number === null ? {} : { sequenceNumber: seen.sequence_number as string }),
          duplicate: true,
        };
      }
    }
    const meta: Meta = {
      attributes: m.attributes,
      systemAttributes: m.systemAttributes,
      md5OfBody: m.md5OfBody,
      ...(m.md5OfAttributes === undefined ? {} : { md5OfAttributes: m.md5OfAttributes }),
      ...(m.md5OfSystemAttributes === undefined ? {} : { md5OfSystemAttributes: m.md5OfSystemAttributes }),
      senderId: m.senderId,
      ...(m.deduplicationId === undefined ? {} : { deduplicationId: m.deduplicationId }),
    };
    const seq = Number(
      this.sql.insertMessage.run(queue.id, m.messageId, m.body, JSON.stringify(meta), m.groupId ?? null, m.sentAt, m.sentAt, m.visibleAt)
        .lastInsertRowid,
    );
    const sequence = queue.fifo ? sequenceNumber(seq) : undefined;
    if (key !== undefined) this.sql.putKey.run(queue.id, key, m.messageId, sequence ?? null, now + dedupWindowMs);
    return { messageId: m.messageId, ...(sequence === undefined ? {} : { sequenceNumber: sequence }), duplicate: false };
  }

  async receiveMessages(queue: Queue, r: ReceiveRequest): Promise<StoredMessage[]> {
    return this.commits.run(() => {
      this.sql.expireMessages.run(queue.id, r.expiredBefore);
      const out: StoredMessage[] = [];
      /** Claims a visible message, or dead-letters it; false when it was dead-lettered. */
      const take = (row: Row): boolean => {
        const dl = r.deadLetter;
        if (dl !== undefined && (row.receive_count as number) >= dl.maxReceiveCount) {
          const meta = { ...(JSON.parse(row.meta as string) as Meta), deadLetterSourceArn: queue.arn };
          // Retention: a FIFO dead-letter queue counts from the move, a standard one from the send.
          this.sql.deadLetter.run(dl.queue.id, JSON.stringify(meta), queue.fifo ? r.now : row.enqueued_at, r.now, row.seq);
          return false;
        }
        const receipt = r.nonce();
        this.sql.claim.run(r.visibleUntil, receipt, r.now, row.seq);
        out.push({
          ...messageOf(
            {
              ...row,
              visible_at: r.visibleUntil,
              receipt,
              receive_count: (row.receive_count as number) + 1,
              first_received_at: row.first_received_at ?? r.now,
            },
            queue.fifo,
          ),
          receivedAt: r.now,
        });
        return true;
      };
      if (!queue.fifo) {
        // Dead-lettered rows leave the queue, so look again until enough or none left.
        for (;;) {
          const rows = this.sql.visible.all(queue.id, r.now, r.max - out.length) as Row[];
          let movedAny = false;
          for (const row of rows) if (!take(row)) movedAny = true;
          if (!movedAny || out.length >= r.max) break;
        }
        return out;
      }
      for (const head of this.sql.groupHeads.all(queue.id) as Row[]) {
        if (out.length >= r.max) break;
        const rows = this.sql.groupMessages.all(queue.id, head.group_id, r.max - out.length) as Row[];
        for (const row of rows) {
          if ((row.visible_at as number) > r.now) break;
          // A dead-lettered head leaves the group; its successors may still be served.
          take(row);
        }
      }
      return out;
    });
  }

  private current(queue: Queue, receipt: Receipt): Row | undefined {
    if (receipt.queueId !== queue.id) return undefined;
    return this.sql.getMessage.get(receipt.seq, queue.id) as Row | undefined;
  }

  async deleteMessages(queue: Queue, receipts: readonly Receipt[], now: number, inFlightOnly: boolean): Promise<('deleted' | 'stale' | 'gone' | 'expired')[]> {
    return this.commits.run(() =>
      receipts.map((receipt) => {
        const row = this.current(queue, receipt);
        if (row === undefined) return 'gone';
        if (row.receipt !== receipt.nonce) return 'stale';
        if (inFlightOnly && (row.visible_at as number) <= now) return 'expired';
        this.sql.deleteMessage.run(receipt.seq);
        return 'deleted';
      }),
    );
  }

  async changeVisibilities(
    queue: Queue,
    changes: readonly { readonly receipt: Receipt; readonly visibleAt: number }[],
    now: number,
  ): Promise<('changed' | 'not-in-flight' | 'gone')[]> {
    return this.commits.run(() =>
      changes.map(({ receipt, visibleAt }) => {
        const row = this.current(queue, receipt);
        if (row === undefined) return 'gone';
        if (row.receipt !== receipt.nonce || (row.visible_at as number) <= now) return 'not-in-flight';
        this.sql.setVisibleAt.run(visibleAt, receipt.seq);
        return 'changed';
      }),
    );
  }

  async purgeQueue(queue: Queue): Promise<void> {
    this.sql.deleteMessagesOf.run(queue.id);
  }

  async countMessages(queue: Queue, now: number, expiredBefore: number): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const row = this.sql.counts.get(now, now, now, queue.id, expiredBefore) as Row;
    return { visible: row.visible as number, inFlight: row.in_flight as number, delayed: row.delayed as number };
  }

  async nextVisibleAt(queue: Queue, now: number): Promise<number | undefined> {
    const at = (this.sql.nextVisible.get(queue.id, now) as Row).at;
    return at === null ? undefined : (at as number);
  }

  async moveMessages(from: Queue, max: number, now: number, route: (source: string | undefined) => Queue | undefined): Promise<number> {
    return this.db.transaction(() => {
      let moved = 0;
      for (const row of this.sql.oldest.all(from.id, max) as Row[]) {
        const meta = JSON.parse(row.meta as string) as Meta;
        const to = route(meta.deadLetterSourceArn);
        if (to === undefined) continue;
        const { deadLetterSourceArn: _source, ...kept } = meta;
        this.sql.move.run(to.id, JSON.stringify(kept), now, now, row.seq);
        moved++;
      }
      return moved;
    })();
  }

  async expire(now: number, retentionOf: (queue: Queue) => number): Promise<number> {
    return this.db.transaction(() => {
      let n = 0;
      for (const row of this.sql.everyQueue.all() as Row[]) {
        const queue = queueOf(row) as Queue;
        n += this.sql.expireMessages.run(queue.id, now - retentionOf(queue)).changes;
      }
      this.sql.expireKeys.run(now);
      return n;
    })();
  }

  async putMoveTask(task: MoveTask): Promise<void> {
    this.sql.putMoveTask.run(task.handle, task.account, task.region, task.sourceArn, JSON.stringify(task));
  }

  async getMoveTask(handle: string): Promise<MoveTask | undefined> {
    const row = this.sql.getMoveTask.get(handle) as Row | undefined;
    return row === undefined ? undefined : (JSON.parse(row.doc as string) as MoveTask);
  }

  async listMoveTasks(scope: Scope, sourceArn: string): Promise<MoveTask[]> {
    return (this.sql.listMoveTasks.all(scope.account, scope.region, sourceArn) as Row[]).map((r) => JSON.parse(r.doc as string) as MoveTask);
  }
}
