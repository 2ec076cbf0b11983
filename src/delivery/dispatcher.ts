/**
 * The dispatcher: pays the owed deliveries (docs/delivery.md). It finds deliveries whose first
 * attempt is still to be made (in acceptance order, from a cursor kept in memory and reset at
 * start-up) and those waiting for a retry whose time has come, hands each to the adapter of its
 * target's kind, and records the attempt and what follows in the store, in one transaction:
 *
 *   attempt ok ----------------------------------------------> delivered
 *   failed, retryable, policy not exhausted -----------------> waiting until due_at (retry.ts)
 *   failed otherwise, with a DeadLetterConfig queue ---------> dead-lettered (the event, with
 *                                                                RULE_ARN, TARGET_ARN, ERROR_CODE,
 *                                                                ERROR_MESSAGE, EXHAUSTED_RETRY_
 *                                                                CONDITION, RETRY_ATTEMPTS)
 *   failed otherwise, no dead-letter queue or it refused ----> dropped (kept, with its error)
 *
 * A drain is started at start-up, after a commit that owes a kind it delivers, and when the next
 * waiting delivery falls due (one timer). Wake-ups are only hints: what is delivered is decided
 * by what the store answers. Kinds without an adapter yet (event buses, other AWS services) are
 * left pending, untouched.
 *
 * Lanes. A drain only reads: it hands each delivery to the lane of its target (by target ARN),
 * and each lane runs up to PER_TARGET attempts at once, in the order handed, so a slow or dead
 * target holds up nothing but itself. At most IN_MEMORY deliveries are held in lanes; a drain
 * stops reading at that bound and the lanes poke for another when they have room. A delivery
 * held in a lane is not handed again by a later drain (its key is remembered until its attempt
 * is recorded).
 *
 *   store --drain (fresh in acceptance order, then due retries)--> lane per target --attempt-->
 *         adapter --> record (delivered / waiting / dead-lettered / dropped)
 *
 * An attempt under way when the process dies has no record: after the restart the delivery is
 * attempted again (at least once). Built-in queues are the exception: their message and the
 * delivery's record are one transaction, so a queue gets each event once.
 */
import type { AcceptedEvent, DeliveryAttempt, PendingDelivery, Target, TargetKind } from '../domain/model.js';
import type { QueueEngine } from '../queues/engine.js';
import { DEDUPLICATION_WINDOW_MS } from '../queues/engine.js';
import type { MessageAttribute } from '../queues/model.js';
import type { Router } from '../rules/router.js';
import { GroupCommit } from '../ingest/group-commit.js';
import type { AttemptRecord, Store } from '../store/port.js';
import { EVENTBRIDGE_SENDER } from './adapter.js';
import type { AttemptResult, TargetAdapter } from './adapter.js';
import { classifyFailure, nextAttemptAt, resolveRetryPolicy } from './retry.js';
import type { DeadLetterErrorCode, ExhaustedRetryCondition, RetryPolicyInput } from './retry.js';

/** An attempt that is over, and its record (a promise: wrapped, since promises do not nest). */
interface Pending {
  readonly recorded: Promise<void>;
}

const SETTLED: Pending = { recorded: Promise.resolve() };

/** Deliveries read per store call. */
const PAGE = 256;
/** Attempts at once to one target (a target ARN). */
const PER_TARGET = 32;
/** Deliveries held in lanes at once, read but not yet attempted or recorded. */
const IN_MEMORY = 2048;
export interface DispatcherOptions {
  readonly store: Store;
  readonly engine: QueueEngine;
  readonly router: Router;
  readonly now: () => number;
  /** Jitter for retry delays; Math.random unless a test fixes it. */
  readonly random?: () => number;
  readonly log: (line: Record<string, unknown>) => void;
  /** Adapters by target kind (adapters.ts); kinds without one are left pending. */
  readonly adapters: Partial<Record<TargetKind, TargetAdapter>>;
}

