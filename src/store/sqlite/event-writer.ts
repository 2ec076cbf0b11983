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

const append = db.transaction((b: FlatBatch) => {
  for (let i = 0; i < b.length; ) {
    const row = insertEvent.run(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6]);
    const deliveries = b[i + 7] as number;
    i += 8;
    for (let d = 0; d < deliveries; d++, i += 3) {
      insertOwed.run(row.lastInsertRowid, destinationOf(b[i] as string, b[i + 1] as string, b[i + 2] as string));
    }
  }
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
