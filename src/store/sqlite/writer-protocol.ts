/**
 * The messages between the store and its event writer (event-writer.ts), which runs in a worker
 * thread: kept apart so the parent can import them without starting a writer.
 *
 * A batch crosses threads as bytes in an ArrayBuffer that is transferred, not copied: a structured
 * clone of the same events as strings cost the main thread about 2 us per event (most of it
 * flattening and copying the envelope texts), writing them as UTF-8 into one buffer a fraction of
 * that, and the writer thread, which has time to spare, decodes them. The (account, region, bus)
 * triples are sent once per batch, as strings, and each owed delivery is the number of its
 * destination (numbered by the parent). Layout, little-endian:
 *
 *   per event:  text id | u32 scope | f64 ingestedAt | text envelope | text traceHeader or u32 NONE
 *               | text via (JSON) or u32 NONE | text forwardedFrom (JSON) or u32 NONE
 *               | u32 deliveryCount | deliveryCount x u32 destination
 *   text:       u32 byte length, then that many bytes of UTF-8
 */
import type { AcceptedEvent, ForwardedFrom, OwedDelivery } from '../../domain/model.js';

export interface WriteRequest {
  readonly seq: number;
  /** account, region, bus of each scope, in turn; an event's scope is its index here. */
  readonly scopes: readonly string[];
  readonly bytes: ArrayBuffer;
  /** Bytes of `bytes` in use. */
  readonly length: number;
  /**
   * Bus targets' forwards (bus-target.ts): attempts[k] is the attempt that forwarded event k of
   * the batch, recorded in the same transaction. A forward whose delivery is no longer pending
   * (it was made before a crash) writes neither, so each is made once.
   */
  readonly attempts?: readonly AttemptRow[];
}

/**
 * Delivery attempts to record (SqliteStore.recordAttempts), committed by the writer too: one
 * writer connection, so they never wait on the event commits' lock. Each row:
 * [event rowid, destination, attempt number, startedAt, latencyMs, outcome, status, error,
 *  next state (owed.state), due_at, last_error].
 */
export interface AttemptsRequest {
  readonly seq: number;
  readonly attempts: readonly AttemptRow[];
}

export type AttemptRow = readonly [
  number,
  number,
  number,
  number,
  number,
  string,
  number | null,
  string | null,
  number,
  number | null,
  string | null,
];

export interface WriteReply {
  readonly seq: number;
  readonly error?: string;
}

/** An absent text (a traceHeader or via not given). */
const NONE = 0xffffffff;

/** One event of a batch, as the writer reads it back. */
export interface EncodedEvent {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly bus: string;
  readonly ingestedAt: number;
  readonly envelope: string;
  readonly traceHeader: string | null;
  /** StoredEvent.via as JSON, null when absent. */
  readonly via: string | null;
  /** StoredEvent.forwardedFrom, null when absent. */
  readonly forwardedFrom: ForwardedFrom | null;
  readonly destinations: readonly number[];
}

/** Most bytes a string can take as UTF-8, with its length prefix. */
function textBound(s: string): number {
  return 4 + 3 * s.length;
}

export function encodeBatch(seq: number, batch: readonly AcceptedEvent[], destination: (d: OwedDelivery) => number): WriteRequest {
  let bound = 0;
  const vias = batch.map(({ event: e }) => (e.via === undefined ? undefined : JSON.stringify(e.via)));
  const froms = batch.map(({ event: e }) => (e.forwardedFrom === undefined ? undefined : JSON.stringify(e.forwardedFrom)));
  batch.forEach(({ event: e, deliveries }, k) => {
    bound +=
      textBound(e.id) + 4 + 8 + textBound(e.envelope) + textBound(e.traceHeader ?? '') + textBound(vias[k] ?? '') + textBound(froms[k] ?? '') + 4 + 4 * deliveries.length;
  });
  const buf = Buffer.allocUnsafeSlow(bound);
  let at = 0;
  const text = (s: string): void => {
    const n = buf.write(s, at + 4, 'utf8');
    buf.writeUInt32LE(n, at);
    at += 4 + n;
  };
  const scopes: string[] = [];
  let scope = -1;
  batch.forEach(({ event: e, deliveries }, k) => {
    if (scope < 0 || scopes[scope] !== e.account || scopes[scope + 1] !== e.region || scopes[scope + 2] !== e.eventBusName) {
      scope = findScope(scopes, e.account, e.region, e.eventBusName);
    }
    text(e.id);
    at = buf.writeUInt32LE(scope / 3, at);
    at = buf.writeDoubleLE(e.ingestedAt, at);
    text(e.envelope);
    if (e.traceHeader === undefined) at = buf.writeUInt32LE(NONE, at);
    else text(e.traceHeader);
    const via = vias[k];
    if (via === undefined) at = buf.writeUInt32LE(NONE, at);
    else text(via);
    const from = froms[k];
    if (from === undefined) at = buf.writeUInt32LE(NONE, at);
    else text(from);
    at = buf.writeUInt32LE(deliveries.length, at);
    for (const d of deliveries) at = buf.writeUInt32LE(destination(d), at);
  });
  return { seq, scopes, bytes: buf.buffer, length: at };
}

/** The offset of a scope in `scopes`, appended when new (batches hold few distinct buses). */
function findScope(scopes: string[], account: string, region: string, bus: string): number {
  for (let i = 0; i < scopes.length; i += 3) {
    if (scopes[i] === account && scopes[i + 1] === region && scopes[i + 2] === bus) return i;
  }
  scopes.push(account, region, bus);
  return scopes.length - 3;
}

export function decodeBatch(request: WriteRequest): EncodedEvent[] {
  const buf = Buffer.from(request.bytes, 0, request.length);
  const { scopes } = request;
  const events: EncodedEvent[] = [];
  let at = 0;
  const text = (): string => {
    const n = buf.readUInt32LE(at);
    at += 4 + n;
    return buf.toString('utf8', at - n, at);
  };
  while (at < buf.length) {
    const id = text();
    const scope = 3 * buf.readUInt32LE(at);
    const ingestedAt = buf.readDoubleLE(at + 4);
    at += 12;
    const envelope = text();
    let traceHeader: string | null = null;
    if (buf.readUInt32LE(at) === NONE) at += 4;
    else traceHeader = text();
    let via: string | null = null;
    if (buf.readUInt32LE(at) === NONE) at += 4;
    else via = text();
    let forwardedFrom: ForwardedFrom | null = null;
    if (buf.readUInt32LE(at) === NONE) at += 4;
    else forwardedFrom = JSON.parse(text()) as ForwardedFrom;
    const count = buf.readUInt32LE(at);
    at += 4;
    const destinations: number[] = [];
    for (let k = 0; k < count; k++, at += 4) destinations.push(buf.readUInt32LE(at));
    events.push({
      id,
      account: scopes[scope] as string,
      region: scopes[scope + 1] as string,
      bus: scopes[scope + 2] as string,
      ingestedAt,
      envelope,
      traceHeader,
      via,
      forwardedFrom,
      destinations,
    });
  }
  return events;
}
