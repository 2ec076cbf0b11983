/**
 * The event writer: a worker thread that owns the SQLite connection PutEvents commits through.
 *
 * better-sqlite3 is synchronous, so a commit (inserts, fsync, WAL checkpoints) blocks the thread
 * that runs it. Running it here lets the main thread go on reading and matching requests while a
 * group commit is being synced; group commit (src/ingest) gathers the requests that arrive
 * meanwhile into the next batch.
 *
 * Protocol (writer-protocol.ts): the parent posts { seq, scopes, bytes, length, attempts? }, a
 * batch encoded as bytes (transferred) with each owed delivery already numbered (and, for a bus
 * target's forward, the attempt that forwarded it), or { seq, attempts }, delivery attempts to
 * record with their deliveries' next states; the worker answers
 * { seq, error? } once the batch is committed (synced) or has failed (rolled back, nothing of it
 * kept).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection } from './connection.js';
import { decodeBatch } from './writer-protocol.js';
import type { AttemptRow, AttemptsRequest, EncodedEvent, WriteReply, WriteRequest } from './writer-protocol.js';

const db = new Database((workerData as { file: string }).file);
configureConnection(db);
/** The events columns a batch fills, in order. */
const EVENT_COLUMNS = 'id, account, region, bus, ingested_at, envelope, trace_header, via, forwarded_from, forwarded_rule, forwarded_target';
const EVENT_ROW = `(${EVENT_COLUMNS.split(', ').map(() => '?').join(', ')})`;
/** EVENT_COLUMNS */
const insertEvent = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ${EVENT_ROW}`);
/** event (rowid), destination */
const insertOwed = db.prepare('INSERT INTO owed (event, destination) VALUES (?, ?)');
/** Owed rows go in statements of OWED_CHUNK rows: one call into SQLite instead of many. */
const OWED_CHUNK = 64;
/** (event, destination) x OWED_CHUNK */
const insertOwedChunk = db.prepare(
  `INSERT INTO owed (event, destination) VALUES ${Array.from({ length: OWED_CHUNK }, () => '(?, ?)').join(', ')}`,
);
/** Events go in statements of EVENT_CHUNK rows where the batch allows. */
const EVENT_CHUNK = 16;
/** EVENT_COLUMNS x EVENT_CHUNK */
const insertEventChunk = db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ${Array.from({ length: EVENT_CHUNK }, () => EVENT_ROW).join(', ')}`);

const append = db.transaction((events: readonly EncodedEvent[]) => {
  const params = (e: EncodedEvent): unknown[] => [
    e.id,
    e.account,
    e.region,
    e.bus,
    e.ingestedAt,
    e.envelope,
    e.traceHeader,
    e.via,
    e.forwardedFrom?.eventId ?? null,
    e.forwardedFrom?.ruleArn ?? null,
    e.forwardedFrom?.targetId ?? null,
  ];
  // Insert the events, EVENT_CHUNK at a time where possible. Rows inserted by one statement get
  // consecutive rowids ending at lastInsertRowid, so each event's rowid is known.
  const rowids: number[] = [];
  let e = 0;
  for (; e + EVENT_CHUNK <= events.length; e += EVENT_CHUNK) {
    const last = Number(insertEventChunk.run(events.slice(e, e + EVENT_CHUNK).flatMap(params)).lastInsertRowid);
    for (let k = EVENT_CHUNK - 1; k >= 0; k--) rowids.push(last - k);
  }
  for (; e < events.length; e++) rowids.push(Number(insertEvent.run(params(events[e] as EncodedEvent)).lastInsertRowid));
  const owed: number[] = [];
  events.forEach((event, k) => {
    for (const destination of event.destinations) owed.push(rowids[k] as number, destination);
  });
  const whole = owed.length - (owed.length % (2 * OWED_CHUNK));
  for (let k = 0; k < whole; k += 2 * OWED_CHUNK) insertOwedChunk.run(owed.slice(k, k + 2 * OWED_CHUNK));
  for (let k = whole; k < owed.length; k += 2) insertOwed.run(owed[k], owed[k + 1]);
});

/** event, destination, number, started_at, latency_ms, outcome, status, error */
const insertAttempt = db.prepare(
  'INSERT OR REPLACE INTO attempts (event, destination, number, started_at, latency_ms, outcome, status, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
/** state, due_at, last_error, event, destination (only while pending: a delivery ends once) */
const setState = db.prepare('UPDATE owed SET state = ?, attempts = attempts + 1, due_at = ?, last_error = ? WHERE event = ? AND destination = ? AND state = 0');

const record = db.transaction((rows: readonly AttemptRow[]) => {
  for (const [event, destination, number, startedAt, latencyMs, outcome, status, error, state, dueAt, lastError] of rows) {
    insertAttempt.run(event, destination, number, startedAt, latencyMs, outcome, status, error);
    setState.run(state, dueAt, lastError, event, destination);
  }
});

/** event, destination: 1 while the delivery is pending */
const isPending = db.prepare('SELECT 1 FROM owed WHERE event = ? AND destination = ? AND state = 0').pluck();

/**
 * Bus targets' forwards, in one transaction: rows[k] is the attempt that forwarded events[k].
 * Each forward is written (its attempt, its event) only if its delivery is still pending: one
 * already made (before a crash, say) writes nothing, so each is made once.
 */
const forward = db.transaction((rows: readonly AttemptRow[], events: readonly EncodedEvent[]) => {
  if (rows.length !== events.length) throw new Error(`${rows.length} forward attempts for ${events.length} events`);
  const pending = rows.map(([event, destination]) => isPending.get(event, destination) !== undefined);
  record(rows.filter((_, k) => pending[k]));
  append(events.filter((_, k) => pending[k]));
});

parentPort?.on('message', (msg: WriteRequest | AttemptsRequest | 'close') => {
  if (msg === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: WriteReply;
  try {
    if (!('bytes' in msg)) record(msg.attempts);
    else if (msg.attempts !== undefined) forward(msg.attempts, decodeBatch(msg));
    else append(decodeBatch(msg));
    reply = { seq: msg.seq };
  } catch (e) {
    reply = { seq: msg.seq, error: (e as Error).message };
  }
  parentPort?.postMessage(reply);
});
