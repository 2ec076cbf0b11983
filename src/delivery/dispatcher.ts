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
 * by what the store answers. Kinds without an adapter (other AWS services) are left pending,
 * untouched.
 *
 * Lanes (lanes.ts). A drain only reads: it hands each delivery to the lane of its rule target,
 * and each lane runs up to PER_TARGET attempts at once (the target's max-concurrency option), in
 * the order handed, under its rate limit, circuit breaker and ordering options
 * (target-options.ts), so a slow or dead target holds up nothing but itself. At most IN_MEMORY
 * deliveries are held in lanes (not counting those parked behind an ordered group's head); a
 * drain stops reading at that bound and the lanes poke for another when they have room. A
 * delivery held in a lane is not handed again by a later drain (its key is remembered until its
 * attempt is recorded). Before its attempt, a delivery older than its MaximumEventAgeInSeconds
 * (it waited on a rate limit, a breaker, or a stopped server) is given up without one.
 *
 *   store --drain (fresh in acceptance order, then due retries)--> lane per target --attempt-->
 *         adapter --> record (delivered / waiting / dead-lettered / dropped)
 *
 * An attempt under way when the process dies has no record: after the restart the delivery is
 * attempted again (at least once). Built-in queues are the exception: their message and the
 * delivery's record are one transaction, so a queue gets each event once.
 */
import type { AcceptedEvent, DeliveryAttempt, PendingDelivery, Target, TargetKind } from '../domain/model.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { BreakerChange, BreakerState } from './circuit-breaker.js';
import { Alarm } from './alarm.js';
import { Lane } from './lanes.js';
import type { AttemptEnd } from './lanes.js';
import { orderGroupOf } from './target-options.js';
import type { TargetOptionsRegistry } from './target-options.js';
import type { QueueEngine } from '../queues/engine.js';
import { DEDUPLICATION_WINDOW_MS } from '../queues/engine.js';
import type { MessageAttribute } from '../queues/model.js';
import type { Router } from '../rules/router.js';
import { GroupCommit } from '../ingest/group-commit.js';
import type { AttemptRecord, Store } from '../store/port.js';
import { EVENTBRIDGE_SENDER } from './adapter.js';
import type { AttemptResult, TargetAdapter } from './adapter.js';
import { classifyFailure, nextAttemptAt, resolveRetryPolicy, RETRY_POLICY_LIMITS } from './retry.js';
import type { DeadLetterErrorCode, ExhaustedRetryCondition, RetryPolicyInput } from './retry.js';

const RECORDED: Promise<void> = Promise.resolve();
/** No attempt was made (no adapter; the attempt threw). */
const NONE: AttemptEnd = { recorded: RECORDED, outcome: 'none', retryableFailure: false };

/** Deliveries read per store call. */
const PAGE = 256;
/** Attempts at once to one rule target, unless its max-concurrency option says otherwise. */
const PER_TARGET = 32;
/** While a due retry waits for a lane, the due deliveries are looked at again this often. */
const SWEEP_MS = 1_000;
/** Waiting deliveries read at start-up to find the heads of ordered groups. */
const MAX_WAITING_HEADS = 100_000;
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
  /** Switchyard's options of each rule target (speed, breaker, ordering). */
  readonly targetOptions: TargetOptionsRegistry;
  /** A target's circuit breaker changed state (to be recorded and shown). */
  readonly breakerChanged?: (target: { ruleArn: string; targetId: string; targetArn: string }, change: BreakerChange) => void;
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
  /** Pokes when the soonest waiting delivery falls due (or for the sweep). */
  private readonly dueAlarm: Alarm;
  /** Attempts begun (`deliver`) whose delivery is not yet out of its lane (`done`). */
  private attemptsInFlight = 0;
  /** Lanes by rule target (laneKey). */
  private readonly lanes = new Map<string, Lane>();
  /** Circuit breakers by endpoint (target ARN), with the lanes that share each. */
  private readonly breakers = new Map<
    string,
    { readonly breaker: CircuitBreaker; readonly members: Map<Lane, { ruleArn: string; targetId: string; targetArn: string }> }
  >();
  /** The due time a drain was last repeated for at once (scheduleNext). */
  private redrainedFor = Number.NaN;
  /** A drain stopped at the IN_MEMORY bound (the next delivery out reads on). */
  private cutShort = false;
  /** The heads of ordered groups waiting in the store have been registered (once, at start). */
  private headsRegistered = false;
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
    this.dueAlarm = new Alarm(options.now, () => this.poke());
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
      for (const lane of this.lanes.values()) lane.pump();
      this.poke();
      while (this.draining !== null) await this.draining;
      if (this.inFlight() > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    } while (this.draining !== null || this.inFlight() > 0);
  }

  /**
   * Attempts under way or being recorded. Held deliveries that are not in flight wait on a gate
   * (a rate limit, an open breaker, an ordered group's head) for the clock or another attempt.
   */
  private inFlight(): number {
    return this.attemptsInFlight;
  }

  /** At the IN_MEMORY bound: a drain stops reading, and the next delivery out pokes for another. */
  private full(): boolean {
    if (this.holding() < IN_MEMORY) return false;
    this.cutShort = true;
    return true;
  }

  /** Held deliveries that count against IN_MEMORY (parked ones do not). */
  private holding(): number {
    let parked = 0;
    for (const lane of this.lanes.values()) parked += lane.parked;
    return this.held.size - parked;
  }

  /** Stop reading; let the attempts under way end (queued ones stay pending in the store). */
  async close(): Promise<void> {
    this.closed = true;
    this.dueAlarm.clear();
    if (this.draining !== null) await this.draining;
    await Promise.all([...this.lanes.values()].map((lane) => lane.stop()));
  }

  private async drain(): Promise<void> {
    if (!this.headsRegistered) {
      this.headsRegistered = true;
      if (this.o.targetOptions.anyOrdered()) {
        for (const d of await this.o.store.dueDeliveries(Number.MAX_SAFE_INTEGER, MAX_WAITING_HEADS)) this.laneOf(d).registerHead(d);
      }
    }
    for (;;) {
      if (this.full()) return;
      const limit = Math.min(PAGE, IN_MEMORY - this.holding());
      const fresh = await this.o.store.pendingDeliveries(this.kinds, this.cursor, limit);
      for (const d of fresh) {
        if (this.closed) return;
        this.hand(d);
        this.cursor = d.key;
      }
      if (fresh.length < limit) break;
    }
    /** A due retry was left out because it is already in a lane: its end pokes (`done`). */
    let dueHeld = false;
    for (;;) {
      if (this.full()) return;
      const found = await this.o.store.dueDeliveries(this.o.now(), PAGE);
      const due = found.filter((d) => !this.held.has(d.key));
      if (due.length < found.length) dueHeld = true;
      if (this.closed) return;
      for (const d of due) this.hand(d);
      if (due.length === 0) break;
    }
    await this.scheduleNext(dueHeld);
  }

  /** Give a delivery to its target's lane. */
  private hand(d: PendingDelivery): void {
    this.held.add(d.key);
    this.laneOf(d).push(d);
  }

  /**
   * The lane of a delivery's rule target, made on first use and kept (it holds the target's
   * rate-limit tokens and ordered groups; there is one per rule target; breakers are per endpoint).
   */
  private laneOf(d: PendingDelivery): Lane {
    const key = `${d.ruleArn} ${d.targetId} ${d.targetArn}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      const { ruleArn, targetId, targetArn } = d;
      const options = () => this.o.targetOptions.get(ruleArn, targetId);
      lane = new Lane({
        options,
        // A queue gets one delivery at a time: in acceptance order, which a FIFO queue keeps.
        defaultConcurrency: d.kind === 'queue' ? 1 : PER_TARGET,
        now: this.o.now,
        run: (x) => this.deliver(x),
        finished: (x) => this.done(x),
        groupOf: (x) => {
          const orderBy = options().orderBy;
          if (orderBy === undefined) return '';
          const sqs = this.o.router.targetOf(ruleArn, targetId)?.SqsParameters as { MessageGroupId?: string } | undefined;
          return orderGroupOf(orderBy, x.envelope, sqs?.MessageGroupId);
        },
        expired: (x) => this.expired(x),
        breaker: () => this.breakerOf(targetArn, lane as Lane, { ruleArn, targetId, targetArn }),
      });
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /**
   * The circuit breaker of an endpoint (a target ARN), shared by the lanes of every rule target
   * naming it that has the breaker option: when the endpoint is down, every rule's deliveries to
   * it wait. A change is logged, told (breakerChanged) for each of those targets, and wakes their
   * lanes.
   */
  private breakerOf(targetArn: string, lane: Lane, target: { ruleArn: string; targetId: string; targetArn: string }): CircuitBreaker {
    let shared = this.breakers.get(targetArn);
    if (shared === undefined) {
      const members = new Map<Lane, { ruleArn: string; targetId: string; targetArn: string }>();
      const breaker = new CircuitBreaker((change) => {
        this.o.log({ level: 'warn', msg: 'circuit breaker', target: targetArn, from: change.from, to: change.to, reason: change.reason });
        for (const [member, t] of members) {
          this.o.breakerChanged?.(t, change);
          // Opening or closing may let waiting deliveries go (or hold them): look again.
          queueMicrotask(() => member.pump());
        }
      });
      this.breakers.set(targetArn, (shared = { breaker, members }));
    }
    if (!shared.members.has(lane)) shared.members.set(lane, target);
    return shared.breaker;
  }

  /** The state of the breaker of a rule target's endpoint, if it has one (for the API). */
  breakerStateOf(ruleArn: string, targetId: string): BreakerState | undefined {
    const arn = this.o.router.targetOf(ruleArn, targetId)?.Arn;
    return arn === undefined ? undefined : this.breakers.get(arn)?.breaker.state;
  }

  /** A delivery's attempt is recorded (or failed to be): it may be handed again by a later drain. */
  private done(d: PendingDelivery): void {
    this.attemptsInFlight--;
    this.held.delete(d.key);
    if (this.inFlight() === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      // Retries that fell due while their deliveries were held: look again.
      this.poke();
    }
    // Room again after the bound was reached: read on.
    if (this.cutShort && this.holding() < IN_MEMORY) {
      this.cutShort = false;
      this.poke();
    }
  }

  /**
   * One timer, for the soonest waiting delivery. When the soonest is due already: if a due one
   * is in a lane (`dueHeld`), its end pokes (`done`), so no timer spins on it meanwhile;
   * otherwise it fell due after the drain's last look (the store is read across awaits): drain
   * again at once. Either way a sweep follows within SWEEP_MS, so a wake-up missed by some path
   * not thought of here delays a retry; it cannot strand it.
   */
  private async scheduleNext(dueHeld: boolean): Promise<void> {
    const at = await this.o.store.nextDueAt();
    if (at === undefined || this.closed) return;
    const now = this.o.now();
    if (at <= now) {
      // Once per due time: should the store ever count a due row that the due scan cannot
      // return, this must not spin; the sweep takes over.
      if (!dueHeld && at !== this.redrainedFor) {
        this.redrainedFor = at;
        this.again = true;
      }
      this.dueAlarm.at(now + SWEEP_MS);
      return;
    }
    this.dueAlarm.at(at);
  }

  /**
   * Make one attempt; resolves when the attempt is over, with a promise for its record (the
   * lane's slot is free once the target has answered; the delivery stays held until recorded).
   */
  private async deliver(d: PendingDelivery): Promise<AttemptEnd> {
    this.attemptsInFlight++;
    const failed = (e: unknown): void =>
      this.o.log({ level: 'error', msg: 'delivery attempt failed', eventId: d.eventId, target: d.targetArn, err: String((e as Error)?.stack ?? e) });
    try {
      const end = await this.attempt(d);
      return { ...end, recorded: end.recorded.catch(failed) };
    } catch (e) {
      failed(e);
      return NONE;
    }
  }

  /** The rule's target as it is now, if it still names the delivery's target ARN. */
  private targetOf(d: PendingDelivery): Target | undefined {
    const current = this.o.router.targetOf(d.ruleArn, d.targetId);
    return current !== undefined && current.Arn === d.targetArn ? current : undefined;
  }

  /** Whether the delivery is past its MaximumEventAgeInSeconds (counted from a redrive, if any). */
  private expired(d: PendingDelivery): boolean {
    const age = this.o.now() - (d.redriven?.at ?? d.ingestedAt);
    // Younger than the least maximum age a policy can set: no need to look the policy up.
    if (age <= RETRY_POLICY_LIMITS.MaximumEventAgeInSeconds.min * 1000) return false;
    const policy = resolveRetryPolicy(this.targetOf(d)?.RetryPolicy as RetryPolicyInput | undefined);
    return age > policy.MaximumEventAgeInSeconds * 1000;
  }

  /** The attempt, then how it ended and a promise for its record (settled when recorded with its effect). */
  private async attempt(d: PendingDelivery): Promise<AttemptEnd> {
    const adapter = this.adapters[d.kind];
    if (adapter === undefined) return NONE;
    const target = this.targetOf(d);
    const policy = resolveRetryPolicy(target?.RetryPolicy as RetryPolicyInput | undefined);
    // A redriven delivery gets a new retry window: attempts and event age count from the redrive.
    const from = d.redriven?.at ?? d.ingestedAt;
    const made = d.attempts - (d.redriven?.attempts ?? 0);
    const startedAt = this.o.now();
    if (this.expired(d)) {
      // It waited its turn (a rate limit, an open breaker, a stopped server) past its maximum age:
      // given up without an attempt (for the lane, no attempt was made).
      const error = `The event was older than MaximumEventAgeInSeconds (${policy.MaximumEventAgeInSeconds}) before its attempt could be made.`;
      const attempt: DeliveryAttempt = { startedAt, latencyMs: 0, outcome: 'failed', error: `THROTTLING: ${error}` };
      await this.giveUp(d, target, attempt, 'THROTTLING', error, 'MaximumEventAgeInSeconds', made);
      return { recorded: RECORDED, outcome: 'none', retryableFailure: false };
    }
    const result = await adapter.attempt(d, target, startedAt);
    if (result === 'recorded') return { recorded: RECORDED, outcome: 'delivered', retryableFailure: false };
    if (result.ok) {
      const recorded = this.records.commit([{ delivery: d, attempt: attemptOf(startedAt, result), next: { state: 'delivered' } }]);
      return { recorded, outcome: 'delivered', retryableFailure: false };
    }
    const verdict = classifyFailure(result.failure);
    const attempt = attemptOf(startedAt, result, `${verdict.errorCode}: ${result.error}`);
    if (!verdict.retryable) {
      await this.giveUp(d, target, attempt, verdict.errorCode, result.error, undefined, made);
      return { recorded: RECORDED, outcome: 'ended', retryableFailure: false };
    }
    const now = this.o.now();
    const decision = nextAttemptAt(policy, made + 1, from, now, this.o.random ?? Math.random, result.retryAfterMs ?? undefined);
    if (!decision.retry) {
      await this.giveUp(d, target, attempt, verdict.errorCode, result.error, decision.exhausted, decision.retryAttempts);
      return { recorded: RECORDED, outcome: 'ended', retryableFailure: true };
    }
    const recorded = this.records.commit([{ delivery: d, attempt, next: { state: 'waiting', dueAt: decision.at } }]);
    return { recorded, outcome: 'waiting', retryableFailure: true };
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
