// End to end: two accounts on one server. A server started with credentials maps each access key
// to its account; two AWS SDK clients, one per account, show that the accounts never see each
// other's buses, rules or events, and that PutEvents from one account onto the other's bus is
// refused until the bus owner's PutPermission allows it, and refused again after RemovePermission.
// Events are read back from the server's SQLite file, opened read-only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type Database from 'better-sqlite3';

import { rejects, stopAndCheck } from './helpers/aws.js';
import { openDatabase, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const A = { accessKeyId: 'AKIDA', secretAccessKey: 'secretA', account: '111111111111' } as const;
const B = { accessKeyId: 'AKIDB', secretAccessKey: 'secretB', account: '222222222222' } as const;
const B_QUEUE = `arn:aws:sqs:${REGION}:${B.account}:b-queue`;

const busArn = (account: string, name: string): string => `arn:aws:events:${REGION}:${account}:event-bus/${name}`;
const ruleArn = (account: string, bus: string, name: string): string =>
  `arn:aws:events:${REGION}:${account}:rule/${bus === 'default' ? name : `${bus}/${name}`}`;

let server!: ServerProcess;
let a!: EventBridgeClient;
let b!: EventBridgeClient;
let db: Database.Database | undefined;

const client = (who: typeof A | typeof B): EventBridgeClient =>
  new EventBridgeClient({
    endpoint: server.url,
    region: REGION,
    credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey },
    maxAttempts: 1,
  });

before(async () => {
  server = await startServer({
    args: ['--credentials', `${A.accessKeyId}:${A.secretAccessKey}:${A.account},${B.accessKeyId}:${B.secretAccessKey}:${B.account}`],
  });
  a = client(A);
  b = client(B);
});

after(async () => {
  db?.close();
  a?.destroy();
  b?.destroy();
  await stopAndCheck(server);
});

/**
 * The call must be refused, whatever the error (for answers AWS has not been seen to give). When
 * it is allowed, what it answered is added to `leaks`, so that one run shows every leak.
 */
async function expectRefused(p: Promise<unknown>, what: string, leaks: string[]): Promise<void> {
  let result: unknown;
  try {
    result = await p;
  } catch (e) {
    assert.ok(e instanceof Error);
    assert.notEqual(e.name, 'InternalException', `${what}: ${e.message}`);
    return;
  }
  const { $metadata: _m, ...shown } = result as Record<string, unknown>;
  leaks.push(`${what} was allowed; it answered ${JSON.stringify(shown)}`);
}

function store(): Database.Database {
  db ??= openDatabase(server.dataDir);
  return db;
}

interface EventRow {
  account: string;
  region: string;
  bus: string;
  envelope: string;
}

function eventRow(id: string): EventRow | undefined {
  return store().prepare('SELECT account, region, bus, envelope FROM events WHERE id = ?').get(id) as EventRow | undefined;
}

function owed(eventId: string): { rule_arn: string; target_id: string }[] {
  return store().prepare('SELECT rule_arn, target_id FROM deliveries WHERE event_id = ? ORDER BY rule_arn, target_id').all(eventId) as {
    rule_arn: string;
    target_id: string;
  }[];
}

function eventsOnBus(account: string, bus: string): number {
  return (store().prepare('SELECT count(*) AS n FROM events WHERE account = ? AND bus = ?').get(account, bus) as { n: number }).n;
}

async function putOne(c: EventBridgeClient, entry: PutEventsRequestEntry): Promise<string> {
  const out = await c.send(new PutEventsCommand({ Entries: [entry] }));
  assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.Entries));
  const id = out.Entries?.[0]?.EventId;
  assert.ok(id !== undefined && id !== '');
  return id;
}

const SHARED_SOURCE = 'e2e.accounts';
const entry = (bus?: string): PutEventsRequestEntry => ({
  Source: SHARED_SOURCE,
  DetailType: 'Cross Account',
  Detail: '{"from":"a"}',
  ...(bus === undefined ? {} : { EventBusName: bus }),
});

