/**
 * The messages between the store and its event writer (event-writer.ts), which runs in a worker
 * thread: kept apart so the parent can import them without starting a writer.
 */
import type { AcceptedEvent } from '../../domain/model.js';

export interface WriteRequest {
  readonly seq: number;
  readonly batch: FlatBatch;
}

export type FlatBatch = (string | number | null)[];

export function flatten(batch: readonly AcceptedEvent[]): FlatBatch {
  const out: FlatBatch = [];
  for (const { event: e, deliveries } of batch) {
    out.push(e.id, e.account, e.region, e.eventBusName, e.ingestedAt, e.envelope, e.traceHeader ?? null, deliveries.length);
    for (const d of deliveries) out.push(d.ruleArn, d.targetId, d.targetArn);
  }
  return out;
}

export interface WriteReply {
  readonly seq: number;
  readonly error?: string;
}

