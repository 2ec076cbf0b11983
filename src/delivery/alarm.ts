/**
 * One timer for the soonest of the times asked for, on a clock that may be injected (the
 * dispatcher's next retry, a lane's gate reopening). `at(t)` arms it for t unless it is already
 * armed for t or sooner; when it fires it is disarmed, then calls `fire`. It does not keep the
 * process alive.
 */
export class Alarm {
  private readonly now: () => number;
  private readonly fire: () => void;
  private readonly minDelayMs: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(now: () => number, fire: () => void, minDelayMs = 0) {
    this.now = now;
    this.fire = fire;
    this.minDelayMs = minDelayMs;
  }

  at(time: number): void {
    if (time >= this.armedFor) return;
    this.clear();
    this.armedFor = time;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.armedFor = Number.POSITIVE_INFINITY;
      this.fire();
    }, Math.max(this.minDelayMs, time - this.now()));
    this.timer.unref();
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
  }
}
