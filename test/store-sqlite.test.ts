// The SQLite adapter: the store contract (test/store/contract.ts) on a fresh data directory per
// test, then what only SQLite has: the data directory, its migrations, its pragmas, and the errors
// it raises when the directory cannot be used. Every data directory made here is tracked, and a
// file-level `after` fails the run if one is left behind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';

import Database from 'better-sqlite3';

import { busArn, ruleArn } from '../src/domain/arn.js';
import type { EventBus, Rule, StoredEvent } from '../src/domain/model.js';
import { MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { DATABASE_FILE, openSqliteStore, StoreOpenError } from '../src/store/sqlite/sqlite-store.js';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { storeContract } from './store/contract.js';

const dirs = new Set<string>();

/** A new empty directory; with a test context, removed when that test ends, pass or fail. */
function freshDir(t?: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-store-'));
  dirs.add(dir);
  t?.after(() => removeDir(dir));
  return dir;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

after(() => {
  const left = [...dirs];
  for (const dir of left) removeDir(dir);
  assert.deepEqual(left, [], 'data directories left behind');
});

storeContract('sqlite', async () => {
  const dir = freshDir();
  const store = openSqliteStore(dir);
  return {
    store,
    async cleanup() {
      await store.close();
      removeDir(dir);
    },
  };
});

/**
 * The adapter's own connection. The port rightly hides it, but synchronous is a per-connection
 * setting that a second connection cannot observe, so this reads the adapter's private field.
 */
function connectionOf(store: SqliteStore): Database.Database {
  const db = (store as unknown as { db?: unknown }).db;
  assert.ok(db instanceof Database, 'SqliteStore no longer keeps its connection in `db`; update connectionOf');
  return db;
}

/** What the file says about itself, read through a separate read-only connection. */
function inspect(dir: string): { version: number; schema: unknown[] } {
  const db = new Database(join(dir, DATABASE_FILE), { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      schema: db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all(),
    };
  } finally {
    db.close();
  }
}

/** Assert that opening `dir` throws a StoreOpenError whose message names the directory. */
function assertOpenRefused(dir: string, detail?: RegExp): void {
  assert.throws(
    () => void openSqliteStore(dir).close(),
    (e: unknown) => {
      assert.ok(e instanceof StoreOpenError, `expected StoreOpenError, got ${String(e)}`);
      assert.ok(e.message.includes(dir), `message should name ${dir}: ${e.message}`);
      if (detail !== undefined) assert.match(e.message, detail);
      return true;
    },
  );
}

describe('sqlite store', () => {
  const scope = { account: '111111111111', region: 'us-east-1' };
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

  it('reopens a data directory with its data and without re-running migrations', async (t) => {
    const dir = freshDir(t);
    const bus: EventBus = { ...scope, name: 'orders', arn: busArn(scope, 'orders'), createdAt: 1, modifiedAt: 2 };
    const rule: Rule = {
      ...scope,
      eventBusName: 'orders',
      name: 'r',
      arn: ruleArn(scope, 'orders', 'r'),
      state: 'ENABLED',
      createdBy: scope.account,
      createdAt: 1,
    };
    const event: StoredEvent = { ...scope, id: 'e1', eventBusName: 'orders', envelope: '{}', ingestedAt: 3, traceHeader: 'Root=1' };
    const delivery = { eventId: 'e1', ruleArn: rule.arn, targetId: 't', targetArn: 'arn:aws:sqs:us-east-1:111111111111:q' };

    const first = openSqliteStore(dir);
    await first.insertBus(bus);
    await first.putRule(rule);
    await first.putTargets(rule.arn, [{ Id: 't', Arn: delivery.targetArn }]);
    await first.putTags(bus.arn, [{ Key: 'k', Value: 'v' }]);
    await first.appendEvents([{ event, deliveries: [delivery] }]);
    await first.addToCounter(scope, 'dropped', 4);
    await first.close();
    const before = inspect(dir);
    assert.equal(before.version, latest);

    // Re-running migration 1 would fail here ("table buses already exists").
    const second = openSqliteStore(dir);
    try {
      assert.deepEqual(await second.getBus(scope, 'orders'), bus);
      assert.deepEqual(await second.allRules(), [rule]);
      assert.deepEqual(await second.listTargets(rule.arn), [{ Id: 't', Arn: delivery.targetArn }]);
      assert.deepEqual(await second.getTags(bus.arn), [{ Key: 'k', Value: 'v' }]);
      assert.deepEqual(await second.getEvent('e1'), event);
      assert.deepEqual(await second.deliveriesOf('e1'), [delivery]);
      assert.equal(await second.getCounter(scope, 'dropped'), 4);
    } finally {
      await second.close();
    }
    assert.deepEqual(inspect(dir), before, 'user_version and schema unchanged by reopening');
  });

  it('creates a missing data directory, parents included', async (t) => {
    const dir = freshDir(t);
    const store = openSqliteStore(join(dir, 'a', 'b'));
    await store.close();
    assert.equal(inspect(join(dir, 'a', 'b')).version, latest);
  });

  it('runs in WAL mode with synchronous=FULL', async (t) => {
    const dir = freshDir(t);
    const store = openSqliteStore(dir);
    try {
      const db = connectionOf(store);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      // 2 is FULL; this build's default in WAL mode would be 1 (NORMAL).
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
    } finally {
      await store.close();
    }
  });

  it('closes its connection on close', async (t) => {
    const dir = freshDir(t);
    const store = openSqliteStore(dir);
    const db = connectionOf(store);
    await store.close();
    assert.equal(db.open, false);
  });

  describe('refuses a data directory it cannot use, with StoreOpenError', () => {
    it('a path under a regular file', (t) => {
      const dir = freshDir(t);
      writeFileSync(join(dir, 'file'), '');
      assertOpenRefused(join(dir, 'file', 'data'), /not a directory/i);
    });

    it('a database file that is not a database', (t) => {
      const dir = freshDir(t);
      writeFileSync(join(dir, DATABASE_FILE), 'not a database '.repeat(512));
      assertOpenRefused(dir, /not a database/i);
    });

    it('a database written by a newer schema than this build knows', (t) => {
      const dir = freshDir(t);
      const db = new Database(join(dir, DATABASE_FILE));
      db.pragma(`user_version = ${latest + 1}`);
      db.close();
      assertOpenRefused(dir, new RegExp(String(latest + 1)));
    });

    it('a database the migrations cannot be applied to', (t) => {
      const dir = freshDir(t);
      const db = new Database(join(dir, DATABASE_FILE));
      db.exec('CREATE TABLE buses (unrelated TEXT)'); // someone else's database, user_version 0
      db.close();
      assertOpenRefused(dir);
    });
  });
});