describe('two accounts on one server', () => {
  before(async () => {
    // B's resources: a custom bus with a rule and a target, and a rule on its default bus that
    // matches the same events A will put on A's own default bus.
    await b.send(new CreateEventBusCommand({ Name: 'b-orders', Tags: [{ Key: 'owner', Value: 'b' }] }));
    await b.send(new PutRuleCommand({ Name: 'b-rule', EventBusName: 'b-orders', EventPattern: JSON.stringify({ source: [SHARED_SOURCE] }) }));
    await b.send(new PutTargetsCommand({ Rule: 'b-rule', EventBusName: 'b-orders', Targets: [{ Id: 'b-target', Arn: B_QUEUE }] }));
    await b.send(new PutRuleCommand({ Name: 'b-default-rule', EventPattern: JSON.stringify({ source: [SHARED_SOURCE] }) }));
    await b.send(new PutTargetsCommand({ Rule: 'b-default-rule', Targets: [{ Id: 'b-target', Arn: B_QUEUE }] }));
  });

  it('each account has its own default bus', async () => {
    const da = await a.send(new DescribeEventBusCommand({}));
    const dbus = await b.send(new DescribeEventBusCommand({}));
    assert.equal(da.Arn, busArn(A.account, 'default'));
    assert.equal(dbus.Arn, busArn(B.account, 'default'));
    assert.deepEqual(
      (await a.send(new ListEventBusesCommand({}))).EventBuses?.map((bus) => bus.Arn),
      [busArn(A.account, 'default')],
      'A lists only its own buses',
    );
    assert.deepEqual(
      (await b.send(new ListEventBusesCommand({}))).EventBuses?.map((bus) => bus.Arn).sort(),
      [busArn(B.account, 'b-orders'), busArn(B.account, 'default')],
    );
  });

  it("A cannot see B's buses and rules by name", async () => {
    await rejects(a.send(new DescribeEventBusCommand({ Name: 'b-orders' })), 'ResourceNotFoundException', 'Event bus b-orders does not exist.');
    await rejects(
      a.send(new DescribeRuleCommand({ Name: 'b-rule', EventBusName: 'b-orders' })),
      'ResourceNotFoundException',
      'Event bus b-orders does not exist.',
    );
    await rejects(
      a.send(new DescribeRuleCommand({ Name: 'b-default-rule' })),
      'ResourceNotFoundException',
      'Rule b-default-rule does not exist on EventBus default.',
    );
    assert.deepEqual((await a.send(new ListRulesCommand({}))).Rules, []);
    await rejects(
      a.send(new ListTargetsByRuleCommand({ Rule: 'b-default-rule' })),
      'ResourceNotFoundException',
      'Rule b-default-rule does not exist on EventBus default.',
    );
    // B's ARNs in the tag operations: refused without telling A whether they exist.
    await rejects(
      a.send(new ListTagsForResourceCommand({ ResourceARN: busArn(B.account, 'b-orders') })),
      'ResourceNotFoundException',
      'Event bus b-orders does not exist.',
    );
    await rejects(
      a.send(new ListTagsForResourceCommand({ ResourceARN: ruleArn(B.account, 'default', 'b-default-rule') })),
      'ResourceNotFoundException',
      'Rule b-default-rule does not exist on EventBus default.',
    );
  });

  // AWS: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html: "The default
  // event bus in your AWS account only allows events from one account. ... With a resource-based
  // policy, you can allow PutEvents, PutRule, and PutTargets API calls from another account", and
  // the operations that take a bus name also take its ARN "to reference cross-account ... event
  // buses". So without such a policy, B's bus ARN gives A nothing (AWS's refusal is IAM's
  // AccessDeniedException; its exact text for these calls is not recorded, so only the refusal is
  // asserted). Switchyard today lets A read B's bus and rules and add rules and targets to it.
  it("A cannot read, or add rules to, B's bus through its ARN", async () => {
    const leaks: string[] = [];
    const bBus = busArn(B.account, 'b-orders');
    await expectRefused(a.send(new DescribeEventBusCommand({ Name: bBus })), "DescribeEventBus of B's bus by ARN", leaks);
    await expectRefused(a.send(new ListRulesCommand({ EventBusName: bBus })), "ListRules on B's bus by ARN", leaks);
    await expectRefused(a.send(new DescribeRuleCommand({ Name: 'b-rule', EventBusName: bBus })), "DescribeRule on B's bus by ARN", leaks);
    await expectRefused(a.send(new ListTargetsByRuleCommand({ Rule: 'b-rule', EventBusName: bBus })), "ListTargetsByRule on B's bus by ARN", leaks);
    await expectRefused(
      a.send(new PutRuleCommand({ Name: 'planted-by-a', EventBusName: bBus, EventPattern: '{"source":["planted"]}' })),
      "PutRule on B's bus by ARN",
      leaks,
    );
    const bRules = (await b.send(new ListRulesCommand({ EventBusName: 'b-orders' }))).Rules?.map((r) => r.Name) ?? [];
    if (bRules.includes('planted-by-a')) leaks.push(`B's bus now has a rule planted by A: ${JSON.stringify(bRules)}`);
    // Changing B's rules: a rule of B's kept for this, so the other tests' rules stay as they are.
    await b.send(new PutRuleCommand({ Name: 'b-victim', EventBusName: 'b-orders', EventPattern: '{"source":["victim"]}' }));
    await expectRefused(
      a.send(new PutTargetsCommand({ Rule: 'b-victim', EventBusName: bBus, Targets: [{ Id: 'to-a', Arn: `arn:aws:sqs:${REGION}:${A.account}:a-queue` }] })),
      "PutTargets on B's rule by bus ARN",
      leaks,
    );
    await expectRefused(a.send(new DisableRuleCommand({ Name: 'b-victim', EventBusName: bBus })), "DisableRule on B's rule by bus ARN", leaks);
    const victim = await b.send(new DescribeRuleCommand({ Name: 'b-victim', EventBusName: 'b-orders' }));
    if (victim.State !== 'ENABLED') leaks.push(`B's rule was disabled by A: ${victim.State}`);
    const victimTargets = (await b.send(new ListTargetsByRuleCommand({ Rule: 'b-victim', EventBusName: 'b-orders' }))).Targets ?? [];
    if (victimTargets.length > 0) leaks.push(`B's rule now sends to A: ${JSON.stringify(victimTargets)}`);
    // Naming an account nobody has used must not show (or create) anything in it either.
    await expectRefused(a.send(new DescribeEventBusCommand({ Name: busArn('333333333333', 'default') })), 'DescribeEventBus in a third account', leaks);
    assert.deepEqual(leaks, []);
  });

  it("A's events stay in A's account: its own default bus, and a bus name that only B has", async () => {
    const own = await putOne(a, entry());
    assert.equal(eventRow(own)?.account, A.account);
    assert.equal(eventRow(own)?.bus, 'default');
    assert.deepEqual(owed(own), [], "B's rule on B's default bus is not owed A's event");

    // "b-orders" as a name means A's own bus of that name, which does not exist: accepted and dropped.
    const dropped = await putOne(a, entry('b-orders'));
    assert.equal(eventRow(dropped), undefined);
    assert.equal(eventsOnBus(B.account, 'b-orders'), 0);
  });

  it("PutEvents onto B's bus: refused, allowed after B's PutPermission, refused again after RemovePermission", async () => {
    const bBus = busArn(B.account, 'b-orders');
    // Switchyard's answer (the whole request is refused); AWS's text for this case is not recorded.
    const denied = `User: arn:aws:iam::${A.account}:root is not authorized to perform: events:PutEvents on resource: ${bBus} because no resource-based policy allows the events:PutEvents action`;
    await rejects(a.send(new PutEventsCommand({ Entries: [entry(bBus)] })), 'AccessDeniedException', denied);
    assert.equal(eventsOnBus(B.account, 'b-orders'), 0, 'nothing reached B');

    await b.send(new PutPermissionCommand({ EventBusName: 'b-orders', Action: 'events:PutEvents', Principal: A.account, StatementId: 'allow-a' }));
    assert.deepEqual(JSON.parse((await b.send(new DescribeEventBusCommand({ Name: 'b-orders' }))).Policy ?? 'null'), {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'allow-a', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A.account}:root` }, Action: 'events:PutEvents', Resource: bBus },
      ],
    });

    const id = await putOne(a, entry(bBus));
    const row = eventRow(id);
    assert.equal(row?.account, B.account, "the event lands on B's bus, in B's account");
    assert.equal(row?.bus, 'b-orders');
    assert.equal(row?.region, REGION);
    const envelope = JSON.parse(row?.envelope ?? '{}') as Record<string, unknown>;
    assert.equal(envelope.account, A.account, "the envelope's account is the sender's");
    assert.equal(envelope.source, SHARED_SOURCE);
    assert.deepEqual(owed(id), [{ rule_arn: ruleArn(B.account, 'b-orders', 'b-rule'), target_id: 'b-target' }], "B's rule is owed it");
    assert.equal(eventsOnBus(B.account, 'b-orders'), 1);

    // The permission is for b-orders only: B's default bus still refuses A.
    await rejects(
      a.send(new PutEventsCommand({ Entries: [entry(busArn(B.account, 'default'))] })),
      'AccessDeniedException',
      denied.replace(bBus, busArn(B.account, 'default')),
    );

    await b.send(new RemovePermissionCommand({ EventBusName: 'b-orders', StatementId: 'allow-a' }));
    await rejects(a.send(new PutEventsCommand({ Entries: [entry(bBus)] })), 'AccessDeniedException', denied);
    assert.equal(eventsOnBus(B.account, 'b-orders'), 1, 'nothing more reached B');

    // B itself may always use its bus, by name or ARN.
    const fromB = await putOne(b, entry(bBus));
    assert.equal(JSON.parse(eventRow(fromB)?.envelope ?? '{}').account, B.account);
  });
});
