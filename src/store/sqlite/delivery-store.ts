/**
 * Owed deliveries on SQLite, on the store's main connection (used by sqlite-store.ts, which
 * forwards the port's methods here): the first attempts and retries the dispatcher reads, an
 * attempt's record and its delivery's next state, a delivery's state and attempts, an event's
 * trace, and the dropped deliveries with their redrive. The event writer (event-writer.ts) inserts
 * the owed rows with their events, and records the attempts sent to it as `attemptRow`s (below).
 *
 * A delivery's life in its `owed` row (state by number, STATES):
 *
 *   pending (due_at NULL: first attempt) --attempt--> delivered | dropped | dead-lettered
 *                                        --attempt--> pending (due_at: a retry's time)
 *   dropped --redrive--> pending, due now (redriven_at, redriven_after = attempts so far)
 *
 * Each statement is prepared once, below, with its inputs named.
 */
import type Database from 'better-sqlite3';
import type {
  DeliveryAttempt,
  DeliveryNext,
  DroppedDelivery,
  DroppedFilter,
  OwedDelivery,
  PendingDelivery,
  RedriveOutcome,
  Scope,
  StoredEvent,
  TargetKind,
} from '../../domain/model.js';
import type { EventTrace, TracedDelivery } from '../port.js';
import type { AttemptRow } from './writer-protocol.js';

type Row = Record<string, unknown>;

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

/** An attempt and its delivery's next state as the statements (`record`, below, and the event writer's) take them. */
export function attemptRow(delivery: PendingDelivery, attempt: DeliveryAttempt, next: DeliveryNext): AttemptRow {
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

export class SqliteDeliveryStore {
  private readonly db: Database.Database;
  private readonly sql;

  constructor(db: Database.Database) {
    this.db = db;
    const p = (text: string): Database.Statement => db.prepare(text);
    this.sql = {
      /** event_id */
      deliveriesOf: p(
        `SELECT e.id AS event_id, d.rule_arn, d.target_id, d.target_arn
         FROM events e JOIN owed o ON o.event = e.rowid JOIN destinations d ON d.id = o.destination
         WHERE e.id = ? ORDER BY d.rule_arn, d.target_id`,
      ),
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
    };
  }

  pendingDeliveries(kinds: readonly TargetKind[], after: string | undefined, limit: number): PendingDelivery[] {
    const [event, destination] = after === undefined ? [0, 0] : after.split(':').map(Number);
    return (this.sql.pending.all(JSON.stringify(kinds), event, destination, limit) as Row[]).map(pendingOf);
  }

  dueDeliveries(now: number, limit: number): PendingDelivery[] {
    return (this.sql.due.all(now, limit) as Row[]).map(pendingOf);
  }

  nextDueAt(): number | undefined {
    const at = (this.sql.nextDue.get() as Row).at;
    return at === null ? undefined : (at as number);
  }

  /** Inside the caller's transaction (sqlite-store.ts `enqueueDelivery`): the attempt's row, and the delivery's new state. */
  record(delivery: PendingDelivery, attempt: DeliveryAttempt, next: DeliveryNext): void {
    const [event, destination, number, startedAt, latencyMs, outcome, status, error, state, dueAt, lastError] = attemptRow(delivery, attempt, next);
    this.sql.insertAttempt.run(event, destination, number, startedAt, latencyMs, outcome, status, error);
    this.sql.setState.run(state, dueAt, lastError, event, destination);
  }

  deliveryState(eventId: string, ruleArn: string, targetId: string): { state: string; attempts: number; lastError?: string } | undefined {
    const row = this.sql.deliveryState.get(eventId, ruleArn, targetId) as Row | undefined;
    if (row === undefined) return undefined;
    const state = STATES[row.state as number] ?? 'unknown';
    return { state, attempts: row.attempts as number, ...(row.last_error === null ? {} : { lastError: row.last_error as string }) };
  }

  attemptsOf(eventId: string, ruleArn: string, targetId: string): DeliveryAttempt[] {
    return (this.sql.attemptsOf.all(eventId, ruleArn, targetId) as Row[]).map((r) => ({
      startedAt: r.started_at as number,
      latencyMs: r.latency_ms as number,
      outcome: r.outcome as DeliveryAttempt['outcome'],
      ...(r.status === null ? {} : { status: r.status as number }),
      ...(r.error === null ? {} : { error: r.error as string }),
    }));
  }

  /**
   * Two reads: the event (in the scope), then its deliveries joined with their attempts in one
   * statement, so the states and attempts shown are those of one moment. An event's owed rows
   * are committed with it, so the first read never sees an event whose deliveries are missing.
   */
  eventTrace(scope: Scope, eventId: string): EventTrace | undefined {
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

  deliveriesOf(eventId: string): OwedDelivery[] {
    return (this.sql.deliveriesOf.all(eventId) as Row[]).map((r) => ({
      eventId: r.event_id as string,
      ruleArn: r.rule_arn as string,
      targetId: r.target_id as string,
      targetArn: r.target_arn as string,
    }));
  }

  listDroppedDeliveries(scope: Scope, filter: DroppedFilter & { readonly after?: string; readonly limit: number }): DroppedDelivery[] {
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

  countDroppedDeliveries(scope: Scope, filter: DroppedFilter): number {
    return (this.sql.countDropped.get(droppedParams(scope, filter)) as Row).n as number;
  }

  redriveDeliveries(
    scope: Scope,
    chosen: readonly { readonly eventId: string; readonly ruleArn: string; readonly targetId: string }[],
    now: number,
  ): RedriveOutcome[] {
    return this.db.transaction(() =>
      chosen.map((c): RedriveOutcome => {
        const row = this.sql.findOwed.get(c.eventId, scope.account, scope.region, c.ruleArn, c.targetId) as Row | undefined;
        if (row === undefined) return 'not-found';
        return this.sql.redriveOne.run(now, now, row.event, row.destination).changes === 1 ? 'redriven' : 'not-dropped';
      }),
    )();
  }

  redriveDropped(scope: Scope, filter: DroppedFilter, now: number): number {
    return this.sql.redriveDropped.run({ ...droppedParams(scope, filter), now }).changes;
  }
}

/** An `events` row as the domain's StoredEvent (the trace's, and sqlite-store.ts `getEvent`'s). */
export function storedEventOf(r: Row): StoredEvent {
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