export class Dispatcher {
  private readonly o: DispatcherOptions;
  private readonly adapters: Partial<Record<TargetKind, TargetAdapter>>;
  private readonly kinds: TargetKind[];
  /** The key of the last fresh delivery looked at. */
  private cursor: string | undefined;
  private draining: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  /** Lanes by target ARN. */
  private readonly lanes = new Map<string, Lane>();
  /** Keys of the deliveries held in lanes (queued or being attempted). */
  private readonly held = new Set<string>();
  /** Resolvers waiting for every lane to be empty (settle). */
  private idleWaiters: (() => void)[] = [];
  /** Attempt records that end together share one synced commit (as PutEvents' events do). */
  private readonly records: GroupCommit<AttemptRecord>;

  constructor(options: DispatcherOptions) {
    this.o = options;
    this.records = new GroupCommit<AttemptRecord>((batch) => options.store.recordAttempts(batch), 1);
    this.adapters = options.adapters;
    this.kinds = Object.keys(this.adapters) as TargetKind[];
  }

  /** Events were committed: drain if any of them is owed to a kind this dispatcher delivers. */
  committed(batch: readonly AcceptedEvent[]): void {
    const kinds = this.kinds;
    if (batch.some((e) => e.deliveries.some((d) => kinds.includes(kindOfArn(d.targetArn))))) this.poke();
  }

