/**
 * The parent side of the event writer (event-writer.ts): starts its worker thread on the
 * database file and posts it requests (writer-protocol.ts), each answered by sequence number once
 * committed or failed. Owns nothing else: sqlite-store.ts numbers destinations and turns delivery
 * attempts into rows (delivery-store.ts `attemptRow`) before they come here.
 */
import { Worker } from 'node:worker_threads';
import type { AcceptedEvent, OwedDelivery } from '../../domain/model.js';
import { encodeBatch } from './writer-protocol.js';
import type { AttemptRow, AttemptsRequest, WriteReply, WriteRequest } from './writer-protocol.js';

/** The parent side of event-writer.ts: one batch in flight at a time per caller, answered in order. */
export class EventWriter {
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
