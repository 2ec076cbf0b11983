// Durability under SIGKILL: concurrent SDK clients put events as fast as they can; the server is
// killed with SIGKILL mid-load (after a number of acknowledged requests, never after a fixed
// sleep), restarted on the same data directory, and every EventId acknowledged in a 200 response
// must be in the store with its envelope and its owed deliveries (one per target of the matching
// rule). Three kill/restart cycles on one data directory; the check after each covers every event
// acknowledged so far.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

import { assertNoServersLeft, openDatabase, removeDataDir, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const RULE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:rule/crash-all`;
const TARGET_IDS = ['first', 'second'];
const CLIENTS = 8;
const CYCLES = 3;
/** Kill after this many acknowledged requests in a cycle (plus a little jitter, below). */
const ACKS_BEFORE_KILL = 300;

function client(server: ServerProcess): EventBridgeClient {
  return new EventBridgeClient({
    endpoint: server.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // A request that fails at the kill is simply not acknowledged: no retries.
    maxAttempts: 1,
  });
}

interface Acked {
  readonly seq: number;
  readonly eventId: string;
}

let nextSeq = 0;

/**
 * Run CLIENTS loops of PutEvents against `server`; once ACKS_BEFORE_KILL requests were acknowledged,
 * SIGKILL the server (with a jitter of 0-3 ms, so the kill lands at varied points of a group
 * commit). Resolves when every loop stopped: each stops on its first failed request after the kill.
 */
async function loadAndKill(server: ServerProcess, acked: Acked[]): Promise<{ requests: number; failed: number }> {
  const eb = client(server);
  let ackedRequests = 0;
  let failed = 0;
  let killing: Promise<number | null> | undefined;
  const killSoon = (): void => {
    if (killing !== undefined) return;
    killing = new Promise((resolve) => {
      setTimeout(() => resolve(server.stop('SIGKILL')), Math.floor(Math.random() * 4));
    });
  };
  const loop = async (): Promise<void> => {
    while (true) {
      const size = 1 + Math.floor(Math.random() * 10);
      const seqs = Array.from({ length: size }, () => nextSeq++);
      const entries: PutEventsRequestEntry[] = seqs.map((seq) => ({
        Source: 'crash',
        DetailType: 'Sequenced',
        Detail: JSON.stringify({ seq, pad: 'x'.repeat(seq % 200) }),
      }));
      let out;
      try {
        out = await eb.send(new PutEventsCommand({ Entries: entries }));
      } catch (e) {
        // Only failures caused by the kill are expected.
        assert.ok(killing !== undefined, `PutEvents failed before the kill: ${String(e)}`);
        failed++;
        return;
      }
      assert.equal(out.FailedEntryCount, 0);
      assert.equal(out.Entries?.length, size);
      out.Entries?.forEach((r, i) => {
        assert.ok(r.EventId, `entry ${i} has no EventId`);
        acked.push({ seq: seqs[i] as number, eventId: r.EventId });
      });
      ackedRequests++;
      if (ackedRequests >= ACKS_BEFORE_KILL) killSoon();
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, loop));
  const exit = await killing;
  eb.destroy();
  assert.equal(exit, null, 'the server should have died of SIGKILL, not exited');
  assert.equal(server.process.signalCode, 'SIGKILL');
  return { requests: ackedRequests, failed };
}

/** Every acknowledged event is stored with its envelope and exactly its two owed deliveries. */
function verifyStore(dataDir: string, acked: readonly Acked[]): { stored: number } {
  const db = openDatabase(dataDir);
  try {
    const getEvent = db.prepare('SELECT id, account, region, bus, envelope FROM events WHERE id = ?');
    const deliveriesOf = db.prepare('SELECT rule_arn, target_id, target_arn, state FROM deliveries WHERE event_id = ? ORDER BY target_id');
    const missing: Acked[] = [];
    for (const a of acked) {
      const row = getEvent.get(a.eventId) as Record<string, unknown> | undefined;
      if (row === undefined) {
        missing.push(a);
        continue;
      }
      assert.equal(row.account, ACCOUNT);
      assert.equal(row.region, REGION);
      assert.equal(row.bus, 'default');
      const envelope = JSON.parse(row.envelope as string) as Record<string, unknown>;
      assert.equal(envelope.id, a.eventId);
      assert.equal(envelope.source, 'crash');
      assert.equal(envelope['detail-type'], 'Sequenced');
      assert.equal((envelope.detail as { seq: number }).seq, a.seq, `event ${a.eventId} carries the wrong sequence number`);
      const deliveries = deliveriesOf.all(a.eventId) as Record<string, unknown>[];
      assert.deepEqual(
        deliveries.map((d) => [d.rule_arn, d.target_id, d.target_arn]),
        [
          [RULE_ARN, 'first', `arn:aws:sqs:${REGION}:${ACCOUNT}:first`],
          [RULE_ARN, 'second', `arn:aws:sqs:${REGION}:${ACCOUNT}:second`],
        ],
        `event ${a.eventId} (seq ${a.seq}) does not have its 2 owed deliveries`,
      );
    }
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged event(s) lost`);
    const stored = (db.prepare("SELECT count(*) AS n FROM events WHERE bus = 'default'").get() as { n: number }).n;
    // Committed but not acknowledged (in flight at the kill) may be there too; never fewer.
    assert.ok(stored >= acked.length, `${stored} events stored, ${acked.length} acknowledged`);
    return { stored };
  } finally {
    db.close();
  }
}

after(() => assertNoServersLeft());

test('every event acknowledged before a SIGKILL survives it, with its owed deliveries', async (t) => {
  let server = await startServer();
  const dataDir = server.dataDir;
  t.after(async () => {
    await server.stop('SIGKILL');
    removeDataDir(dataDir);
  });

  const setup = client(server);
  await setup.send(new PutRuleCommand({ Name: 'crash-all', EventPattern: JSON.stringify({ source: ['crash'] }) }));
  const targets = await setup.send(
    new PutTargetsCommand({
      Rule: 'crash-all',
      Targets: TARGET_IDS.map((Id) => ({ Id, Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${Id}` })),
    }),
  );
  assert.equal(targets.FailedEntryCount, 0);
  setup.destroy();

  const acked: Acked[] = [];
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const before = acked.length;
    const { requests, failed } = await loadAndKill(server, acked);
    server = await startServer({ dataDir });
    // The restarted server has the database open (WAL): reading it beside it is safe.
    const { stored } = verifyStore(dataDir, acked);
    t.diagnostic(
      `cycle ${cycle}: ${requests} requests acknowledged (${acked.length - before} events), ${failed} failed at the kill; ` +
        `${acked.length} acknowledged events verified so far, ${stored} stored`,
    );

    // The restarted server answers PutEvents normally, and rules survived the restart.
    const eb = client(server);
    const seq = nextSeq++;
    const out = await eb.send(
      new PutEventsCommand({ Entries: [{ Source: 'crash', DetailType: 'Sequenced', Detail: JSON.stringify({ seq }) }] }),
    );
    eb.destroy();
    assert.equal(out.FailedEntryCount, 0);
    const eventId = out.Entries?.[0]?.EventId;
    assert.ok(eventId);
    acked.push({ seq, eventId });
    verifyStore(dataDir, acked);
  }

  assert.equal(await server.stop('SIGTERM'), 0);
  verifyStore(dataDir, acked);
  t.diagnostic(`total: ${acked.length} acknowledged events verified after ${CYCLES} SIGKILLs`);
});