  /** Look for deliveries to make (start-up, a commit, a retry falling due). */
  poke(): void {
    if (this.closed) return;
    if (this.draining !== null) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((e: unknown) => this.o.log({ level: 'error', msg: 'delivery failed', err: String((e as Error)?.stack ?? e) }))
      .finally(() => {
        this.draining = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.poke();
        }
      });
  }

  /**
   * Resolves when every delivery due now has been attempted and recorded (tests with an injected
   * clock; repeated while attempts make more due, e.g. a retry due at once).
   */
  async settle(): Promise<void> {
    do {
      this.poke();
      while (this.draining !== null) await this.draining;
      if (this.held.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    } while (this.draining !== null || this.held.size > 0);
  }

  /** Stop reading; let the attempts under way end (queued ones stay pending in the store). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.draining !== null) await this.draining;
    await Promise.all([...this.lanes.values()].map((lane) => lane.stop()));
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.held.size >= IN_MEMORY) return;
      const limit = Math.min(PAGE, IN_MEMORY - this.held.size);
      const fresh = await this.o.store.pendingDeliveries(this.kinds, this.cursor, limit);
      for (const d of fresh) {
        if (this.closed) return;
        this.hand(d);
        this.cursor = d.key;
      }
      if (fresh.length < limit) break;
    }
    for (;;) {
      if (this.held.size >= IN_MEMORY) return;
      const due = (await this.o.store.dueDeliveries(this.o.now(), PAGE)).filter((d) => !this.held.has(d.key));
      if (this.closed) return;
      for (const d of due) this.hand(d);
      if (due.length === 0) break;
    }
    await this.scheduleNext();
  }

  /** Give a delivery to its target's lane. */
  private hand(d: PendingDelivery): void {
    let lane = this.lanes.get(d.targetArn);
    if (lane === undefined) {
      // A queue gets one delivery at a time: in acceptance order, which a FIFO queue keeps.
      lane = new Lane(d.kind === 'queue' ? 1 : PER_TARGET, (x) => this.deliver(x), (x) => this.done(x));
      this.lanes.set(d.targetArn, lane);
    }
    this.held.add(d.key);
    lane.push(d);
  }

  /** A delivery's attempt is recorded (or failed to be): it may be handed again by a later drain. */
  private done(d: PendingDelivery): void {
    this.held.delete(d.key);
    const lane = this.lanes.get(d.targetArn);
    if (lane !== undefined && lane.empty) this.lanes.delete(d.targetArn);
    if (this.held.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      // Retries that fell due while their deliveries were held: look again.
      this.poke();
    }
    // Room again after the bound was reached: read on.
    if (this.held.size === IN_MEMORY - 1) this.poke();
  }

  /**
   * One timer, for the soonest waiting delivery. One due already is in a lane (held): when the
   * lanes empty, `done` pokes, so no timer spins on it meanwhile.
   */
  private async scheduleNext(): Promise<void> {
    const at = await this.o.store.nextDueAt();
    if (at === undefined || this.closed || at >= this.timerAt || at <= this.o.now()) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.poke();
    }, Math.max(0, at - this.o.now()));
    this.timer.unref();
  }

  /**
   * Make one attempt; resolves when the attempt is over, with a promise for its record (the
   * lane's slot is free once the target has answered; the delivery stays held until recorded).
   */
  private async deliver(d: PendingDelivery): Promise<Pending> {
    const failed = (e: unknown): void =>
      this.o.log({ level: 'error', msg: 'delivery attempt failed', eventId: d.eventId, target: d.targetArn, err: String((e as Error)?.stack ?? e) });
    try {
      const { recorded } = await this.attempt(d);
      return { recorded: recorded.catch(failed) };
    } catch (e) {
      failed(e);
      return SETTLED;
    }
  }

  /** The attempt, then a promise for its record (already settled when recorded with its effect). */
  private async attempt(d: PendingDelivery): Promise<Pending> {
    const settled = SETTLED;
    const adapter = this.adapters[d.kind];
    if (adapter === undefined) return settled;
    const current = this.o.router.targetOf(d.ruleArn, d.targetId);
    const target = current !== undefined && current.Arn === d.targetArn ? current : undefined;
    const startedAt = this.o.now();
    const result = await adapter.attempt(d, target, startedAt);
    if (result === 'recorded') return settled;
    if (result.ok) return { recorded: this.records.commit([{ delivery: d, attempt: attemptOf(startedAt, result), next: { state: 'delivered' } }]) };
    const verdict = classifyFailure(result.failure);
    const attempt = attemptOf(startedAt, result, `${verdict.errorCode}: ${result.error}`);
    // A redriven delivery gets a new retry window: attempts and event age count from the redrive.
    const made = d.attempts - (d.redriven?.attempts ?? 0);
    if (!verdict.retryable) {
      await this.giveUp(d, target, attempt, verdict.errorCode, result.error, undefined, made);
      return settled;
    }
    const now = this.o.now();
    const policy = resolveRetryPolicy(target?.RetryPolicy as RetryPolicyInput | undefined);
    const from = d.redriven?.at ?? d.ingestedAt;
    const decision = nextAttemptAt(policy, made + 1, from, now, this.o.random ?? Math.random, result.retryAfterMs ?? undefined);
    if (!decision.retry) {
      await this.giveUp(d, target, attempt, verdict.errorCode, result.error, decision.exhausted, decision.retryAttempts);
      return settled;
    }
    return { recorded: this.records.commit([{ delivery: d, attempt, next: { state: 'waiting', dueAt: decision.at } }]) };
  }

  /** Dead-letter the event to the target's DeadLetterConfig queue, or keep it as dropped. */
  private async giveUp(
    d: PendingDelivery,
    target: Target | undefined,
    attempt: DeliveryAttempt,
    errorCode: DeadLetterErrorCode,
    errorMessage: string,
    exhausted: ExhaustedRetryCondition | undefined,
    retryAttempts: number,
  ): Promise<void> {
    const { engine, store } = this.o;
    const error = `${errorCode}: ${errorMessage}`;
    const dlqArn = (target?.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
    const dlq = dlqArn === undefined ? undefined : await engine.queueByArn(dlqArn);
    if (dlq !== undefined) {
      const attributes: Record<string, MessageAttribute> = {
        RULE_ARN: text(d.ruleArn),
        TARGET_ARN: text(d.targetArn),
        ERROR_CODE: text(errorCode),
        ERROR_MESSAGE: text(errorMessage.slice(0, 1024)),
        ...(exhausted === undefined ? {} : { EXHAUSTED_RETRY_CONDITION: text(exhausted) }),
        RETRY_ATTEMPTS: text(String(retryAttempts)),
      };
      try {
        const checked = engine.check(dlq, {
          MessageBody: d.envelope,
          MessageAttributes: attributes,
          ...(dlq.fifo ? { MessageGroupId: d.ruleArn.slice(0, 128), MessageDeduplicationId: d.eventId } : {}),
        });
        await store.enqueueDelivery(d, dlq, engine.prepare(checked, EVENTBRIDGE_SENDER, this.o.now()), DEDUPLICATION_WINDOW_MS, attempt, {
          state: 'dead-lettered',
          error,
        });
        engine.wake(dlq.id);
        return;
      } catch (e) {
        this.o.log({ level: 'warn', msg: 'dead-letter queue refused the event', eventId: d.eventId, dlq: dlqArn, err: String(e) });
      }
    }
    this.o.log({ level: 'warn', msg: 'delivery dropped', eventId: d.eventId, rule: d.ruleArn, target: d.targetId, error });
    await this.records.commit([{ delivery: d, attempt, next: { state: 'dropped', error } }]);
  }
}

