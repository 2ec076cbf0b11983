// Group commit on the store's main connection (src/store/sqlite/shared-commit.ts), on a real
// SQLite database: the writes of one turn share one transaction, each in its own savepoint, so
// one that throws undoes only itself; what resolves is committed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { SharedCommit } from '../src/store/sqlite/shared-commit.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-shared-commit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string): Database.Database {
  const db = new Database(join(dir, name));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  return db;
}

describe('SharedCommit', () => {
  it('runs the writes of one turn in one transaction, each answered with its own result', async () => {
    const db = open('one.db');
    const reader = new Database(join(dir, 'one.db'), { readonly: true });
    const commits = new SharedCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    const committedRows = (): number => reader.prepare('SELECT count(*) FROM t').pluck().get() as number;
    /** Rows another connection saw committed when each write ran. */
    const seen: number[] = [];
    const results = await Promise.all(
      [1, 2, 3].map((k) =>
        commits.run(() => {
          seen.push(committedRows());
          return insert.run(k, `v${k}`).changes;
        }),
      ),
    );
    assert.deepEqual(results, [1, 1, 1]);
    assert.deepEqual(seen, [0, 0, 0], 'nothing committed until the batch is: one transaction');
    assert.equal(committedRows(), 3);
    reader.close();
    db.close();
  });

  it('a write that throws undoes only itself and rejects only its caller', async () => {
    const db = open('two.db');
    const commits = new SharedCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    const outcomes = await Promise.allSettled([
      commits.run(() => insert.run(1, 'a').changes),
      commits.run(() => {
        insert.run(2, 'kept?');
        insert.run(1, 'duplicate key'); // throws: its savepoint, with key 2, is rolled back
      }),
      commits.run(() => insert.run(3, 'c').changes),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.deepEqual(db.prepare('SELECT k FROM t ORDER BY k').pluck().all(), [1, 3]);
    db.close();
  });

  it('a commit that fails rejects every write of the batch, and keeps none', async () => {
    const db = open('three.db');
    const commits = new SharedCommit(db);
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    // A deferred foreign key violation fails the commit itself, after every write ran.
    db.exec('PRAGMA foreign_keys = ON; CREATE TABLE child (p INTEGER REFERENCES t (k) DEFERRABLE INITIALLY DEFERRED)');
    const child = db.prepare('INSERT INTO child (p) VALUES (?)');
    const outcomes = await Promise.allSettled([commits.run(() => insert.run(1, 'a')), commits.run(() => child.run(99))]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 0);
    db.close();
  });
});
