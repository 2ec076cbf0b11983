/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode with synchronous=FULL, so a
 * commit is on disk when it returns. better-sqlite3 is synchronous; the port is asynchronous so
 * that PostgreSQL can implement it too, and group commit (src/ingest) batches concurrent
 * PutEvents into one `appendEvents` call, so one fsync serves many requests.
 *
 * Each statement is prepared once, below, with its inputs named.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { targetKind } from '../../domain/arn.js';
import type {
  AcceptedEvent,
  DeliveryAttempt,
  DeliveryNext,
  DroppedDelivery,
  DroppedFilter,
  EventBus,
  OwedDelivery,
  PendingDelivery,
  RedriveOutcome,
  Rule,
  Scope,
  StoredEvent,
  Tag,
  Target,
  TargetKind,
} from '../../domain/model.js';
import type { NewMessage, Queue, SendOutcome } from '../../queues/model.js';
import type { AttemptRecord, BreakerLog, EventTrace, Page, QueueStore, Store, TracedDelivery } from '../port.js';
import { configureConnection } from './connection.js';
import { encodeBatch } from './writer-protocol.js';
import type { AttemptRow, AttemptsRequest, WriteReply, WriteRequest } from './writer-protocol.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteBreakerLog } from './breaker-log.js';
import { SqliteQueueStore } from './queue-store.js';
import { SqliteConnectionStore } from './connection-store.js';
import type { ApiDestination, Connection } from '../../domain/connections.js';

export const DATABASE_FILE = 'switchyard.db';

export class StoreOpenError extends Error {}

type Row = Record<string, unknown>;

