/**
 * The event writer: a worker thread that owns the SQLite connection PutEvents commits through.
 *
 * better-sqlite3 is synchronous, so a commit (inserts, fsync, WAL checkpoints) blocks the thread
 * that runs it. Running it here lets the main thread go on reading and matching requests while a
 * group commit is being synced; group commit (src/ingest) gathers the requests that arrive
 * meanwhile into the next batch.
 *
 * Protocol: the parent posts { seq, batch } with the batch flattened to one array of strings and
 * numbers (cheaper to copy between threads than objects); the worker answers { seq, error? } once
 * the batch is committed (synced) or has failed (rolled back, nothing of it kept).
 *
 *   batch = [ per event: id, account, region, bus, ingestedAt, envelope, traceHeader | null,
 *             deliveryCount, then per delivery: ruleArn, targetId, targetArn ]
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection } from './connection.js';
import type { FlatBatch, WriteReply, WriteRequest } from './writer-protocol.js';

const db = new Database((workerData as { file: string }).file);
configureConnection(db);
/** id, account, region, bus, ingested_at, envelope, trace_header */
const insertEvent = db.prepare(
  'INSERT INTO events (id, account, region, bus, ingested_at, envelope, trace_header) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
/** event (rowid), destination */
const insertOwed = db.prepare('INSERT INTO owed (event, destination) VALUES (?, ?)');
/** Owed rows go in statements of OWED_CHUNK rows: one call into SQLite instead of many. */
const OWED_CHUNK = 64;
/** (event, destination) x OWED_CHUNK */
const insertOwedChunk = db.prepare(
  `INSERT INTO owed (event, destination) VALUES ${Array.from({ length: OWED_CHUNK }, () => '(?, ?)').join(', ')}`,
);
/** rule_arn, target_id, target_arn */
const insertDestination = db.prepare(
  'INSERT OR IGNORE INTO destinations (rule_arn, target_id, target_arn) VALUES (?, ?, ?)',
);
/** rule_arn, target_id, target_arn */
const findDestination = db.prepare('SELECT id FROM destinations WHERE rule_arn = ? AND target_id = ? AND target_arn = ?');

/** Destination numbers already known, by "ruleArn \0 targetId \0 targetArn". */
const destinations = new Map<string, number>();

function destinationOf(ruleArn: string, targetId: string, targetArn: string): number {
  const key = `${ruleArn}\u0000${targetId}\u0000${targetArn}`;
  let id = destinations.get(key);
  if (id === undefined) {
    insertDestination.run(ruleArn, targetId, targetArn);
    id = (findDestination.get(ruleArn, targetId, targetArn) as { id: number }).id;
    destinations.set(key, id);
  }
  return id;
}

/** Events go in statements of EVENT_CHUNK rows where the batch allows. */
const EVENT_CHUNK = 16;
/** (id, account, region, bus, ingested_at, envelope, trace_header) x EVENT_CHUNK */
const insertEventChunk = db.prepare(
  `INSERT INTO events (id, account, region, bus, ingested_at, envelope, trace_header) VALUES ${Array.from(
    { length: EVENT_CHUNK },
    () => '(?, ?, ?, ?, ?, ?, ?)',
  ).join(', ')}`,
);

const append = db.transaction((b: FlatBatch) => {
  // First pass: where each event's fields start in the flat batch.
  const starts: number[] = [];
  for (let i = 0; i < b.length; i += 8 + 3 * (b[i + 7] as number)) starts.push(i);
  // Insert the events, EVENT_CHUNK at a time where possible. Rows inserted by one statement get
  // consecutive rowids ending at lastInsertRowid, so each event's rowid is known.
  const rowids: number[] = [];
  let e = 0;
  for (; e + EVENT_CHUNK <= starts.length; e += EVENT_CHUNK) {
    const params: unknown[] = [];
    for (let k = e; k < e + EVENT_CHUNK; k++) {
      const i = starts[k] as number;
      params.push(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6]);
    }
    const last = Number(insertEventChunk.run(params).lastInsertRowid);
    for (let k = EVENT_CHUNK - 1; k >= 0; k--) rowids.push(last - k);
  }
  for (; e < starts.length; e++) {
    const i = starts[e] as number;
    rowids.push(Number(insertEvent.run(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6]).lastInsertRowid));
  }
  const owed: number[] = [];
  starts.forEach((start, k) => {
    const deliveries = b[start + 7] as number;
    for (let d = 0, i = start + 8; d < deliveries; d++, i += 3) {
      owed.push(rowids[k] as number, destinationOf(b[i] as string, b[i + 1] as string, b[i + 2] as string));
    }
  });
  const whole = owed.length - (owed.length % (2 * OWED_CHUNK));
  for (let k = 0; k < whole; k += 2 * OWED_CHUNK) insertOwedChunk.run(owed.slice(k, k + 2 * OWED_CHUNK));
  for (let k = whole; k < owed.length; k += 2) insertOwed.run(owed[k], owed[k + 1]);
});

parentPort?.on('message', (msg: WriteRequest | 'close') => {
  if (msg === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: WriteReply;
  try {
    append(msg.batch);
    reply = { seq: msg.seq };
  } catch (e) {
    // Destinations numbered inside the failed transaction were rolled back with it.
    destinations.clear();
    reply = { seq: msg.seq, error: (e as Error).message };
  }
  parentPort?.postMessage(reply);
});
