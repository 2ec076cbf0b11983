/**
 * Settings every SQLite connection of the store uses (the main one and the event writer's).
 */
import type Database from 'better-sqlite3';

export function configureConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  // Commits are synced before they return: an acknowledged event survives a power loss.
  db.pragma('synchronous = FULL');
  // Two connections write (resources here, events in the writer): wait for each other.
  db.pragma('busy_timeout = 10000');
  db.pragma('cache_size = -65536'); // 64 MiB of page cache
  // Checkpoints run on their own thread (checkpointer.ts), never inside a commit.
  db.pragma('wal_autocheckpoint = 0');
  // Names are case-sensitive keys; SQLite's LIKE folds ASCII case unless told not to.
  db.pragma('case_sensitive_like = ON');
}