/** Open (creating if needed) the database in `dataDir`, apply migrations, prepare statements. */
export function openSqliteStore(dataDir: string): SqliteStore {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, DATABASE_FILE);
    db = new Database(file);
    configureConnection(db);
    migrate(db);
    return new SqliteStore(db, new EventWriter(file), new Worker(new URL('./checkpointer.js', import.meta.url), { workerData: { file } }));
  } catch (e) {
    db?.close();
    throw new StoreOpenError(`cannot open the data directory ${dataDir}: ${(e as Error).message}`);
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`its database has schema version ${current}, newer than this Switchyard knows (${latest})`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** owed.state values, by number (migration 5). */
const STATES = ['pending', 'delivered', 'dropped', 'dead-lettered'] as const;

const PENDING_COLUMNS =
  'o.event, o.destination, o.attempts, o.redriven_at, o.redriven_after, e.id, e.envelope, e.ingested_at, e.trace_header, e.via, d.rule_arn, d.target_id, d.target_arn, d.kind';

function pendingOf(r: Row): PendingDelivery {
  return {
    key: `${r.event as number}:${r.destination as number}`,
    kind: r.kind as TargetKind,
    eventId: r.id as string,
    ruleArn: r.rule_arn as string,
    targetId: r.target_id as string,
    targetArn: r.target_arn as string,
    envelope: r.envelope as string,
    ingestedAt: r.ingested_at as number,
    ...(r.trace_header === null ? {} : { traceHeader: r.trace_header as string }),
    ...(r.via === null ? {} : { via: JSON.parse(r.via as string) as string[] }),
    attempts: r.attempts as number,
    ...(r.redriven_at === null ? {} : { redriven: { at: r.redriven_at as number, attempts: (r.redriven_after as number | null) ?? 0 } }),
  };
}

/** The store key `event:destination` as its two numbers; [0, 0] (before every row) when absent. */
function keyOf(key: string | undefined): [number, number] {
  if (key === undefined) return [0, 0];
  const [event, destination] = key.split(':').map(Number);
  if (!Number.isSafeInteger(event) || !Number.isSafeInteger(destination)) throw new RangeError(`not a delivery key: ${key}`);
  return [event as number, destination as number];
}

/** The named inputs of the dropped-delivery statements' scope and filter. */
function droppedParams(scope: Scope, filter: DroppedFilter): Record<string, unknown> {
  return { account: scope.account, region: scope.region, rule: filter.ruleArn ?? null, target: filter.targetId ?? null };
}

/** Dropped rows of a scope (@account, @region) matching the filter (@rule, @target: NULL matches any). */
const DROPPED_WHERE = `o.state = 2 AND e.account = @account AND e.region = @region
  AND (@rule IS NULL OR d.rule_arn = @rule) AND (@target IS NULL OR d.target_id = @target)`;

/** An attempt and its delivery's next state as the statements (here and in the writer) take them. */
function attemptRow(delivery: PendingDelivery, attempt: DeliveryAttempt, next: DeliveryNext): AttemptRow {
  const [event, destination] = delivery.key.split(':').map(Number) as [number, number];
  return [
    event,
    destination,
    delivery.attempts + 1,
    attempt.startedAt,
    attempt.latencyMs,
    attempt.outcome,
    attempt.status ?? null,
    attempt.error ?? null,
    STATES.indexOf(next.state === 'waiting' ? 'pending' : next.state),
    next.state === 'waiting' ? next.dueAt : null,
    next.state === 'dropped' || next.state === 'dead-lettered' ? next.error : (attempt.error ?? null),
  ];
}

function busKey(scope: Scope, name: string): string {
  return `${scope.account}\u0000${scope.region}\u0000${name}`;
}

function likePrefix(prefix: string | undefined): string {
  return `${(prefix ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The parent side of event-writer.ts: one batch in flight at a time per caller, answered in order. */
class EventWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private seq = 0;

  constructor(file: string) {
    this.worker = new Worker(new URL('./event-writer.js', import.meta.url), { workerData: { file } });
    this.worker.on('message', (reply: WriteReply) => {
      const p = this.pending.get(reply.seq);
      this.pending.delete(reply.seq);
      if (reply.error === undefined) p?.resolve();
      else p?.reject(new Error(reply.error));
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', () => this.failAll(new Error('the event writer stopped')));
  }

  /** Appends the batch; with `attempts`, records them too, in the same transaction (a forward). */
  write(batch: readonly AcceptedEvent[], destination: (d: OwedDelivery) => number, attempts?: readonly AttemptRow[]): Promise<void> {
    const encoded = encodeBatch(++this.seq, batch, destination);
    const request: WriteRequest = attempts === undefined ? encoded : { ...encoded, attempts };
    return new Promise((resolve, reject) => {
      this.pending.set(request.seq, { resolve, reject });
      this.worker.postMessage(request, [request.bytes]);
    });
  }

  record(attempts: readonly AttemptRow[]): Promise<void> {
    const request: AttemptsRequest = { seq: ++this.seq, attempts };
    return new Promise((resolve, reject) => {
      this.pending.set(request.seq, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await exited;
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly writer: EventWriter;
  private readonly checkpointer: Worker;
  /** Buses by scope and name, as read (undefined: known not to exist). */
  private readonly buses = new Map<string, EventBus | undefined>();
  /**
   * Destination numbers (table `destinations`), by rule ARN then target id, with the target ARN
   * they were numbered for. A destination is numbered once and never renumbered, so the cache
   * never goes stale; nested maps look up the router's own strings without building a key.
   */
  private readonly destinations = new Map<string, Map<string, { targetArn: string; id: number }>>();
  private readonly destination = (d: OwedDelivery): number => this.destinationOf(d);
  private readonly sql;
  readonly queues: QueueStore;
  readonly breakers: BreakerLog;
  private readonly queueStore: SqliteQueueStore;
  private readonly connections: SqliteConnectionStore;

  constructor(db: Database.Database, writer: EventWriter, checkpointer: Worker) {
    this.db = db;
    this.queueStore = new SqliteQueueStore(db);
    this.queues = this.queueStore;
    this.breakers = new SqliteBreakerLog(db);
    this.connections = new SqliteConnectionStore(db);
    this.writer = writer;
    this.checkpointer = checkpointer;
    const p = (text: string): Database.Statement => db.prepare(text);
    this.sql = {
      /** account, region, name, doc */
      insertBus: p('INSERT OR IGNORE INTO buses (account, region, name, doc) VALUES (?, ?, ?, ?)'),
      /** doc, account, region, name */
      updateBus: p('UPDATE buses SET doc = ? WHERE account = ? AND region = ? AND name = ?'),
      /** account, region, name */
      getBus: p('SELECT doc FROM buses WHERE account = ? AND region = ? AND name = ?'),
      /** account, region, after, prefix (LIKE, escaped with \), limit */
      listBuses: p(
        "SELECT doc FROM buses WHERE account = ? AND region = ? AND name > ? AND name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
      ),
      /** account, region, name */
      deleteBus: p('DELETE FROM buses WHERE account = ? AND region = ? AND name = ?'),
      /** account, region, bus, name, arn, doc */
      putRule: p('INSERT OR REPLACE INTO rules (account, region, bus, name, arn, doc) VALUES (?, ?, ?, ?, ?, ?)'),
      /** account, region, bus, name */
      getRule: p('SELECT doc FROM rules WHERE account = ? AND region = ? AND bus = ? AND name = ?'),
      /** account, region, bus, after, prefix, limit */
      listRules: p(
        "SELECT doc FROM rules WHERE account = ? AND region = ? AND bus = ? AND name > ? AND name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
      ),
      allRules: p('SELECT doc FROM rules'),
      /** account, region, bus */
      rulesOfBus: p('SELECT arn FROM rules WHERE account = ? AND region = ? AND bus = ?'),
      /** arn */
      deleteRuleByArn: p('DELETE FROM rules WHERE arn = ?'),
      /** rule_arn, id, doc */
      putTarget: p('INSERT OR REPLACE INTO targets (rule_arn, id, doc) VALUES (?, ?, ?)'),
      /** rule_arn, id */
      removeTarget: p('DELETE FROM targets WHERE rule_arn = ? AND id = ?'),
      /** rule_arn */
      removeTargetsOf: p('DELETE FROM targets WHERE rule_arn = ?'),
      /** rule_arn */
      listTargets: p('SELECT doc FROM targets WHERE rule_arn = ? ORDER BY id'),
      allTargets: p('SELECT rule_arn, doc FROM targets'),
      /** arn */
      getTags: p('SELECT key, value FROM tags WHERE arn = ? ORDER BY key'),
      /** arn, key, value */
      putTag: p('INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)'),
      /** arn, key */
      removeTag: p('DELETE FROM tags WHERE arn = ? AND key = ?'),
      /** arn */
      removeTagsOf: p('DELETE FROM tags WHERE arn = ?'),
      /** id */
      getEvent: p('SELECT * FROM events WHERE id = ?'),
      /** event_id */
      deliveriesOf: p(
        `SELECT e.id AS event_id, d.rule_arn, d.target_id, d.target_arn
         FROM events e JOIN owed o ON o.event = e.rowid JOIN destinations d ON d.id = o.destination
         WHERE e.id = ? ORDER BY d.rule_arn, d.target_id`,
      ),
      /** rule_arn, target_id, target_arn, kind */
      insertDestination: p('INSERT OR IGNORE INTO destinations (rule_arn, target_id, target_arn, kind) VALUES (?, ?, ?, ?)'),
      /** rule_arn, target_id, target_arn */
      findDestination: p('SELECT id FROM destinations WHERE rule_arn = ? AND target_id = ? AND target_arn = ?'),
      countEvents: p('SELECT count(*) AS n FROM events'),
      /** kinds (JSON array), after (event rowid, destination), limit: first attempts, in acceptance order */
      pending: p(
        `SELECT ${PENDING_COLUMNS}
         FROM owed o JOIN destinations d ON d.id = o.destination AND d.kind IN (SELECT value FROM json_each(?))
         JOIN events e ON e.rowid = o.event
         WHERE (o.event, o.destination) > (?, ?) AND o.state = 0 AND o.due_at IS NULL ORDER BY o.event, o.destination LIMIT ?`,
      ),
      /** now, limit: retries whose time has come, soonest first */
      due: p(
        `SELECT ${PENDING_COLUMNS}
         FROM owed o JOIN destinations d ON d.id = o.destination JOIN events e ON e.rowid = o.event
         WHERE o.state = 0 AND o.due_at IS NOT NULL AND o.due_at <= ? ORDER BY o.due_at LIMIT ?`,
      ),
      nextDue: p('SELECT min(due_at) AS at FROM owed WHERE state = 0 AND due_at IS NOT NULL'),
      /** state, due_at, last_error, event, destination (only while pending: a delivery ends once) */
      setState: p('UPDATE owed SET state = ?, attempts = attempts + 1, due_at = ?, last_error = ? WHERE event = ? AND destination = ? AND state = 0'),
      /** event, destination, number, started_at, latency_ms, outcome, status, error */
      insertAttempt: p(
        'INSERT OR REPLACE INTO attempts (event, destination, number, started_at, latency_ms, outcome, status, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      /** event id, rule_arn, target_id */
      deliveryState: p(
        `SELECT o.state, o.attempts, o.last_error FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination
         WHERE e.id = ? AND d.rule_arn = ? AND d.target_id = ?`,
      ),
      /** event id, rule_arn, target_id */
      attemptsOf: p(
        `SELECT a.started_at, a.latency_ms, a.outcome, a.status, a.error
         FROM attempts a JOIN events e ON e.rowid = a.event JOIN destinations d ON d.id = a.destination
         WHERE e.id = ? AND d.rule_arn = ? AND d.target_id = ? ORDER BY a.number`,
      ),
      /** id, account, region: an event of a scope, with its rowid (the trace's first read) */
      traceEvent: p('SELECT rowid AS event, * FROM events WHERE id = ? AND account = ? AND region = ?'),
      /** forwarded_from (an event id): the events bus targets forwarded from it */
      forwardedTo: p('SELECT id, forwarded_rule, forwarded_target FROM events WHERE forwarded_from = ? ORDER BY rowid'),
      /**
       * event (rowid): its owed deliveries with their attempts, one row per attempt (attempt
       * columns NULL for a delivery not yet attempted), by rule ARN, target id, attempt number
       */
      traceDeliveries: p(
        `SELECT o.destination, o.state, o.due_at, o.last_error, o.redriven_at, d.rule_arn, d.target_id, d.target_arn,
                a.number, a.started_at, a.latency_ms, a.outcome, a.status, a.error
         FROM owed o JOIN destinations d ON d.id = o.destination
         LEFT JOIN attempts a ON a.event = o.event AND a.destination = o.destination
         WHERE o.event = ? ORDER BY d.rule_arn, d.target_id, o.destination, a.number`,
      ),
      /** @account, @region, @rule, @target (DROPPED_WHERE), @afterEvent, @afterDestination, @limit */
      listDropped: p(
        `SELECT o.event, o.destination, o.attempts, o.last_error, e.id, d.rule_arn, d.target_id, d.target_arn, a.started_at AS dropped_at
         FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination
         LEFT JOIN attempts a ON a.event = o.event AND a.destination = o.destination AND a.number = o.attempts
         WHERE ${DROPPED_WHERE} AND (o.event, o.destination) > (@afterEvent, @afterDestination)
         ORDER BY o.event, o.destination LIMIT @limit`,
      ),
      /** @account, @region, @rule, @target (DROPPED_WHERE) */
      countDropped: p(
        `SELECT count(*) AS n FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination WHERE ${DROPPED_WHERE}`,
      ),
      /** @now, @account, @region, @rule, @target (DROPPED_WHERE): every match back to pending, due now */
      redriveDropped: p(
        `UPDATE owed SET state = 0, due_at = @now, redriven_at = @now, redriven_after = attempts
         WHERE state = 2 AND (event, destination) IN (
           SELECT o.event, o.destination FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination
           WHERE ${DROPPED_WHERE})`,
      ),
      /** event id, account, region, rule_arn, target_id: one delivery of the scope and its state */
      findOwed: p(
        `SELECT o.event, o.destination, o.state FROM owed o JOIN events e ON e.rowid = o.event JOIN destinations d ON d.id = o.destination
         WHERE e.id = ? AND e.account = ? AND e.region = ? AND d.rule_arn = ? AND d.target_id = ?`,
      ),
      /** now, now, event, destination: one dropped delivery back to pending, due now */
      redriveOne: p(
        'UPDATE owed SET state = 0, due_at = ?, redriven_at = ?, redriven_after = attempts WHERE event = ? AND destination = ? AND state = 2',
      ),
      /** account, region, name, n */
      addToCounter: p(
        'INSERT INTO counters (account, region, name, value) VALUES (?, ?, ?, ?) ON CONFLICT (account, region, name) DO UPDATE SET value = value + excluded.value',
      ),
      /** account, region, name */
      getCounter: p('SELECT value FROM counters WHERE account = ? AND region = ? AND name = ?'),
    };
  }

  async close(): Promise<void> {
    await this.writer.close();
    const stopped = new Promise<void>((resolve) => this.checkpointer.once('exit', () => resolve()));
    this.checkpointer.postMessage('close');
    await stopped;
    this.db.close();
  }

  async insertBus(bus: EventBus): Promise<boolean> {
    this.buses.delete(busKey(bus, bus.name));
    return this.sql.insertBus.run(bus.account, bus.region, bus.name, JSON.stringify(bus)).changes === 1;
  }

  /** Cached: this process is the database's only writer, and every bus write clears the entry. */
  async getBus(scope: Scope, name: string): Promise<EventBus | undefined> {
    const key = busKey(scope, name);
    if (this.buses.has(key)) return this.buses.get(key);
    const bus = doc<EventBus>(this.sql.getBus.get(scope.account, scope.region, name));
    this.buses.set(key, bus);
    return bus;
  }

  async listBuses(scope: Scope, page: Page): Promise<EventBus[]> {
    const rows = this.sql.listBuses.all(scope.account, scope.region, page.after ?? '', likePrefix(page.namePrefix), page.limit);
    return rows.map((r) => doc<EventBus>(r) as EventBus);
  }

  async updateBus(bus: EventBus): Promise<void> {
    this.buses.delete(busKey(bus, bus.name));
    this.sql.updateBus.run(JSON.stringify(bus), bus.account, bus.region, bus.name);
  }

  async deleteBus(scope: Scope, name: string): Promise<void> {
    const bus = await this.getBus(scope, name);
    this.buses.delete(busKey(scope, name));
    this.db.transaction(() => {
      for (const r of this.sql.rulesOfBus.all(scope.account, scope.region, name) as Row[]) this.dropRule(r.arn as string);
      this.sql.deleteBus.run(scope.account, scope.region, name);
      if (bus !== undefined) this.sql.removeTagsOf.run(bus.arn);
    })();
  }

  async putRule(rule: Rule): Promise<void> {
    this.sql.putRule.run(rule.account, rule.region, rule.eventBusName, rule.name, rule.arn, JSON.stringify(rule));
  }

  async getRule(scope: Scope, busName: string, name: string): Promise<Rule | undefined> {
    return doc<Rule>(this.sql.getRule.get(scope.account, scope.region, busName, name));
  }

  async listRules(scope: Scope, busName: string, page: Page): Promise<Rule[]> {
    const rows = this.sql.listRules.all(
      scope.account,
      scope.region,
      busName,
      page.after ?? '',
      likePrefix(page.namePrefix),
      page.limit,
    );
    return rows.map((r) => doc<Rule>(r) as Rule);
  }

  async allRules(): Promise<Rule[]> {
    return this.sql.allRules.all().map((r) => doc<Rule>(r) as Rule);
  }

  async deleteRule(scope: Scope, busName: string, name: string): Promise<void> {
    const rule = await this.getRule(scope, busName, name);
    if (rule !== undefined) this.db.transaction(() => this.dropRule(rule.arn))();
  }

  /** Inside a transaction: a rule, its targets and its tags. */
  private dropRule(arn: string): void {
    this.sql.removeTargetsOf.run(arn);
    this.sql.removeTagsOf.run(arn);
    this.sql.deleteRuleByArn.run(arn);
  }

  async putTargets(ruleArn: string, targets: readonly Target[]): Promise<void> {
    this.db.transaction(() => {
      for (const t of targets) this.sql.putTarget.run(ruleArn, t.Id, JSON.stringify(t));
    })();
  }

  async removeTargets(ruleArn: string, ids: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const id of ids) this.sql.removeTarget.run(ruleArn, id);
    })();
  }

  async listTargets(ruleArn: string): Promise<Target[]> {
    return this.sql.listTargets.all(ruleArn).map((r) => doc<Target>(r) as Target);
  }

  async allTargets(): Promise<{ ruleArn: string; target: Target }[]> {
    return (this.sql.allTargets.all() as Row[]).map((r) => ({
      ruleArn: r.rule_arn as string,
      target: JSON.parse(r.doc as string) as Target,
    }));
  }

  async getTags(arn: string): Promise<Tag[]> {
    return (this.sql.getTags.all(arn) as Row[]).map((r) => ({ Key: r.key as string, Value: r.value as string }));
  }

  async putTags(arn: string, tags: readonly Tag[]): Promise<void> {
    this.db.transaction(() => {
      for (const t of tags) this.sql.putTag.run(arn, t.Key, t.Value);
    })();
  }

  async removeTags(arn: string, keys: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const k of keys) this.sql.removeTag.run(arn, k);
    })();
  }

  /** Committed by the event writer's connection, off the main thread (event-writer.ts). */
  async appendEvents(batch: readonly AcceptedEvent[]): Promise<void> {
    if (batch.length > 0) await this.writer.write(batch, this.destination);
  }

  /** The number of a delivery's destination, numbered (committed on this connection) when new. */
  private destinationOf(d: OwedDelivery): number {
    let byTarget = this.destinations.get(d.ruleArn);
    if (byTarget === undefined) this.destinations.set(d.ruleArn, (byTarget = new Map()));
    const known = byTarget.get(d.targetId);
    if (known !== undefined && known.targetArn === d.targetArn) return known.id;
    this.sql.insertDestination.run(d.ruleArn, d.targetId, d.targetArn, targetKind(d.targetArn));
    const id = (this.sql.findDestination.get(d.ruleArn, d.targetId, d.targetArn) as { id: number }).id;
    byTarget.set(d.targetId, { targetArn: d.targetArn, id });
    return id;
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const r = this.sql.getEvent.get(id) as Row | undefined;
    return r === undefined ? undefined : storedEventOf(r);
  }

  /**
   * Two reads: the event (in the scope), then its deliveries joined with their attempts in one
   * statement, so the states and attempts shown are those of one moment. An event's owed rows
   * are committed with it, so the first read never sees an event whose deliveries are missing.
   */
  async eventTrace(scope: Scope, eventId: string): Promise<EventTrace | undefined> {
    const e = this.sql.traceEvent.get(eventId, scope.account, scope.region) as Row | undefined;
    if (e === undefined) return undefined;
    const deliveries: (TracedDelivery & { attempts: TracedDelivery['attempts'][number][] })[] = [];
    let destination: unknown;
    for (const r of this.sql.traceDeliveries.all(e.event) as Row[]) {
      let d = deliveries[deliveries.length - 1];
      if (d === undefined || r.destination !== destination) {
        destination = r.destination;
        d = {
          eventId,
          ruleArn: r.rule_arn as string,
          targetId: r.target_id as string,
          targetArn: r.target_arn as string,
          state: STATES[r.state as number] ?? 'pending',
          ...(r.state === 0 && r.due_at !== null ? { dueAt: r.due_at as number } : {}),
          ...(r.last_error === null ? {} : { lastError: r.last_error as string }),
          ...(r.redriven_at === null ? {} : { redrivenAt: r.redriven_at as number }),
          attempts: [],
        };
        deliveries.push(d);
      }
      if (r.number === null) continue;
      d.attempts.push({
        number: r.number as number,
        startedAt: r.started_at as number,
        latencyMs: r.latency_ms as number,
        outcome: r.outcome as DeliveryAttempt['outcome'],
        ...(r.status === null ? {} : { status: r.status as number }),
        ...(r.error === null ? {} : { error: r.error as string }),
      });
    }
    const forwardedTo = (this.sql.forwardedTo.all(eventId) as Row[]).map((r) => ({
      eventId: r.id as string,
      ruleArn: r.forwarded_rule as string,
      targetId: r.forwarded_target as string,
    }));
    return { event: storedEventOf(e), deliveries, forwardedTo };
  }

  async deliveriesOf(eventId: string): Promise<OwedDelivery[]> {
    return (this.sql.deliveriesOf.all(eventId) as Row[]).map((r) => ({
      eventId: r.event_id as string,
      ruleArn: r.rule_arn as string,
      targetId: r.target_id as string,
      targetArn: r.target_arn as string,
    }));
  }

  async pendingDeliveries(kinds: readonly TargetKind[], after: string | undefined, limit: number): Promise<PendingDelivery[]> {
    const [event, destination] = after === undefined ? [0, 0] : after.split(':').map(Number);
    return (this.sql.pending.all(JSON.stringify(kinds), event, destination, limit) as Row[]).map(pendingOf);
  }

  async dueDeliveries(now: number, limit: number): Promise<PendingDelivery[]> {
    return (this.sql.due.all(now, limit) as Row[]).map(pendingOf);
  }

  async nextDueAt(): Promise<number | undefined> {
    const at = (this.sql.nextDue.get() as Row).at;
    return at === null ? undefined : (at as number);
  }

  /** Committed by the event writer's connection, like events: one writer, no lock waits. */
  async recordAttempts(records: readonly AttemptRecord[]): Promise<void> {
    if (records.length > 0) await this.writer.record(records.map((r) => attemptRow(r.delivery, r.attempt, r.next)));
  }

  /** On the event writer's connection, as one transaction (event-writer.ts `forward`). */
  async forwardDelivery(delivery: PendingDelivery, forwarded: AcceptedEvent, attempt: DeliveryAttempt): Promise<void> {
    await this.writer.write([forwarded], this.destination, [attemptRow(delivery, attempt, { state: 'delivered' })]);
  }

  async enqueueDelivery(
    delivery: PendingDelivery,
    queue: Queue,
    message: NewMessage,
    dedupWindowMs: number,
    attempt: DeliveryAttempt,
    next: DeliveryNext,
  ): Promise<SendOutcome> {
    return this.db.transaction(() => {
      const outcome = this.queueStore.insert(queue, message, message.sentAt, dedupWindowMs);
      this.record(delivery, attempt, next);
      return outcome;
    })();
  }

  /** Inside a transaction: the attempt's row, and the delivery's new state. */
  private record(delivery: PendingDelivery, attempt: DeliveryAttempt, next: DeliveryNext): void {
    const [event, destination, number, startedAt, latencyMs, outcome, status, error, state, dueAt, lastError] = attemptRow(delivery, attempt, next);
    this.sql.insertAttempt.run(event, destination, number, startedAt, latencyMs, outcome, status, error);
    this.sql.setState.run(state, dueAt, lastError, event, destination);
  }

  async deliveryState(eventId: string, ruleArn: string, targetId: string): Promise<{ state: string; attempts: number; lastError?: string } | undefined> {
    const row = this.sql.deliveryState.get(eventId, ruleArn, targetId) as Row | undefined;
    if (row === undefined) return undefined;
    const state = STATES[row.state as number] ?? 'unknown';
    return { state, attempts: row.attempts as number, ...(row.last_error === null ? {} : { lastError: row.last_error as string }) };
  }

  async attemptsOf(eventId: string, ruleArn: string, targetId: string): Promise<DeliveryAttempt[]> {
    return (this.sql.attemptsOf.all(eventId, ruleArn, targetId) as Row[]).map((r) => ({
      startedAt: r.started_at as number,
      latencyMs: r.latency_ms as number,
      outcome: r.outcome as DeliveryAttempt['outcome'],
      ...(r.status === null ? {} : { status: r.status as number }),
      ...(r.error === null ? {} : { error: r.error as string }),
    }));
  }

  async listDroppedDeliveries(scope: Scope, filter: DroppedFilter & { readonly after?: string; readonly limit: number }): Promise<DroppedDelivery[]> {
    const [afterEvent, afterDestination] = keyOf(filter.after);
    const rows = this.sql.listDropped.all({ ...droppedParams(scope, filter), afterEvent, afterDestination, limit: filter.limit }) as Row[];
    return rows.map((r) => ({
      key: `${r.event as number}:${r.destination as number}`,
      eventId: r.id as string,
      ruleArn: r.rule_arn as string,
      targetId: r.target_id as string,
      targetArn: r.target_arn as string,
      attempts: r.attempts as number,
      ...(r.last_error === null ? {} : { lastError: r.last_error as string }),
      ...(r.dropped_at === null ? {} : { droppedAt: r.dropped_at as number }),
    }));
  }

  async countDroppedDeliveries(scope: Scope, filter: DroppedFilter): Promise<number> {
    return (this.sql.countDropped.get(droppedParams(scope, filter)) as Row).n as number;
  }

  async redriveDeliveries(
    scope: Scope,
    chosen: readonly { readonly eventId: string; readonly ruleArn: string; readonly targetId: string }[],
    now: number,
  ): Promise<RedriveOutcome[]> {
    return this.db.transaction(() =>
      chosen.map((c): RedriveOutcome => {
        const row = this.sql.findOwed.get(c.eventId, scope.account, scope.region, c.ruleArn, c.targetId) as Row | undefined;
        if (row === undefined) return 'not-found';
        return this.sql.redriveOne.run(now, now, row.event, row.destination).changes === 1 ? 'redriven' : 'not-dropped';
      }),
    )();
  }

  async redriveDropped(scope: Scope, filter: DroppedFilter, now: number): Promise<number> {
    return this.sql.redriveDropped.run({ ...droppedParams(scope, filter), now }).changes;
  }

  async countEvents(): Promise<number> {
    return (this.sql.countEvents.get() as Row).n as number;
  }

  async addToCounter(scope: Scope, name: string, n: number): Promise<void> {
    this.sql.addToCounter.run(scope.account, scope.region, name, n);
  }

  async getCounter(scope: Scope, name: string): Promise<number> {
    const r = this.sql.getCounter.get(scope.account, scope.region, name) as Row | undefined;
    return r === undefined ? 0 : (r.value as number);
  }

  // Connections and API destinations: connection-store.ts ----------------------------------------
  async insertConnection(connection: Connection): Promise<boolean> {
    return this.connections.insertConnection(connection);
  }
  async getConnection(scope: Scope, name: string): Promise<Connection | undefined> {
    return this.connections.getConnection(scope, name);
  }
  async getConnectionByArn(arn: string): Promise<Connection | undefined> {
    return this.connections.getConnectionByArn(arn);
  }
  async listConnections(scope: Scope, page: Page & { readonly state?: string }): Promise<Connection[]> {
    return this.connections.listConnections(scope, page);
  }
  async updateConnection(connection: Connection): Promise<void> {
    this.connections.updateConnection(connection);
  }
  async deleteConnection(scope: Scope, name: string): Promise<void> {
    this.connections.deleteConnection(scope, name);
  }
  async insertApiDestination(destination: ApiDestination): Promise<boolean> {
    return this.connections.insertApiDestination(destination);
  }
  async getApiDestination(scope: Scope, name: string): Promise<ApiDestination | undefined> {
    return this.connections.getApiDestination(scope, name);
  }
  async getApiDestinationByArn(arn: string): Promise<ApiDestination | undefined> {
    return this.connections.getApiDestinationByArn(arn);
  }
  async listApiDestinations(scope: Scope, page: Page & { readonly connectionArn?: string }): Promise<ApiDestination[]> {
    return this.connections.listApiDestinations(scope, page);
  }
  async updateApiDestination(destination: ApiDestination): Promise<void> {
    this.connections.updateApiDestination(destination);
  }
  async deleteApiDestination(scope: Scope, name: string): Promise<void> {
    this.connections.deleteApiDestination(scope, name);
  }
}

/** An `events` row as the domain's StoredEvent. */
function storedEventOf(r: Row): StoredEvent {
  return {
    id: r.id as string,
    account: r.account as string,
    region: r.region as string,
    eventBusName: r.bus as string,
    ingestedAt: r.ingested_at as number,
    envelope: r.envelope as string,
    ...(r.trace_header === null ? {} : { traceHeader: r.trace_header as string }),
    ...(r.via === null ? {} : { via: JSON.parse(r.via as string) as string[] }),
    ...(r.forwarded_from === null
      ? {}
      : { forwardedFrom: { eventId: r.forwarded_from as string, ruleArn: r.forwarded_rule as string, targetId: r.forwarded_target as string } }),
  };
}

function doc<T>(row: unknown): T | undefined {
  return row === undefined ? undefined : (JSON.parse((row as Row).doc as string) as T);
}
