/**
 * The checkpointer: a worker thread that copies the write-ahead log back into the database file
 * every CHECKPOINT_INTERVAL_MS, on a connection of its own.
 *
 * SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, which made
 * one PutEvents commit in a hundred ten times slower than the others. With automatic checkpoints
 * off (connection.ts) and PASSIVE checkpoints here, commits never wait for one: a passive
 * checkpoint copies what it can without blocking the writer or readers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection } from './connection.js';

export const CHECKPOINT_INTERVAL_MS = 200;

const db = new Database((workerData as { file: string }).file);
configureConnection(db);
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), CHECKPOINT_INTERVAL_MS);

parentPort?.on('message', (msg: 'close') => {
  if (msg !== 'close') return;
  clearInterval(timer);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  parentPort?.close();
});