/**
 * The deliveries of one target: attempted in the order handed, at most `limit` at once (a slot
 * frees when the target has answered, before the attempt's record is committed). An attempt that
 * throws (a store failure) is logged by the dispatcher and leaves the delivery pending in the
 * store, to be handed again after a restart.
 */
class Lane {
  private readonly limit: number;
  /** Resolves when the attempt is over, with a promise for its record. */
  private readonly run: (d: PendingDelivery) => Promise<Pending>;
  private readonly finished: (d: PendingDelivery) => void;
  private readonly queue: PendingDelivery[] = [];
  private running = 0;
  private stopped = false;
  private readonly runningAttempts = new Set<Promise<void>>();

  constructor(limit: number, run: (d: PendingDelivery) => Promise<Pending>, finished: (d: PendingDelivery) => void) {
    this.limit = limit;
    this.run = run;
    this.finished = finished;
  }

  get empty(): boolean {
    return this.queue.length === 0 && this.running === 0;
  }

  push(d: PendingDelivery): void {
    this.queue.push(d);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.limit && this.queue.length > 0) {
      const d = this.queue.shift() as PendingDelivery;
      this.running++;
      // The slot frees when the target has answered; `finished` waits for the record too.
      const attempt = (async (): Promise<void> => {
        let pending: Pending;
        try {
          pending = await this.run(d);
        } finally {
          this.running--;
          this.pump();
        }
        await pending.recorded;
      })().finally(() => {
        this.runningAttempts.delete(attempt);
        this.finished(d);
      });
      this.runningAttempts.add(attempt);
    }
  }

  /** Start nothing more; resolve when the attempts under way have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.runningAttempts]);
  }
}

function text(value: string): MessageAttribute {
  return { DataType: 'String', StringValue: value };
}

function attemptOf(startedAt: number, result: AttemptResult, error?: string): DeliveryAttempt {
  return {
    startedAt,
    latencyMs: Math.max(0, Math.round(result.latencyMs)),
    outcome: result.ok ? 'delivered' : 'failed',
    ...(result.status === undefined ? {} : { status: result.status }),
    ...(error === undefined ? {} : { error }),
  };
}

/** An ARN's target kind, without parsing (hot path: every committed delivery). */
function kindOfArn(arn: string): TargetKind {
  if (arn.startsWith('arn:aws:sqs:')) return 'queue';
  if (arn.startsWith('arn:aws:events:')) return arn.includes(':api-destination/') ? 'api-destination' : arn.includes(':event-bus/') ? 'bus' : 'other';
  return 'other';
}
