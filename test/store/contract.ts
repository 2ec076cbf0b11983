/**
 * The store contract: what every adapter of the Store port (src/store/port.ts) must do, checked
 * through the port alone with domain-level assertions. An adapter's test file calls
 * `storeContract(name, open)` once; `open` returns a fresh, empty store (its own directory,
 * database or schema) and a `cleanup` that closes and removes it. Every test opens its own store,
 * so no test sees another's data and the tests may run in any order.
 *
 * What the contract pins down beyond the port's doc comments, because the API depends on it and
 * two databases would otherwise differ:
 *   - Names, ids and tag keys sort by code point ('B' < '_' < 'a'), not by a locale collation.
 *   - A name prefix is a literal, case-sensitive prefix: '%', '_' and '\' are plain characters.
 *   - Text comes back exactly as it went in: an event's envelope is not re-serialised, and
 *     optional fields that were absent come back absent (not as `undefined` or null).
 *
 * An adapter that cannot do something declares it as a capability flag (below) instead of
 * failing; the tests the flag covers are skipped with the flag's reason as the skip message.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { busArn, ruleArn } from '../../src/domain/arn.js';
import { apiDestinationArn, connectionArn } from '../../src/domain/connections.js';
import type { ApiDestination, Connection } from '../../src/domain/connections.js';
import type { AcceptedEvent, DeliveryAttempt, EventBus, OwedDelivery, PendingDelivery, Rule, Scope, StoredEvent, Target } from '../../src/domain/model.js';
import type { Page, Store } from '../../src/store/port.js';

/**
 * Gaps an adapter may declare, pg-boss style: each flag is optional, is set to the reason the gap
 * exists (printed as the skip message), and carries a doc comment saying why and what it skips.
 * There are none today: the SQLite adapter is meant to pass every check, and so is PostgreSQL.
 * To add one, widen this type to an interface with the flag and pass it as the third argument of
 * `check` in the tests it turns off.
 */
export type StoreCapabilities = Readonly<Partial<Record<never, string>>>;

export interface OpenedStore {
  readonly store: Store;
  cleanup(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Two regions of one account, and a second account: every scope must be its own world. */
const A: Scope = { account: '111111111111', region: 'us-east-1' };
const B: Scope = { account: '111111111111', region: 'eu-west-1' };
const C: Scope = { account: '222222222222', region: 'us-east-1' };

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

type Extra<T> = Omit<Partial<T>, 'account' | 'region' | 'name' | 'arn'>;

function bus(scope: Scope, name: string, extra: Extra<EventBus> = {}): EventBus {
  return { ...scope, name, arn: busArn(scope, name), createdAt: T0, modifiedAt: T0, ...extra };
}

function rule(scope: Scope, busName: string, name: string, extra: Extra<Rule> = {}): Rule {
  return {
    ...scope,
    eventBusName: busName,
    name,
    arn: ruleArn(scope, busName, name),
    state: 'ENABLED',
    createdBy: scope.account,
    createdAt: T0,
    ...extra,
  };
}

function target(id: string, extra: Record<string, unknown> = {}): Target {
  return { Id: id, Arn: `arn:aws:sqs:us-east-1:111111111111:queue-${id}`, ...extra };
}

function event(id: string, scope: Scope = A, extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    ...scope,
    id,
    eventBusName: 'default',
    envelope: `{"version":"0","id":"${id}","detail-type":"t","source":"app","detail":{}}`,
    ingestedAt: T0,
    ...extra,
  };
}

function owed(eventId: string, ruleArnOf: string, targetId: string): OwedDelivery {
  return { eventId, ruleArn: ruleArnOf, targetId, targetArn: `arn:aws:sqs:us-east-1:111111111111:queue-${targetId}` };
}

function accepted(e: StoredEvent, ...deliveries: OwedDelivery[]): AcceptedEvent {
  return { event: e, deliveries };
}

const names = (items: readonly { readonly name: string }[]): string[] => items.map((i) => i.name);

/** Code-point order; for the ASCII names used here, the same as byte order. */
const codePointOrder = (xs: readonly string[]): string[] => [...xs].sort();

/** Deliveries in a fixed order, since the port does not promise one for `deliveriesOf`. */
const sortedDeliveries = (ds: readonly OwedDelivery[]): OwedDelivery[] =>
  [...ds].sort((x, y) => `${x.ruleArn} ${x.targetId}`.localeCompare(`${y.ruleArn} ${y.targetId}`));

/** Walk a listing page by page, each page starting after the last name of the one before. */
async function walk(list: (page: Page) => Promise<readonly { readonly name: string }[]>, limit: number, namePrefix?: string): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = names(
      await list({ limit, ...(after === undefined ? {} : { after }), ...(namePrefix === undefined ? {} : { namePrefix }) }),
    );
    pages.push(page);
    if (page.length < limit) return pages;
    after = page[page.length - 1];
  }
}

/**
 * Names that sort differently by code point than by any locale collation: punctuation, digits,
 * upper case before '_' before lower case. PostgreSQL needs COLLATE "C" to agree.
 */
const MIXED = ['orders', 'Orders', 'orders-eu', 'orders.eu', 'orders/eu', 'orders_eu', 'orders2', 'ORDERS', 'audit', '_x'];

/** Names with LIKE's special characters, which a prefix must treat as plain characters. */
const SPECIAL = ['a%b', 'axb', 'a_c', 'abc', 'a\\d', 'ad', 'a%', 'a_'];

// ---------------------------------------------------------------------------------------------
// The suite

