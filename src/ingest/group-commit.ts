/**
 * Group commit: many concurrent PutEvents requests share one durable store commit.
 *
 * `commit(items)` queues items and resolves once a store transaction holding them has been
 * committed (and synced). At most `maxInFlight` flushes are under way (the writer commits them in
 * turn, so while one is being synced the next is already queued); items queued meanwhile go into
 * the next flush, so under load each fsync serves every request that arrived during the previous
 * one, and with a single client there is no added wait (a flush starts on the next turn of the
 * event loop).
 *
 *   request A --commit--> [A]            --flush(A)-----> resolve A
 *   request B --commit-->    [B, C] (wait) ------------> flush(B, C) --> resolve B, C
 *   request C --commit-->
 */
export class GroupCommit<T> {
  private readonly write: (items: readonly T[]) => Promise<void>;
  /** Flushes that may be under way at once; the writer runs them one after the other. */
  private readonly maxInFlight: number;
  private queue: { items: readonly T[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(write: (items: readonly T[]) => Promise<void>, maxInFlight = 2) {
    this.write = write;
    this.maxInFlight = maxInFlight;
  }

  commit(items: readonly T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight >= this.maxInFlight || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.inFlight++;
    try {
      await this.write(batch.flatMap((b) => b.items));
      for (const b of batch) b.resolve();
    } catch (e) {
      for (const b of batch) b.reject(e);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
