/**
 * Group commit on the store's main connection: writes made in the same turn of the event loop
 * share one synced transaction (as PutEvents' events do on the writer thread, src/ingest).
 *
 * `run(work)` queues `work` (synchronous, better-sqlite3) and resolves with its result once the
 * transaction that ran it has committed. Each work runs in a savepoint of its own, so one that
 * throws undoes only itself and rejects only its caller; a commit that fails rejects them all
 * (nothing of the batch is kept). Under load, N concurrent SQS calls cost one fsync, not N; with
 * one client there is no wait beyond one setImmediate.
 */
import type Database from 'better-sqlite3';

interface Queued {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class SharedCommit {
  private readonly db: Database.Database;
  private queue: Queued[] = [];
  private scheduled = false;

  constructor(db: Database.Database) {
    this.db = db;
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db.transaction(() => {
        for (const q of batch) {
          try {
            outcomes.push({ ok: true, value: this.db.transaction(q.work)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      for (const q of batch) q.reject(error);
      return;
    }
    batch.forEach((q, k) => {
      const o = outcomes[k] as (typeof outcomes)[number];
      if (o.ok) q.resolve(o.value);
      else q.reject(o.error);
    });
  }
}