export function storeContract(name: string, open: () => Promise<OpenedStore>, capabilities: StoreCapabilities = {}): void {
  let opened = 0;
  let cleaned = 0;

  /** One test on a fresh store, cleaned up whatever happens; skipped when `gap` is declared. */
  const check = (title: string, body: (store: Store) => Promise<void>, gap?: keyof StoreCapabilities): void => {
    const why = gap === undefined ? undefined : capabilities[gap];
    it(title, why === undefined ? {} : { skip: why }, async () => {
      const { store, cleanup } = await open();
      opened += 1;
      try {
        await body(store);
      } finally {
        await cleanup();
        cleaned += 1;
      }
    });
  };

  describe(`store contract: ${name}`, () => {
    after(() => assert.equal(cleaned, opened, `${opened - cleaned} store(s) not cleaned up`));

    check('names its kind', async (s) => {
      assert.ok(['sqlite', 'postgres'].includes(s.kind), `unexpected kind ${s.kind}`);
    });

    describe('buses', () => {
      check('insertBus returns true, then false for the same name, and keeps the first', async (s) => {
        assert.equal(await s.insertBus(bus(A, 'orders', { description: 'first' })), true);
        assert.equal(await s.insertBus(bus(A, 'orders', { description: 'second' })), false);
        assert.equal((await s.getBus(A, 'orders'))?.description, 'first');
        assert.equal(await s.insertBus(bus(A, 'Orders')), true, 'names are case-sensitive');
      });

      check('getBus returns every field as stored, and nothing for an unknown name', async (s) => {
        const full = bus(A, 'orders', {
          description: 'Orders of the shop',
          kmsKeyIdentifier: 'arn:aws:kms:us-east-1:111111111111:key/1234',
          deadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:111111111111:dlq' },
          policy: '{"Version":"2012-10-17","Statement":[]}',
          modifiedAt: T0 + 1,
        });
        const minimal = bus(A, 'minimal');
        await s.insertBus(full);
        await s.insertBus(minimal);
        assert.deepEqual(await s.getBus(A, 'orders'), full);
        assert.deepEqual(await s.getBus(A, 'minimal'), minimal, 'absent optional fields stay absent');
        assert.equal(await s.getBus(A, 'nope'), undefined);
      });

      check('listBuses lists in code-point order, at most limit, after a name', async (s) => {
        for (const n of MIXED) await s.insertBus(bus(A, n));
        const all = codePointOrder(MIXED);
        assert.deepEqual(names(await s.listBuses(A, { limit: 100 })), all);
        assert.deepEqual(names(await s.listBuses(A, { limit: Number.MAX_SAFE_INTEGER })), all);
        assert.deepEqual(names(await s.listBuses(A, { limit: 3 })), all.slice(0, 3));
        assert.deepEqual(names(await s.listBuses(A, { limit: 100, after: 'orders' })), all.slice(all.indexOf('orders') + 1));
        assert.deepEqual(names(await s.listBuses(A, { limit: 100, after: 'p' })), [], 'after a name that is not stored');
        assert.deepEqual(await walk((p) => s.listBuses(A, p), 4), [all.slice(0, 4), all.slice(4, 8), all.slice(8)]);
        assert.deepEqual(await s.listBuses(C, { limit: 100 }), []);
      });

      check('listBuses with namePrefix is a literal, case-sensitive prefix', async (s) => {
        for (const n of MIXED) await s.insertBus(bus(A, n));
        assert.deepEqual(names(await s.listBuses(A, { limit: 100, namePrefix: 'orders' })), [
          'orders',
          'orders-eu',
          'orders.eu',
          'orders/eu',
          'orders2',
          'orders_eu',
        ]);
        assert.deepEqual(names(await s.listBuses(A, { limit: 100, namePrefix: 'Or' })), ['Orders']);
        assert.deepEqual(names(await s.listBuses(A, { limit: 100, namePrefix: 'OR' })), ['ORDERS']);
        assert.deepEqual(names(await s.listBuses(A, { limit: 100, namePrefix: 'x' })), []);
        assert.deepEqual(names(await s.listBuses(A, { limit: 100, namePrefix: '' })), codePointOrder(MIXED));
        assert.deepEqual(await walk((p) => s.listBuses(A, p), 2, 'orders'), [
          ['orders', 'orders-eu'],
          ['orders.eu', 'orders/eu'],
          ['orders2', 'orders_eu'],
          [],
        ]);
      });

      check("listBuses treats '%', '_' and '\\' in a prefix as plain characters", async (s) => {
        for (const n of SPECIAL) await s.insertBus(bus(A, n));
        const listed = async (namePrefix: string): Promise<string[]> => names(await s.listBuses(A, { limit: 100, namePrefix }));
        assert.deepEqual(await listed('a%'), ['a%', 'a%b']);
        assert.deepEqual(await listed('a_'), ['a_', 'a_c']);
        assert.deepEqual(await listed('a\\'), ['a\\d']);
        assert.deepEqual(await listed('%'), []);
        assert.deepEqual(await listed('_'), []);
      });

      check('updateBus replaces the stored bus; it does not create one', async (s) => {
        await s.insertBus(bus(A, 'orders', { description: 'old', policy: '{"p":1}' }));
        const updated = bus(A, 'orders', { policy: '{"p":2}', deadLetterConfig: { Arn: 'arn:dlq' }, modifiedAt: T0 + 5 });
        await s.updateBus(updated);
        assert.deepEqual(await s.getBus(A, 'orders'), updated, 'description removed, policy and DLQ replaced');
        await s.updateBus(bus(A, 'ghost'));
        assert.equal(await s.getBus(A, 'ghost'), undefined);
        assert.deepEqual(names(await s.listBuses(A, { limit: 100 })), ['orders']);
      });

      check('deleteBus removes the bus, its rules, their targets and every tag of them', async (s) => {
        const orders = bus(A, 'orders');
        const audit = bus(A, 'audit');
        await s.insertBus(orders);
        await s.insertBus(audit);
        const gone = [rule(A, 'orders', 'r1'), rule(A, 'orders', 'r2')];
        const kept = rule(A, 'audit', 'r1'); // same rule name, other bus
        for (const r of [...gone, kept]) {
          await s.putRule(r);
          await s.putTargets(r.arn, [target('t1'), target('t2')]);
          await s.putTags(r.arn, [{ Key: 'team', Value: 'x' }]);
        }
        await s.putTags(orders.arn, [{ Key: 'env', Value: 'prod' }]);
        await s.putTags(audit.arn, [{ Key: 'env', Value: 'dev' }]);

        await s.deleteBus(A, 'orders');

        assert.equal(await s.getBus(A, 'orders'), undefined);
        assert.deepEqual(await s.getTags(orders.arn), []);
        for (const r of gone) {
          assert.equal(await s.getRule(A, 'orders', r.name), undefined);
          assert.deepEqual(await s.listTargets(r.arn), []);
          assert.deepEqual(await s.getTags(r.arn), []);
        }
        assert.deepEqual(await s.listRules(A, 'orders', { limit: 100 }), []);
        assert.deepEqual(await s.allRules(), [kept]);
        const targetIds = (await s.allTargets()).map((x) => `${x.ruleArn} ${x.target.Id}`).sort();
        assert.deepEqual(targetIds, [`${kept.arn} t1`, `${kept.arn} t2`]);
        assert.deepEqual(await s.getBus(A, 'audit'), audit);
        assert.deepEqual(await s.getTags(audit.arn), [{ Key: 'env', Value: 'dev' }]);
        assert.deepEqual(await s.listTargets(kept.arn), [target('t1'), target('t2')]);
        assert.deepEqual(await s.getTags(kept.arn), [{ Key: 'team', Value: 'x' }]);

        await s.deleteBus(A, 'orders'); // again: nothing to do, no error
        await s.deleteBus(A, 'never-existed');
      });
    });

    describe('rules', () => {
      check('putRule inserts; getRule returns every field as stored', async (s) => {
        const full = rule(A, 'orders', 'big', {
          eventPattern: '{"detail":{"total":[{"numeric":[">",100]}]}}',
          scheduleExpression: 'rate(5 minutes)',
          state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
          description: 'big orders',
          roleArn: 'arn:aws:iam::111111111111:role/events',
          managedBy: 'service.example.com',
          createdBy: '333333333333',
        });
        const minimal = rule(A, 'default', 'plain');
        await s.putRule(full);
        await s.putRule(minimal);
        assert.deepEqual(await s.getRule(A, 'orders', 'big'), full);
        assert.deepEqual(await s.getRule(A, 'default', 'plain'), minimal, 'absent optional fields stay absent');
        assert.equal(await s.getRule(A, 'orders', 'nope'), undefined);
        assert.equal(await s.getRule(A, 'default', 'big'), undefined, 'a rule belongs to its bus');
      });

      check('putRule replaces a rule of the same bus and name', async (s) => {
        await s.putRule(rule(A, 'orders', 'r', { eventPattern: '{"source":["a"]}', description: 'd' }));
        const replaced = rule(A, 'orders', 'r', { eventPattern: '{"source":["b"]}', state: 'DISABLED' });
        await s.putRule(replaced);
        assert.deepEqual(await s.getRule(A, 'orders', 'r'), replaced, 'description removed');
        assert.deepEqual(await s.allRules(), [replaced]);
      });

      check('listRules lists one bus in code-point order, with after, limit and prefix', async (s) => {
        for (const n of MIXED) await s.putRule(rule(A, 'orders', n));
        await s.putRule(rule(A, 'audit', 'orders-audit'));
        await s.putRule(rule(A, 'default', 'orders'));
        const all = codePointOrder(MIXED);
        assert.deepEqual(names(await s.listRules(A, 'orders', { limit: 100 })), all);
        assert.deepEqual(names(await s.listRules(A, 'orders', { limit: Number.MAX_SAFE_INTEGER })), all);
        assert.deepEqual(await walk((p) => s.listRules(A, 'orders', p), 3), [
          all.slice(0, 3),
          all.slice(3, 6),
          all.slice(6, 9),
          all.slice(9),
        ]);
        assert.deepEqual(names(await s.listRules(A, 'orders', { limit: 2, after: 'orders', namePrefix: 'orders' })), [
          'orders-eu',
          'orders.eu',
        ]);
        assert.deepEqual(names(await s.listRules(A, 'orders', { limit: 100, namePrefix: 'Or' })), ['Orders']);
        assert.deepEqual(names(await s.listRules(A, 'audit', { limit: 100 })), ['orders-audit']);
        assert.deepEqual(await s.listRules(A, 'nope', { limit: 100 }), []);
      });

      check("listRules treats '%', '_' and '\\' in a prefix as plain characters", async (s) => {
        for (const n of SPECIAL) await s.putRule(rule(A, 'orders', n));
        const listed = async (namePrefix: string): Promise<string[]> =>
          names(await s.listRules(A, 'orders', { limit: 100, namePrefix }));
        assert.deepEqual(await listed('a%'), ['a%', 'a%b']);
        assert.deepEqual(await listed('a_'), ['a_', 'a_c']);
        assert.deepEqual(await listed('a\\'), ['a\\d']);
      });

      check('allRules returns every rule of every bus and scope', async (s) => {
        const rules = [rule(A, 'default', 'r'), rule(A, 'orders', 'r'), rule(B, 'default', 'r'), rule(C, 'orders', 'x')];
        for (const r of rules) await s.putRule(r);
        const byArn = (xs: readonly Rule[]): Rule[] => [...xs].sort((x, y) => x.arn.localeCompare(y.arn));
        assert.deepEqual(byArn(await s.allRules()), byArn(rules));
        await s.deleteRule(B, 'default', 'r');
        assert.deepEqual(byArn(await s.allRules()), byArn(rules.filter((r) => r.region !== B.region)));
      });

      check('deleteRule removes the rule, its targets and its tags, and nothing else', async (s) => {
        const gone = rule(A, 'orders', 'r');
        const others = [rule(A, 'audit', 'r'), rule(B, 'orders', 'r'), rule(A, 'orders', 'r2')];
        for (const r of [gone, ...others]) {
          await s.putRule(r);
          await s.putTargets(r.arn, [target('t1')]);
          await s.putTags(r.arn, [{ Key: 'k', Value: r.arn }]);
        }
        await s.deleteRule(A, 'orders', 'r');
        assert.equal(await s.getRule(A, 'orders', 'r'), undefined);
        assert.deepEqual(await s.listTargets(gone.arn), []);
        assert.deepEqual(await s.getTags(gone.arn), []);
        for (const r of others) {
          assert.deepEqual(await s.getRule(r, r.eventBusName, r.name), r);
          assert.deepEqual(await s.listTargets(r.arn), [target('t1')]);
          assert.deepEqual(await s.getTags(r.arn), [{ Key: 'k', Value: r.arn }]);
        }
        await s.deleteRule(A, 'orders', 'r'); // again: nothing to do, no error
      });
    });

    describe('targets', () => {
      const ARN = ruleArn(A, 'orders', 'r');
      const OTHER = ruleArn(A, 'orders', 'other');

      check('putTargets stores targets as given; listTargets lists them in id order', async (s) => {
        const rich = target('b', {
          RoleArn: 'arn:aws:iam::111111111111:role/r',
          InputTransformer: { InputPathsMap: { id: '$.id' }, InputTemplate: '{"id": <id>}' },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 60 },
          SqsParameters: { MessageGroupId: 'g' },
          HttpParameters: { HeaderParameters: { 'x-a': 'b' }, QueryStringParameters: {}, PathParameterValues: ['p'] },
        });
        const ids = ['b', 'a', 'B', '10', '9', 'a-1', 'a.1', 'a_1'];
        await s.putTargets(ARN, ids.map((id) => (id === 'b' ? rich : target(id))));
        const listed = await s.listTargets(ARN);
        assert.deepEqual(
          listed.map((t) => t.Id),
          codePointOrder(ids),
        );
        assert.deepEqual(
          listed.find((t) => t.Id === 'b'),
          rich,
        );
        assert.deepEqual(await s.listTargets(OTHER), []);
      });

      check('putTargets replaces targets by id and keeps the others', async (s) => {
        await s.putTargets(ARN, [target('a'), target('b', { Input: '{"v":1}' })]);
        await s.putTargets(OTHER, [target('b')]);
        const replaced = { Id: 'b', Arn: 'arn:aws:lambda:us-east-1:111111111111:function:f', InputPath: '$.detail' };
        await s.putTargets(ARN, [replaced, target('c')]);
        assert.deepEqual(await s.listTargets(ARN), [target('a'), replaced, target('c')], 'Input removed, Arn replaced');
        assert.deepEqual(await s.listTargets(OTHER), [target('b')]);
        await s.putTargets(ARN, []);
        assert.equal((await s.listTargets(ARN)).length, 3);
      });

      check('removeTargets removes the named ids of that rule only', async (s) => {
        await s.putTargets(ARN, [target('a'), target('b'), target('c')]);
        await s.putTargets(OTHER, [target('a')]);
        await s.removeTargets(ARN, ['a', 'c', 'not-there']);
        assert.deepEqual(await s.listTargets(ARN), [target('b')]);
        assert.deepEqual(await s.listTargets(OTHER), [target('a')]);
        await s.removeTargets(ARN, []);
        await s.removeTargets(ruleArn(A, 'orders', 'none'), ['a']);
        assert.deepEqual(await s.listTargets(ARN), [target('b')]);
      });

      check('allTargets returns every target of every rule with its rule ARN', async (s) => {
        const inB = ruleArn(B, 'orders', 'r');
        await s.putTargets(ARN, [target('a'), target('b')]);
        await s.putTargets(inB, [target('a')]);
        await s.putTargets(OTHER, [target('z')]);
        await s.removeTargets(OTHER, ['z']);
        const key = (x: { ruleArn: string; target: Target }): string => `${x.ruleArn} ${x.target.Id}`;
        const sorted = (xs: { ruleArn: string; target: Target }[]): { ruleArn: string; target: Target }[] =>
          [...xs].sort((x, y) => key(x).localeCompare(key(y)));
        assert.deepEqual(
          sorted(await s.allTargets()),
          sorted([
            { ruleArn: ARN, target: target('a') },
            { ruleArn: ARN, target: target('b') },
            { ruleArn: inB, target: target('a') },
          ]),
        );
      });
    });

    describe('tags', () => {
      const ARN = busArn(A, 'orders');
      const OTHER = ruleArn(A, 'orders', 'r');

      check('putTags adds and overwrites by key; getTags lists in key order', async (s) => {
        await s.putTags(ARN, [
          { Key: 'team', Value: 'shop' },
          { Key: 'env', Value: 'dev' },
        ]);
        await s.putTags(OTHER, [{ Key: 'env', Value: 'other' }]);
        await s.putTags(ARN, [
          { Key: 'env', Value: 'prod' },
          { Key: 'Cost', Value: '' },
          { Key: '_a', Value: 'x' },
        ]);
        assert.deepEqual(await s.getTags(ARN), [
          { Key: 'Cost', Value: '' },
          { Key: '_a', Value: 'x' },
          { Key: 'env', Value: 'prod' },
          { Key: 'team', Value: 'shop' },
        ]);
        assert.deepEqual(await s.getTags(OTHER), [{ Key: 'env', Value: 'other' }]);
        assert.deepEqual(await s.getTags(busArn(A, 'untagged')), []);
      });

      check('removeTags removes the named keys of that resource only', async (s) => {
        await s.putTags(ARN, [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
          { Key: 'c', Value: '3' },
        ]);
        await s.putTags(OTHER, [{ Key: 'a', Value: '1' }]);
        await s.removeTags(ARN, ['a', 'c', 'not-there']);
        await s.removeTags(ARN, []);
        assert.deepEqual(await s.getTags(ARN), [{ Key: 'b', Value: '2' }]);
        assert.deepEqual(await s.getTags(OTHER), [{ Key: 'a', Value: '1' }]);
      });

      check('text comes back exactly: non-ASCII, emoji, quotes, backslashes, newlines, NUL', async (s) => {
        const text = 'Grüße 注文 🚚 "quoted" \\back\\slash\nnew line \t tab \u0000 nul';
        await s.putTags(ARN, [{ Key: 'k', Value: text }]);
        assert.deepEqual(await s.getTags(ARN), [{ Key: 'k', Value: text }]);
        const b = bus(A, 'orders', { description: text });
        await s.insertBus(b);
        assert.deepEqual(await s.getBus(A, 'orders'), b);
      });
    });

    describe('events', () => {
      const R1 = ruleArn(A, 'default', 'r1');
      const R2 = ruleArn(A, 'default', 'r2');

      check('appendEvents commits a batch of events with their deliveries', async (s) => {
        const batch = [
          accepted(event('e1')),
          accepted(event('e2'), owed('e2', R1, 't1')),
          accepted(event('e3'), owed('e3', R2, 't1'), owed('e3', R1, 't2'), owed('e3', R1, 't1')),
        ];
        await s.appendEvents(batch);
        assert.equal(await s.countEvents(), 3);
        for (const { event: e, deliveries } of batch) {
          assert.deepEqual(await s.getEvent(e.id), e);
          assert.deepEqual(sortedDeliveries(await s.deliveriesOf(e.id)), sortedDeliveries(deliveries));
        }
        await s.appendEvents([accepted(event('e4'), owed('e4', R1, 't1'))]);
        assert.equal(await s.countEvents(), 4);
        assert.deepEqual(await s.deliveriesOf('e4'), [owed('e4', R1, 't1')]);
        await s.appendEvents([]);
        assert.equal(await s.countEvents(), 4);
      });

      check('getEvent returns every field as stored, the envelope text unchanged', async (s) => {
        const traced = event('traced', B, {
          eventBusName: 'orders',
          envelope: '{ "version": "0",  "id": "traced", "detail": {"b": 1, "a": [1.0, 2e3]}, "x": "\\u00e9" }',
          ingestedAt: T0 + 123,
          traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1',
        });
        const plain = event('plain', C);
        await s.appendEvents([accepted(traced), accepted(plain)]);
        assert.deepEqual(await s.getEvent('traced'), traced);
        assert.deepEqual(await s.getEvent('plain'), plain, 'no traceHeader comes back as none');
        assert.equal(await s.getEvent('nope'), undefined);
        assert.deepEqual(await s.deliveriesOf('nope'), []);
        assert.deepEqual(await s.deliveriesOf('plain'), []);
      });

      check('a batch that fails part-way (a duplicate id within it) leaves nothing of it', async (s) => {
        await s.appendEvents([accepted(event('e0'), owed('e0', R1, 't1'))]);
        await assert.rejects(
          s.appendEvents([
            accepted(event('e1'), owed('e1', R1, 't1')),
            accepted(event('e2'), owed('e2', R2, 't1')),
            accepted(event('e1', A, { envelope: '{"dup":true}' }), owed('e1', R2, 't9')),
          ]),
        );
        assert.equal(await s.countEvents(), 1);
        for (const id of ['e1', 'e2']) {
          assert.equal(await s.getEvent(id), undefined);
          assert.deepEqual(await s.deliveriesOf(id), []);
        }
      });

      check('a batch that repeats a committed id leaves nothing of it, and the committed event as it was', async (s) => {
        const e0 = event('e0');
        await s.appendEvents([accepted(e0, owed('e0', R1, 't1'))]);
        await assert.rejects(
          s.appendEvents([
            accepted(event('e1'), owed('e1', R1, 't1')),
            accepted(event('e0', B, { envelope: '{"other":true}' }), owed('e0', R2, 't2')),
          ]),
        );
        assert.equal(await s.countEvents(), 1);
        assert.equal(await s.getEvent('e1'), undefined);
        assert.deepEqual(await s.deliveriesOf('e1'), []);
        assert.deepEqual(await s.getEvent('e0'), e0);
        assert.deepEqual(await s.deliveriesOf('e0'), [owed('e0', R1, 't1')]);
        // The store is still usable: the good part of the batch can be committed on its own.
        await s.appendEvents([accepted(event('e1'), owed('e1', R1, 't1'))]);
        assert.equal(await s.countEvents(), 2);
        assert.deepEqual(await s.deliveriesOf('e1'), [owed('e1', R1, 't1')]);
      });

      check('a large batch keeps every event exactly: its scope, non-ASCII text, an empty traceHeader, its deliveries', async (s) => {
        const scopes = [A, B, A, C, A];
        const batch = Array.from({ length: 41 }, (_, i) => {
          const id = `big-${i}`;
          const e = event(id, scopes[i % scopes.length], {
            envelope: `{"id":"${id}","detail":{"text":"Grüße 注文 🚚 \u0000 ${'x'.repeat(i * 37)}"}}`,
            ...(i % 3 === 0 ? { traceHeader: i % 2 === 0 ? '' : `Root=${i}` } : {}),
          });
          return accepted(e, ...Array.from({ length: i % 4 }, (_, k) => owed(id, k % 2 === 0 ? R1 : R2, `t${k}`)));
        });
        await s.appendEvents(batch);
        assert.equal(await s.countEvents(), batch.length);
        for (const { event: e, deliveries } of batch) {
          assert.deepEqual(await s.getEvent(e.id), e);
          assert.deepEqual(sortedDeliveries(await s.deliveriesOf(e.id)), sortedDeliveries(deliveries));
        }
      });

      check('countEvents counts the events of every scope; each keeps its scope', async (s) => {
        assert.equal(await s.countEvents(), 0);
        await s.appendEvents([accepted(event('a', A)), accepted(event('b', B)), accepted(event('c', C))]);
        assert.equal(await s.countEvents(), 3);
        assert.deepEqual(await s.getEvent('b'), event('b', B));
        assert.deepEqual(await s.getEvent('c'), event('c', C));
      });

      check('forwardDeliveries puts each forwarded event and records its forward, each once', async (s) => {
        const toOrders = (id: string) => ({ ...owed(id, R1, 'bus'), targetArn: busArn(A, 'orders') });
        await s.appendEvents([accepted(event('e1'), toOrders('e1')), accepted(event('e2'), toOrders('e2'))]);
        const [d1, d2] = await s.pendingDeliveries(['bus'], undefined, 10);
        assert.ok(d1 !== undefined && d2 !== undefined);
        assert.equal(d1.via, undefined, 'an event put by PutEvents came through no bus');
        const forwardOf = (id: string) =>
          event(`f-${id}`, A, { eventBusName: 'orders', via: [busArn(A, 'default')], forwardedFrom: { eventId: id, ruleArn: R1, targetId: 'bus' } });
        const f1 = { ...forwardOf('e1'), traceHeader: 'Root=1' };
        const attempt = { startedAt: T0, latencyMs: 2, outcome: 'delivered' as const };
        await s.forwardDeliveries([{ delivery: d1, forwarded: accepted(f1, owed('f-e1', R2, 'q')), attempt }]);
        assert.deepEqual(await s.getEvent('f-e1'), f1);
        assert.deepEqual(await s.deliveriesOf('f-e1'), [owed('f-e1', R2, 'q')]);
        assert.deepEqual(await s.deliveryState('e1', R1, 'bus'), { state: 'delivered', attempts: 1 });
        const [next] = await s.pendingDeliveries(['queue'], undefined, 10);
        assert.deepEqual(next?.via, [busArn(A, 'default')], 'its deliveries carry the buses it came through');

        // e1's forward again (as after a crash before the dispatcher heard of the first) beside
        // e2's first, in one call: e2's is written, e1's is not written twice.
        await s.forwardDeliveries([
          { delivery: d1, forwarded: accepted({ ...forwardOf('e1'), id: 'f-e1-again' }), attempt: { ...attempt, latencyMs: 9 } },
          { delivery: d2, forwarded: accepted(forwardOf('e2'), owed('f-e2', R2, 'q')), attempt },
        ]);
        assert.equal(await s.getEvent('f-e1-again'), undefined);
        assert.deepEqual(await s.attemptsOf('e1', R1, 'bus'), [attempt]);
        assert.deepEqual(await s.getEvent('f-e2'), forwardOf('e2'));
        assert.deepEqual(await s.deliveryState('e2', R1, 'bus'), { state: 'delivered', attempts: 1 });
        assert.equal(await s.countEvents(), 4);
        await s.forwardDeliveries([]);
        assert.equal(await s.countEvents(), 4);
      });
    });

    describe('dropped deliveries', () => {
      const R1 = ruleArn(A, 'default', 'r1');
      const R2 = ruleArn(A, 'default', 'r2');
      const RB = ruleArn(B, 'default', 'r1');
      const failed = (at: number, error: string) => ({ startedAt: at, latencyMs: 5, outcome: 'failed' as const, status: 400, error });

      /** Events e1..e3 in A (two deliveries each), e4 in B; every delivery attempted once. */
      async function seed(s: Store): Promise<void> {
        await s.appendEvents([
          accepted(event('e1'), owed('e1', R1, 't1'), owed('e1', R2, 't1')),
          accepted(event('e2'), owed('e2', R1, 't1'), owed('e2', R1, 't2')),
          accepted(event('e3'), owed('e3', R1, 't2'), owed('e3', R2, 't2')),
          accepted(event('e4', B), owed('e4', RB, 't1')),
        ]);
        const fresh = await s.pendingDeliveries(['queue'], undefined, 100);
        assert.equal(fresh.length, 7);
        // e3's delivery to r2/t2 is delivered; all others are dropped after one failed attempt.
        // All seven recorded in one call (one transaction), as the dispatcher's group commit does.
        await s.recordAttempts(
          fresh.map((d, i) =>
            d.eventId === 'e3' && d.ruleArn === R2
              ? { delivery: d, attempt: { startedAt: T0 + i, latencyMs: 1, outcome: 'delivered' as const, status: 200 }, next: { state: 'delivered' as const } }
              : { delivery: d, attempt: failed(T0 + i, `boom ${i}`), next: { state: 'dropped' as const, error: `ERROR_FROM_TARGET: boom ${i}` } },
          ),
        );
      }

      check('lists the dropped deliveries of a scope in acceptance order, with attempts, last error and when dropped', async (s) => {
        await seed(s);
        const listed = await s.listDroppedDeliveries(A, { limit: 100 });
        assert.deepEqual(
          listed.map((d) => [d.eventId, d.ruleArn, d.targetId]),
          [
            ['e1', R1, 't1'],
            ['e1', R2, 't1'],
            ['e2', R1, 't1'],
            ['e2', R1, 't2'],
            ['e3', R1, 't2'],
          ],
        );
        const first = listed[0];
        assert.equal(first?.targetArn, owed('e1', R1, 't1').targetArn);
        assert.equal(first?.attempts, 1);
        assert.match(first?.lastError ?? '', /^ERROR_FROM_TARGET: boom \d$/);
        assert.ok(listed.every((d) => typeof d.droppedAt === 'number' && d.droppedAt >= T0 && d.droppedAt < T0 + 7));
        assert.deepEqual(
          (await s.listDroppedDeliveries(B, { limit: 100 })).map((d) => d.eventId),
          ['e4'],
          'the scope is the event bus\'s',
        );
        assert.deepEqual(await s.listDroppedDeliveries(C, { limit: 100 }), []);
        assert.equal(await s.countDroppedDeliveries(A, {}), 5);
        assert.equal(await s.countDroppedDeliveries(B, {}), 1);
        assert.equal(await s.countDroppedDeliveries(C, {}), 0);
      });

      check('filters by rule ARN and target id, and pages after a key', async (s) => {
        await seed(s);
        const ids = (ds: readonly { eventId: string; targetId: string }[]) => ds.map((d) => `${d.eventId}/${d.targetId}`);
        assert.deepEqual(ids(await s.listDroppedDeliveries(A, { ruleArn: R1, limit: 100 })), ['e1/t1', 'e2/t1', 'e2/t2', 'e3/t2']);
        assert.deepEqual(ids(await s.listDroppedDeliveries(A, { targetId: 't2', limit: 100 })), ['e2/t2', 'e3/t2']);
        assert.deepEqual(ids(await s.listDroppedDeliveries(A, { ruleArn: R2, targetId: 't1', limit: 100 })), ['e1/t1']);
        assert.equal(await s.countDroppedDeliveries(A, { ruleArn: R1 }), 4);
        assert.equal(await s.countDroppedDeliveries(A, { ruleArn: R1, targetId: 't2' }), 2);
        assert.equal(await s.countDroppedDeliveries(A, { ruleArn: RB }), 0);
        const pages: string[][] = [];
        let after: string | undefined;
        for (;;) {
          const page = await s.listDroppedDeliveries(A, { limit: 2, ...(after === undefined ? {} : { after }) });
          pages.push(ids(page));
          if (page.length < 2) break;
          after = page[page.length - 1]?.key;
        }
        assert.deepEqual(pages, [['e1/t1', 'e1/t1'], ['e2/t1', 'e2/t2'], ['e3/t2']]);
      });

      check('redriveDeliveries sets chosen dropped deliveries back to pending, due now, keeping attempts and history', async (s) => {
        await seed(s);
        const now = T0 + 60_000;
        const outcomes = await s.redriveDeliveries(
          A,
          [
            { eventId: 'e1', ruleArn: R1, targetId: 't1' },
            { eventId: 'e3', ruleArn: R2, targetId: 't2' }, // delivered
            { eventId: 'nope', ruleArn: R1, targetId: 't1' },
            { eventId: 'e4', ruleArn: RB, targetId: 't1' }, // another scope's
            { eventId: 'e1', ruleArn: R1, targetId: 't1' }, // again: no longer dropped
          ],
          now,
        );
        assert.deepEqual(outcomes, ['redriven', 'not-dropped', 'not-found', 'not-found', 'not-dropped']);
        assert.deepEqual(await s.deliveryState('e1', R1, 't1'), { state: 'pending', attempts: 1, lastError: 'ERROR_FROM_TARGET: boom 0' });
        assert.equal((await s.deliveryState('e4', RB, 't1'))?.state, 'dropped');
        assert.equal(await s.countDroppedDeliveries(A, {}), 4);
        assert.equal(await s.nextDueAt(), now);
        assert.deepEqual(await s.dueDeliveries(now - 1, 10), []);
        const due = await s.dueDeliveries(now, 10);
        assert.deepEqual(
          due.map((d) => [d.eventId, d.ruleArn, d.targetId, d.attempts, d.redriven]),
          [['e1', R1, 't1', 1, { at: now, attempts: 1 }]],
        );
        assert.deepEqual(await s.pendingDeliveries(['queue'], undefined, 10), [], 'not a first attempt: found by the due scan only');
        // A second attempt is numbered after the first; both stay in the history.
        await s.recordAttempts([{ delivery: due[0] as PendingDelivery, attempt: { startedAt: now, latencyMs: 3, outcome: 'delivered', status: 200 }, next: { state: 'delivered' } }]);
        assert.deepEqual(await s.deliveryState('e1', R1, 't1'), { state: 'delivered', attempts: 2 });
        assert.deepEqual(
          (await s.attemptsOf('e1', R1, 't1')).map((a) => [a.outcome, a.startedAt]),
          [
            ['failed', T0],
            ['delivered', now],
          ],
        );
      });

      check('redriveDropped sets every dropped delivery matching a filter back to pending, in its scope only', async (s) => {
        await seed(s);
        const now = T0 + 60_000;
        assert.equal(await s.redriveDropped(A, { ruleArn: R1, targetId: 't2' }, now), 2);
        assert.equal(await s.countDroppedDeliveries(A, {}), 3);
        assert.deepEqual(
          (await s.dueDeliveries(now, 10)).map((d) => `${d.eventId}/${d.targetId}`).sort(),
          ['e2/t2', 'e3/t2'],
        );
        assert.equal(await s.redriveDropped(A, {}, now + 1), 3);
        assert.equal(await s.countDroppedDeliveries(A, {}), 0);
        assert.equal(await s.countDroppedDeliveries(B, {}), 1, 'another scope untouched');
        assert.equal(await s.redriveDropped(A, {}, now + 2), 0);
        assert.equal((await s.dueDeliveries(now + 2, 10)).length, 5);
      });
    });

    describe('event trace', () => {
      const R1 = ruleArn(A, 'default', 'r1');
      const R2 = ruleArn(A, 'default', 'r2');
      const attempt = (ms: number, outcome: 'delivered' | 'failed', status: number, error?: string): DeliveryAttempt => ({
        startedAt: ms,
        latencyMs: 4,
        outcome,
        status,
        ...(error === undefined ? {} : { error }),
      });
      const failed503 = attempt(T0, 'failed', 503, 'ERROR_FROM_TARGET: 503');
      const failed400 = attempt(T0 + 1, 'failed', 400, 'ERROR_FROM_TARGET: 400');
      const failed404 = attempt(T0 + 2, 'failed', 404, 'ERROR_FROM_TARGET: 404');
      const delivered200 = attempt(T0 + 1_000, 'delivered', 200);

      check('eventTrace gives the event and each owed delivery, by rule ARN then target id, with its state and attempts by number', async (s) => {
        const e1 = event('e1', A, { traceHeader: 'Root=1' });
        // Appended out of order: the trace orders them.
        await s.appendEvents([
          accepted(e1, owed('e1', R2, 't2'), owed('e1', R2, 't1'), owed('e1', R1, 't2'), owed('e1', R1, 't1')),
          accepted(event('e2')),
          accepted(event('e3', C), owed('e3', ruleArn(C, 'default', 'r1'), 't1')),
        ]);
        const fresh = await s.pendingDeliveries(['queue'], undefined, 10);
        const of = (ruleArnOf: string, targetId: string): PendingDelivery => {
          const d = fresh.find((x) => x.eventId === 'e1' && x.ruleArn === ruleArnOf && x.targetId === targetId);
          assert.ok(d !== undefined);
          return d;
        };
        await s.recordAttempts([
          { delivery: of(R1, 't1'), attempt: failed503, next: { state: 'waiting', dueAt: T0 + 1_000 } },
          { delivery: of(R2, 't1'), attempt: failed400, next: { state: 'dead-lettered', error: 'ERROR_FROM_TARGET: answered 400' } },
          { delivery: of(R2, 't2'), attempt: failed404, next: { state: 'dropped', error: 'ERROR_FROM_TARGET: answered 404' } },
        ]);
        const base = (ruleArnOf: string, targetId: string) => ({ ...owed('e1', ruleArnOf, targetId) });
        assert.deepEqual(await s.eventTrace(A, 'e1'), {
          event: e1,
          deliveries: [
            { ...base(R1, 't1'), state: 'pending', dueAt: T0 + 1_000, lastError: 'ERROR_FROM_TARGET: 503', attempts: [{ number: 1, ...failed503 }] },
            { ...base(R1, 't2'), state: 'pending', attempts: [] },
            { ...base(R2, 't1'), state: 'dead-lettered', lastError: 'ERROR_FROM_TARGET: answered 400', attempts: [{ number: 1, ...failed400 }] },
            { ...base(R2, 't2'), state: 'dropped', lastError: 'ERROR_FROM_TARGET: answered 404', attempts: [{ number: 1, ...failed404 }] },
          ],
          forwardedTo: [],
        });

        // The retry is delivered; the dropped delivery is redriven (pending, due now, redriven).
        const [due] = await s.dueDeliveries(T0 + 1_000, 10);
        assert.ok(due !== undefined);
        await s.recordAttempts([{ delivery: due, attempt: delivered200, next: { state: 'delivered' } }]);
        assert.deepEqual(await s.redriveDeliveries(A, [{ eventId: 'e1', ruleArn: R2, targetId: 't2' }], T0 + 5_000), ['redriven']);
        const after = await s.eventTrace(A, 'e1');
        assert.deepEqual(after?.deliveries[0], {
          ...base(R1, 't1'),
          state: 'delivered',
          attempts: [{ number: 1, ...failed503 }, { number: 2, ...delivered200 }],
        });
        assert.deepEqual(after?.deliveries[3], {
          ...base(R2, 't2'),
          state: 'pending',
          dueAt: T0 + 5_000,
          lastError: 'ERROR_FROM_TARGET: answered 404',
          redrivenAt: T0 + 5_000,
          attempts: [{ number: 1, ...failed404 }],
        });

        assert.deepEqual(await s.eventTrace(A, 'e2'), { event: event('e2'), deliveries: [], forwardedTo: [] }, 'an event owed to no target');
        assert.equal(await s.eventTrace(A, 'nope'), undefined);
        assert.equal(await s.eventTrace(B, 'e1'), undefined, "another region's view: not found");
        assert.equal(await s.eventTrace(C, 'e1'), undefined, "another account's view: not found");
        assert.equal((await s.eventTrace(C, 'e3'))?.deliveries.length, 1, 'each scope sees its own');
      });

      check('eventTrace links a forwarded event and the event it was forwarded from, both ways', async (s) => {
        const from = { eventId: 'e1', ruleArn: R1, targetId: 'bus' };
        const f = event('f1', A, { eventBusName: 'orders', via: [busArn(A, 'default')], forwardedFrom: from });
        await s.appendEvents([accepted(event('e1')), accepted(f)]);
        assert.deepEqual((await s.eventTrace(A, 'f1'))?.event, f, 'the buses it came through and where from');
        assert.deepEqual((await s.eventTrace(A, 'e1'))?.forwardedTo, [{ eventId: 'f1', ruleArn: R1, targetId: 'bus' }]);
        assert.deepEqual((await s.eventTrace(A, 'f1'))?.forwardedTo, []);
      });
    });

    describe('counters', () => {
      check('addToCounter accumulates per scope and name; getCounter defaults to 0', async (s) => {
        assert.equal(await s.getCounter(A, 'dropped'), 0);
        await s.addToCounter(A, 'dropped', 2);
        await s.addToCounter(A, 'dropped', 3);
        await s.addToCounter(A, 'other', 7);
        await s.addToCounter(B, 'dropped', 1);
        await s.addToCounter(C, 'dropped', 10);
        assert.equal(await s.getCounter(A, 'dropped'), 5);
        assert.equal(await s.getCounter(A, 'other'), 7);
        assert.equal(await s.getCounter(B, 'dropped'), 1);
        assert.equal(await s.getCounter(C, 'dropped'), 10);
        assert.equal(await s.getCounter(C, 'other'), 0);
        await s.addToCounter(A, 'dropped', 0);
        assert.equal(await s.getCounter(A, 'dropped'), 5);
      });
    });

    describe('scopes', () => {
      check('buses of the same name in other regions and accounts are separate', async (s) => {
        for (const scope of [A, B, C]) {
          assert.equal(await s.insertBus(bus(scope, 'orders', { description: scope.region + scope.account })), true);
        }
        await s.insertBus(bus(B, 'only-b'));
        await s.updateBus(bus(A, 'orders', { description: 'changed' }));
        assert.equal((await s.getBus(A, 'orders'))?.description, 'changed');
        assert.deepEqual(await s.getBus(B, 'orders'), bus(B, 'orders', { description: B.region + B.account }));
        assert.deepEqual(await s.getBus(C, 'orders'), bus(C, 'orders', { description: C.region + C.account }));
        assert.deepEqual(names(await s.listBuses(A, { limit: 100 })), ['orders']);
        assert.deepEqual(names(await s.listBuses(B, { limit: 100 })), ['only-b', 'orders']);
        assert.equal(await s.getBus(A, 'only-b'), undefined);
        assert.equal(await s.getBus(C, 'only-b'), undefined);
      });

      check('deleting a bus in one scope leaves the same names in the others', async (s) => {
        for (const scope of [A, B, C]) {
          const b = bus(scope, 'orders');
          const r = rule(scope, 'orders', 'r');
          await s.insertBus(b);
          await s.putTags(b.arn, [{ Key: 'k', Value: 'v' }]);
          await s.putRule(r);
          await s.putTargets(r.arn, [target('t')]);
          await s.putTags(r.arn, [{ Key: 'k', Value: 'v' }]);
        }
        await s.deleteBus(A, 'orders');
        assert.equal(await s.getBus(A, 'orders'), undefined);
        for (const scope of [B, C]) {
          const b = bus(scope, 'orders');
          const r = rule(scope, 'orders', 'r');
          assert.deepEqual(await s.getBus(scope, 'orders'), b);
          assert.deepEqual(await s.getTags(b.arn), [{ Key: 'k', Value: 'v' }]);
          assert.deepEqual(await s.getRule(scope, 'orders', 'r'), r);
          assert.deepEqual(names(await s.listRules(scope, 'orders', { limit: 100 })), ['r']);
          assert.deepEqual(await s.listTargets(r.arn), [target('t')]);
          assert.deepEqual(await s.getTags(r.arn), [{ Key: 'k', Value: 'v' }]);
        }
        assert.equal((await s.allRules()).length, 2);
        assert.equal((await s.allTargets()).length, 2);
      });

      check('rules of the same bus and name in other scopes are separate', async (s) => {
        for (const scope of [A, B, C]) await s.putRule(rule(scope, 'orders', 'r', { description: scope.region }));
        await s.putRule(rule(A, 'orders', 'r', { description: 'replaced' }));
        assert.equal((await s.getRule(A, 'orders', 'r'))?.description, 'replaced');
        assert.equal((await s.getRule(B, 'orders', 'r'))?.description, B.region);
        assert.equal((await s.getRule(C, 'orders', 'r'))?.description, C.region);
        await s.putRule(rule(C, 'orders', 'only-c'));
        assert.deepEqual(names(await s.listRules(A, 'orders', { limit: 100 })), ['r']);
        assert.deepEqual(names(await s.listRules(C, 'orders', { limit: 100 })), ['only-c', 'r']);
        await s.deleteRule(B, 'orders', 'r');
        assert.equal(await s.getRule(B, 'orders', 'r'), undefined);
        assert.equal((await s.getRule(A, 'orders', 'r'))?.description, 'replaced');
        assert.equal((await s.getRule(C, 'orders', 'r'))?.description, C.region);
      });
    });

    describe('connections and API destinations', () => {
      const conn = (scope: Scope, name: string, extra: Partial<Connection> = {}): Connection => ({
        ...scope,
        name,
        arn: connectionArn(scope, name, '11111111-2222-3333-4444-555555555555'),
        secretArn: `arn:aws:secretsmanager:${scope.region}:${scope.account}:secret:events!connection/${name}/x-abcdef`,
        authorizationType: 'BASIC',
        state: 'AUTHORIZED',
        authParameters: { BasicAuthParameters: { Username: 'u' } },
        createdAt: T0,
        modifiedAt: T0,
        lastAuthorizedAt: T0,
        sealedSecrets: 'v1.c2VhbGVk',
        ...extra,
      });
      const dest = (scope: Scope, name: string, connectionArnOf: string): ApiDestination => ({
        ...scope,
        name,
        arn: apiDestinationArn(scope, name, '66666666-7777-8888-9999-000000000000'),
        connectionArn: connectionArnOf,
        invocationEndpoint: 'https://example.com/hook',
        httpMethod: 'POST',
        invocationRateLimitPerSecond: 300,
        createdAt: T0,
        modifiedAt: T0,
      });

      check('insertConnection returns true, then false for the same name; get by name and ARN return it as stored', async (s) => {
        const c = conn(A, 'c1');
        assert.equal(await s.insertConnection(c), true);
        assert.equal(await s.insertConnection(conn(A, 'c1', { description: 'other' })), false);
        assert.deepEqual(await s.getConnection(A, 'c1'), c);
        assert.deepEqual(await s.getConnectionByArn(c.arn), c);
        assert.equal(await s.getConnection(B, 'c1'), undefined);
        assert.equal(await s.getConnectionByArn(`${c.arn}0`), undefined);
      });

      check('listConnections pages in name order, by prefix and by state', async (s) => {
        await s.insertConnection(conn(A, 'b'));
        await s.insertConnection(conn(A, 'a_', { state: 'AUTHORIZING' }));
        await s.insertConnection(conn(A, 'ab'));
        await s.insertConnection(conn(C, 'a'));
        assert.deepEqual(names(await s.listConnections(A, { limit: 100 })), ['a_', 'ab', 'b']);
        assert.deepEqual(names(await s.listConnections(A, { limit: 1, after: 'a_' })), ['ab']);
        assert.deepEqual(names(await s.listConnections(A, { limit: 100, namePrefix: 'a_' })), ['a_']);
        assert.deepEqual(names(await s.listConnections(A, { limit: 100, state: 'AUTHORIZING' })), ['a_']);
      });

      check('updateConnection replaces document, state and sealed secrets (dropped when absent); delete removes it', async (s) => {
        const c = conn(A, 'c');
        await s.insertConnection(c);
        const { sealedSecrets: _x, ...deauthorized } = { ...c, state: 'DEAUTHORIZED' as const, modifiedAt: T0 + 1 };
        await s.updateConnection(deauthorized);
        assert.deepEqual(await s.getConnection(A, 'c'), deauthorized);
        assert.deepEqual(names(await s.listConnections(A, { limit: 100, state: 'DEAUTHORIZED' })), ['c']);
        await s.updateConnection({ ...deauthorized, sealedSecrets: 'v1.bmV3' });
        assert.equal((await s.getConnection(A, 'c'))?.sealedSecrets, 'v1.bmV3');
        await s.deleteConnection(A, 'c');
        assert.equal(await s.getConnection(A, 'c'), undefined);
      });

      check('API destinations: insert once, get by name and ARN, list by prefix and connection, update, delete', async (s) => {
        const c1 = conn(A, 'c1');
        const c2 = conn(A, 'c2', { arn: connectionArn(A, 'c2', '22222222-2222-3333-4444-555555555555') });
        const d1 = dest(A, 'd1', c1.arn);
        assert.equal(await s.insertApiDestination(d1), true);
        assert.equal(await s.insertApiDestination(dest(A, 'd1', c2.arn)), false);
        await s.insertApiDestination(dest(A, 'd2', c2.arn));
        await s.insertApiDestination(dest(B, 'd1', c1.arn));
        assert.deepEqual(await s.getApiDestination(A, 'd1'), d1);
        assert.deepEqual(await s.getApiDestinationByArn(d1.arn), d1);
        assert.deepEqual(names(await s.listApiDestinations(A, { limit: 100 })), ['d1', 'd2']);
        assert.deepEqual(names(await s.listApiDestinations(A, { limit: 100, connectionArn: c2.arn })), ['d2']);
        assert.deepEqual(names(await s.listApiDestinations(A, { limit: 100, namePrefix: 'd1' })), ['d1']);
        const moved = { ...d1, connectionArn: c2.arn, httpMethod: 'PUT', modifiedAt: T0 + 1 };
        await s.updateApiDestination(moved);
        assert.deepEqual(await s.getApiDestination(A, 'd1'), moved);
        assert.deepEqual(names(await s.listApiDestinations(A, { limit: 100, connectionArn: c2.arn })), ['d1', 'd2']);
        await s.deleteApiDestination(A, 'd1');
        assert.equal(await s.getApiDestination(A, 'd1'), undefined);
        assert.deepEqual(await s.getApiDestination(B, 'd1'), dest(B, 'd1', c1.arn));
      });
    });
  });
}
