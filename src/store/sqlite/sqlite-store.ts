/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode with synchronous=FULL, so a
 * commit is on disk when it returns. better-sqlite3 is synchronous; the port is asynchronous so
 * that PostgreSQL can implement it too, and group commit (src/ingest) batches concurrent
 * PutEvents into one `appendEvents` call, so one fsync serves many requests.
 *
 * This module opens and migrates the database and wires its parts. Here: buses, rules, targets,
 * tags, reading events, numbering destinations, counters. On this same connection, elsewhere:
 * owed deliveries (delivery-store.ts), queues (queue-store.ts), connections and API destinations
 * (connection-store.ts), the breaker log (breaker-log.ts). Events and delivery attempts are
 * committed on the event writer's own connection (event-writer-client.ts starts event-writer.ts),
 * except a queue target's attempt, committed here with its message (`enqueueDelivery`); WAL
 * checkpoints run in checkpointer.ts.
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
import type { AttemptRecord, BreakerLog, EventTrace, Forward, Page, QueueStore, Store } from '../port.js';
import { configureConnection } from './connection.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteBreakerLog } from './breaker-log.js';
import { SqliteQueueStore } from './queue-store.js';
import { SqliteConnectionStore } from './connection-store.js';
import { attemptRow, SqliteDeliveryStore, storedEventOf } from './delivery-store.js';
import { EventWriter } from './event-writer-client.js';
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

function busKey(scope: Scope, name: string): string {
  return `${scope.account}\u0000${scope.region}\u0000${name}`;
}

function likePrefix(prefix: string | undefined): string {
  return `${(prefix ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
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
  private readonly deliveries: SqliteDeliveryStore;

  constructor(db: Database.Database, writer: EventWriter, checkpointer: Worker) {
    this.db = db;
    this.queueStore = new SqliteQueueStore(db);
    this.queues = this.queueStore;
    this.breakers = new SqliteBreakerLog(db);
    this.connections = new SqliteConnectionStore(db);
    this.deliveries = new SqliteDeliveryStore(db);
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
      /** rule_arn, target_id, target_arn, kind */
      insertDestination: p('INSERT OR IGNORE INTO destinations (rule_arn, target_id, target_arn, kind) VALUES (?, ?, ?, ?)'),
      /** rule_arn, target_id, target_arn */
      findDestination: p('SELECT id FROM destinations WHERE rule_arn = ? AND target_id = ? AND target_arn = ?'),
      countEvents: p('SELECT count(*) AS n FROM events'),
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

  /** Committed by the event writer's connection, like events: one writer, no lock waits. */
  async recordAttempts(records: readonly AttemptRecord[]): Promise<void> {
    if (records.length > 0) await this.writer.record(records.map((r) => attemptRow(r.delivery, r.attempt, r.next)));
  }

  /** On the event writer's connection, as one transaction (event-writer.ts `forward`). */
  async forwardDeliveries(forwards: readonly Forward[]): Promise<void> {
    if (forwards.length === 0) return;
    await this.writer.write(
      forwards.map((f) => f.forwarded),
      this.destination,
      forwards.map((f) => attemptRow(f.delivery, f.attempt, { state: 'delivered' })),
    );
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
      this.deliveries.record(delivery, attempt, next);
      return outcome;
    })();
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

  // Owed deliveries: delivery-store.ts ------------------------------------------------------------
  async pendingDeliveries(kinds: readonly TargetKind[], after: string | undefined, limit: number): Promise<PendingDelivery[]> {
    return this.deliveries.pendingDeliveries(kinds, after, limit);
  }
  async dueDeliveries(now: number, limit: number): Promise<PendingDelivery[]> {
    return this.deliveries.dueDeliveries(now, limit);
  }
  async nextDueAt(): Promise<number | undefined> {
    return this.deliveries.nextDueAt();
  }
  async deliveriesOf(eventId: string): Promise<OwedDelivery[]> {
    return this.deliveries.deliveriesOf(eventId);
  }
  async deliveryState(eventId: string, ruleArn: string, targetId: string): Promise<{ state: string; attempts: number; lastError?: string } | undefined> {
    return this.deliveries.deliveryState(eventId, ruleArn, targetId);
  }
  async attemptsOf(eventId: string, ruleArn: string, targetId: string): Promise<DeliveryAttempt[]> {
    return this.deliveries.attemptsOf(eventId, ruleArn, targetId);
  }
  async eventTrace(scope: Scope, eventId: string): Promise<EventTrace | undefined> {
    return this.deliveries.eventTrace(scope, eventId);
  }
  async listDroppedDeliveries(scope: Scope, filter: DroppedFilter & { readonly after?: string; readonly limit: number }): Promise<DroppedDelivery[]> {
    return this.deliveries.listDroppedDeliveries(scope, filter);
  }
  async countDroppedDeliveries(scope: Scope, filter: DroppedFilter): Promise<number> {
    return this.deliveries.countDroppedDeliveries(scope, filter);
  }
  async redriveDeliveries(
    scope: Scope,
    chosen: readonly { readonly eventId: string; readonly ruleArn: string; readonly targetId: string }[],
    now: number,
  ): Promise<RedriveOutcome[]> {
    return this.deliveries.redriveDeliveries(scope, chosen, now);
  }
  async redriveDropped(scope: Scope, filter: DroppedFilter, now: number): Promise<number> {
    return this.deliveries.redriveDropped(scope, filter, now);
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

function doc<T>(row: unknown): T | undefined {
  return row === undefined ? undefined : (JSON.parse((row as Row).doc as string) as T);
}
