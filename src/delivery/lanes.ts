/**
 * Lanes: the deliveries of one rule target, between the dispatcher's drain and the attempts
 * (dispatcher.ts). A lane starts attempts in the order it was handed deliveries, under the
 * target's options (target-options.ts, docs/target-options.md):
 *
 *   handed --> [ordered: one per group, the rest parked behind it] --> ready (FIFO)
 *          --> gates: max-concurrency, circuit breaker (circuit-breaker.ts), rate limit
 *          --> attempt --> its end: delivered / waiting for a retry / ended / none
 *   (a delivery past its maximum age skips the breaker and the rate limit: it is given up)
 *
 * Nothing here is dropped: a delivery that may not start yet waits, in order, and a gate that
 * closes until a time sets one timer to look again (on the dispatcher's clock, so tests that
 * move an injected clock and settle see the same thing as production). A lane has no I/O of its
 * own: attempts and records go through the callbacks, and the circuit breaker is the endpoint's,
 * shared by every lane whose target names it (the dispatcher keeps them by target ARN).
 *
 * Ordered delivery (order-by): a group's head is the delivery being attempted, or waiting in the
 * store for a retry; later ones of the group are parked in the lane until the head ends
 * (delivered, dead-lettered or dropped: a dead-lettered head lets its group move on). After a
 * restart the dispatcher registers each waiting head before handing fresh deliveries, so the
 * order holds across restarts.
 */
import type { PendingDelivery } from '../domain/model.js';
import { Alarm } from './alarm.js';
import { BREAKER_DEFAULTS } from './circuit-breaker.js';
import type { BreakerSettings, CircuitBreaker } from './circuit-breaker.js';
import type { TargetOptions } from './target-options.js';

/** How an attempt ended, for the lane's gates and groups. */
export interface AttemptEnd {
  /** Resolves when the attempt's record is committed. */
  readonly recorded: Promise<void>;
  /**
   * 'delivered'; 'waiting' (failed, a retry is scheduled: an ordered group stays behind it);
   * 'ended' (dead-lettered or dropped); 'none' (no attempt was made: no adapter, expired, error).
   */
  readonly outcome: 'delivered' | 'waiting' | 'ended' | 'none';
  /** The attempt failed in a way that is retried (the endpoint is unwell): the breaker counts it. */
  readonly retryableFailure: boolean;
}

export interface LaneHooks {
  /** The target's options now (they may change while the lane lives). */
  readonly options: () => TargetOptions;
  /** Attempts at once when max-concurrency is not set. */
  readonly defaultConcurrency: number;
  readonly now: () => number;
  /** Make one attempt; resolves once the target has answered. */
  readonly run: (d: PendingDelivery) => Promise<AttemptEnd>;
  /** The delivery is out of the lane: its attempt is recorded, or it was never made. */
  readonly finished: (d: PendingDelivery) => void;
  /** The group of a delivery of an ordered target. */
  readonly groupOf: (d: PendingDelivery) => string;
  /**
   * Whether the delivery is past its maximum age: it is then handed to `run` at once, past the
   * gates (it will be given up, not attempted: it must not wait for, or spend, a rate token).
   */
  readonly expired: (d: PendingDelivery) => boolean;
  /**
   * The circuit breaker of the target's endpoint (its ARN), shared with the other lanes of that
   * endpoint; asked for only by a lane whose target has the breaker option.
   */
  readonly breaker: () => CircuitBreaker;
}

export class Lane {
  private readonly h: LaneHooks;
  private readonly ready: PendingDelivery[] = [];
  /** Ordered targets: each group's head (a delivery key), the group of each head, and what is parked behind it. */
  private readonly heads = new Map<string, string>();
  private readonly groupOfHead = new Map<string, string>();
  private readonly parkedByGroup = new Map<string, PendingDelivery[]>();
  private parkedCount = 0;
  private running = 0;
  private stopped = false;
  private readonly under = new Set<Promise<void>>();
  /** Rate limit: tokens, as of `tokensAt`. */
  private tokens = Number.NaN;
  private tokensAt = 0;
  /** Set when a gate closes until a time: the lane looks again then. */
  private readonly reopen: Alarm;

  constructor(hooks: LaneHooks) {
    this.h = hooks;
    this.reopen = new Alarm(hooks.now, () => this.pump(), 1);
  }

  /** Deliveries parked behind their group's head (held, but not in the dispatcher's bound). */
  get parked(): number {
    return this.parkedCount;
  }

  /** After a restart: a delivery waiting for a retry heads its group (nothing is attempted). */
  registerHead(d: PendingDelivery): void {
    if (this.h.options().orderBy === undefined) return;
    const group = this.h.groupOf(d);
    if (!this.heads.has(group)) this.setHead(group, d.key);
  }

