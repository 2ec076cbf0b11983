/**
 * A circuit breaker for one endpoint (docs/circuit-breaker.md): pure state, on the dispatcher's
 * clock, driven by the lanes of the rule targets naming the endpoint (lanes.ts; the dispatcher
 * keeps one per target ARN). No I/O: state changes are reported to `onChange`.
 *
 *            failures >= ratio of >= minimum attempts in the window
 *   CLOSED ---------------------------------------------------------> OPEN
 *     ^                                                                 |
 *     | the probe succeeds                          cooldown has passed |
 *     |                                                                 v
 *     +------------------------------------------------------------ HALF_OPEN (one probe)
 *                                        the probe fails: OPEN again, for another cooldown
 *
 * Counted: attempts that reached an outcome; a failure is a retryable one (a 5xx, 429, timeout or
 * connection failure: the endpoint is unwell). A non-retryable answer such as a 400 shows the
 * endpoint alive and counts as a success. While OPEN nothing is attempted: deliveries wait in
 * their lane without spending retry attempts (their maximum age still applies).
 */

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface BreakerSettings {
  /** The share of failed attempts that opens the breaker, in (0, 1]. */
  readonly failureRatio: number;
  readonly minimumAttempts: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
}

export const BREAKER_DEFAULTS = { minimumAttempts: 10, windowMs: 60_000, cooldownMs: 30_000 } as const;

export interface BreakerChange {
  readonly at: number;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: string;
}

export class CircuitBreaker {
  private stateNow: BreakerState = 'CLOSED';
  private openedAt = 0;
  /** Outcomes in the window, oldest first: [time, failed]. */
  private outcomes: [number, boolean][] = [];
  private probing = false;
  private readonly onChange: (change: BreakerChange) => void;

  constructor(onChange: (change: BreakerChange) => void) {
    this.onChange = onChange;
  }

  get state(): BreakerState {
    return this.stateNow;
  }

  /**
   * May an attempt start now? Undefined if so (in HALF_OPEN it is the probe, and no other may
   * start until it has an outcome); otherwise when to ask again (ms on the clock), or Infinity
   * while a probe is under way.
   */
  admit(now: number, settings: BreakerSettings): number | undefined {
    if (this.stateNow === 'CLOSED') return undefined;
    if (this.stateNow === 'OPEN') {
      const until = this.openedAt + settings.cooldownMs;
      if (now < until) return until;
      this.change(now, 'HALF_OPEN', `cooldown of ${settings.cooldownMs / 1000} s over: one probe`);
    }
    if (this.probing) return Number.POSITIVE_INFINITY;
    this.probing = true;
    return undefined;
  }

  /**
   * An admitted attempt's outcome: `failed` for a retryable failure; `probe` when it was admitted
   * in HALF_OPEN (other attempts, started before the breaker opened, do not decide the probe).
   */
  record(now: number, failed: boolean, settings: BreakerSettings, probe: boolean): void {
    if (probe) {
      if (this.stateNow !== 'HALF_OPEN' || !this.probing) return;
      this.probing = false;
      if (failed) this.open(now, 'the probe failed');
      else {
        this.outcomes = [];
        this.change(now, 'CLOSED', 'the probe succeeded');
      }
      return;
    }
    if (this.stateNow !== 'CLOSED') return; // an attempt that started before the breaker opened
    this.outcomes.push([now, failed]);
    const since = now - settings.windowMs;
    let drop = 0;
    while (drop < this.outcomes.length && (this.outcomes[drop] as [number, boolean])[0] <= since) drop++;
    if (drop > 0) this.outcomes.splice(0, drop);
    const failures = this.outcomes.reduce((n, [, f]) => n + (f ? 1 : 0), 0);
    const attempts = this.outcomes.length;
    if (attempts >= settings.minimumAttempts && failures >= settings.failureRatio * attempts) {
      this.open(now, `${failures} of the last ${attempts} attempts in ${settings.windowMs / 1000} s failed`);
    }
  }

  /** An admitted attempt ended without an outcome (the process is stopping): free the probe. */
  abandon(): void {
    this.probing = false;
  }

  private open(now: number, reason: string): void {
    this.openedAt = now;
    this.outcomes = [];
    this.change(now, 'OPEN', reason);
  }

  private change(at: number, to: BreakerState, reason: string): void {
    const from = this.stateNow;
    this.stateNow = to;
    this.onChange({ at, from, to, reason });
  }
}