  private setHead(group: string, key: string): void {
    this.heads.set(group, key);
    this.groupOfHead.set(key, group);
  }

  push(d: PendingDelivery): void {
    if (this.h.options().orderBy !== undefined) {
      const group = this.h.groupOf(d);
      const head = this.heads.get(group);
      if (head === undefined) this.setHead(group, d.key);
      else if (head !== d.key) {
        let parked = this.parkedByGroup.get(group);
        if (parked === undefined) this.parkedByGroup.set(group, (parked = []));
        parked.push(d);
        this.parkedCount++;
        return;
      }
    }
    this.ready.push(d);
    this.pump();
  }

  /** Start what the gates allow now; set a timer for when one reopens. */
  pump(): void {
    const options = this.h.options();
    const limit = options.maxConcurrency ?? this.h.defaultConcurrency;
    while (!this.stopped && this.running < limit && this.ready.length > 0) {
      if (this.h.expired(this.ready[0] as PendingDelivery)) {
        this.start(this.ready.shift() as PendingDelivery, {});
        continue;
      }
      const now = this.h.now();
      const wait = this.gate(now, options);
      if (wait !== undefined) {
        if (Number.isFinite(wait)) this.reopen.at(wait);
        return;
      }
      this.start(this.ready.shift() as PendingDelivery, options);
    }
  }

  /** Start nothing more; resolve when the attempts under way have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reopen.clear();
    await Promise.allSettled([...this.under]);
  }

  /** Undefined when an attempt may start now; else when to look again (Infinity: on an event). */
  private gate(now: number, o: TargetOptions): number | undefined {
    if (o.breakerFailureRatio !== undefined) {
      const wait = this.breakerOf().admit(now, breakerSettings(o));
      if (wait !== undefined) return wait;
    }
    if (o.ratePerSecond !== undefined) {
      const burst = o.rateBurst ?? 1;
      const perMs = o.ratePerSecond / 1000;
      this.tokens = Number.isNaN(this.tokens) ? burst : Math.min(burst, this.tokens + (now - this.tokensAt) * perMs);
      this.tokensAt = now;
      if (this.tokens < 1) {
        // The breaker admitted a probe that the rate limit now holds back: give it back.
        if (o.breakerFailureRatio !== undefined) this.breakerOf().abandon();
        return now + Math.ceil((1 - this.tokens) / perMs);
      }
      this.tokens -= 1;
    }
    return undefined;
  }

  private start(d: PendingDelivery, o: TargetOptions): void {
    this.running++;
    const breaking = o.breakerFailureRatio !== undefined;
    const probe = breaking && this.breakerOf().state === 'HALF_OPEN';
    const attempt = (async (): Promise<void> => {
      let end: AttemptEnd | undefined;
      try {
        end = await this.h.run(d);
      } finally {
        this.running--;
        if (breaking) {
          if (end === undefined || end.outcome === 'none') {
            if (probe) this.breakerOf().abandon();
          } else this.breakerOf().record(this.h.now(), end.retryableFailure, breakerSettings(this.h.options()), probe);
        }
        if (end?.outcome !== 'waiting') this.release(d);
        this.pump();
      }
      await end.recorded;
    })().finally(() => {
      this.under.delete(attempt);
      this.h.finished(d);
    });
    this.under.add(attempt);
  }

  /** An ordered group's head has ended: the next of its group, if any, goes on. */
  private release(d: PendingDelivery): void {
    // By the group it was given when it became head (order-by may have changed since).
    const group = this.groupOfHead.get(d.key);
    if (group === undefined) return;
    this.groupOfHead.delete(d.key);
    const parked = this.parkedByGroup.get(group);
    const next = parked?.shift();
    if (next === undefined) {
      this.heads.delete(group);
      this.parkedByGroup.delete(group);
      return;
    }
    this.parkedCount--;
    if (parked?.length === 0) this.parkedByGroup.delete(group);
    this.setHead(group, next.key);
    this.ready.push(next);
  }

  private breakerOf(): CircuitBreaker {
    return this.h.breaker();
  }
}

export function breakerSettings(o: TargetOptions): BreakerSettings {
  return {
    failureRatio: o.breakerFailureRatio ?? 1,
    minimumAttempts: o.breakerMinimumAttempts ?? BREAKER_DEFAULTS.minimumAttempts,
    windowMs: o.breakerWindowMs ?? BREAKER_DEFAULTS.windowMs,
    cooldownMs: o.breakerCooldownMs ?? BREAKER_DEFAULTS.cooldownMs,
  };
}
