// End-to-end tour with the AWS CLI (aws-cli 1.x from the machine's Python) against a real server
// process: the CLI, unchanged, pointed at Switchyard with --endpoint-url. Every step asserts on
// the CLI's parsed JSON output, as a user's script would see it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';

import { CLI_REGION as REGION, cliVersion, runCli } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';
import { assertNoServersLeft, removeDataDir, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const ACCOUNT = '000000000000';
const REQUIRE_SERVICES = process.env.SWITCHYARD_REQUIRE_SERVICES === '1';

after(() => assertNoServersLeft());

test('AWS CLI tour: buses, rules, targets, events, patterns, errors', async (t: TestContext) => {
  const version = await cliVersion('aws');
  if (version === null) {
    const reason = 'the AWS CLI (`aws`) is not on PATH; install awscli in the machine Python to run this test';
    if (REQUIRE_SERVICES) assert.fail(`${reason} (SWITCHYARD_REQUIRE_SERVICES=1)`);
    t.skip(reason);
    return;
  }
  t.diagnostic(version);

  const server: ServerProcess = await startServer();
  t.after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  /** Run `aws events <op> ...` and return its parsed JSON output; any failure fails the step. */
  const events = async (op: string, ...args: string[]): Promise<Record<string, unknown>> => {
    const r = await runCli('aws', ['events', op, ...args, '--endpoint-url', server.url, '--output', 'json']);
    assert.equal(r.code, 0, `aws events ${op} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };
  /** Run `aws events <op> ...` expecting it to fail. */
  const failing = async (op: string, ...args: string[]): Promise<CliResult> => {
    const r = await runCli('aws', ['events', op, ...args, '--endpoint-url', server.url, '--output', 'json']);
    assert.notEqual(r.code, 0, `aws events ${op} should have failed, printed ${r.stdout}`);
    return r;
  };

  const bus = 'cli-orders';
  const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`;
  const ruleArn = `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/big-orders`;
  const pattern = { source: ['shop'], 'detail-type': ['OrderPlaced'], detail: { total: [{ numeric: ['>', 100] }] } };

  await t.test('create-event-bus', async () => {
    const out = await events('create-event-bus', '--name', bus);
    assert.equal(out.EventBusArn, busArn);
  });

  await t.test('describe-event-bus', async () => {
    const out = await events('describe-event-bus', '--name', bus);
    assert.equal(out.Name, bus);
    assert.equal(out.Arn, busArn);
    const defaults = await events('describe-event-bus');
    assert.equal(defaults.Name, 'default');
    assert.equal(defaults.Arn, `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`);
  });

  await t.test('list-event-buses', async () => {
    const out = await events('list-event-buses');
    const names = (out.EventBuses as { Name: string }[]).map((b) => b.Name).sort();
    assert.deepEqual(names, [bus, 'default']);
  });

  await t.test('put-rule with --event-pattern', async () => {
    const out = await events(
      'put-rule',
      '--name',
      'big-orders',
      '--event-bus-name',
      bus,
      '--event-pattern',
      JSON.stringify(pattern),
      '--description',
      'orders over 100',
    );
    assert.equal(out.RuleArn, ruleArn);
    const other = await events('put-rule', '--name', 'all-shop', '--event-bus-name', bus, '--event-pattern', '{"source":["shop"]}');
    assert.equal(other.RuleArn, `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/all-shop`);
  });

  await t.test('describe-rule', async () => {
    const out = await events('describe-rule', '--name', 'big-orders', '--event-bus-name', bus);
    assert.equal(out.Name, 'big-orders');
    assert.equal(out.Arn, ruleArn);
    assert.equal(out.State, 'ENABLED');
    assert.equal(out.EventBusName, bus);
    assert.equal(out.Description, 'orders over 100');
    assert.deepEqual(JSON.parse(out.EventPattern as string), pattern);
  });

  await t.test('put-targets', async () => {
    const targets = [
      { Id: 'queue', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders` },
      { Id: 'audit', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:audit`, Input: '{"kind":"audit"}' },
    ];
    const out = await events('put-targets', '--rule', 'big-orders', '--event-bus-name', bus, '--targets', JSON.stringify(targets));
    assert.equal(out.FailedEntryCount, 0);
    assert.deepEqual(out.FailedEntries, []);
  });

  await t.test('list-targets-by-rule', async () => {
    const out = await events('list-targets-by-rule', '--rule', 'big-orders', '--event-bus-name', bus);
    const targets = (out.Targets as Record<string, unknown>[]).slice().sort((a, b) => String(a.Id).localeCompare(String(b.Id)));
    assert.deepEqual(targets, [
      { Id: 'audit', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:audit`, Input: '{"kind":"audit"}' },
      { Id: 'queue', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders` },
    ]);
  });

  await t.test('put-events with --entries', async () => {
    const entries = [
      { Source: 'shop', DetailType: 'OrderPlaced', Detail: JSON.stringify({ total: 250 }), EventBusName: bus },
      { Source: 'shop', DetailType: 'OrderPlaced', Detail: JSON.stringify({ total: 5 }), EventBusName: busArn },
      { Source: 'shop', DetailType: 'OrderPlaced', Detail: 'not json', EventBusName: bus },
    ];
    const out = await events('put-events', '--entries', JSON.stringify(entries));
    assert.equal(out.FailedEntryCount, 1);
    const results = out.Entries as Record<string, unknown>[];
    assert.equal(results.length, 3);
    for (const r of results.slice(0, 2)) assert.match(String(r.EventId), /^[0-9a-f-]{36}$/);
    assert.notEqual(results[0]?.EventId, results[1]?.EventId);
    assert.deepEqual(results[2], { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
  });

  await t.test('test-event-pattern', async () => {
    const event = {
      id: 'e1',
      account: ACCOUNT,
      source: 'shop',
      time: '2026-01-01T00:00:00Z',
      region: REGION,
      'detail-type': 'OrderPlaced',
      resources: [],
      detail: { total: 250 },
    };
    const yes = await events('test-event-pattern', '--event-pattern', JSON.stringify(pattern), '--event', JSON.stringify(event));
    assert.deepEqual(yes, { Result: true });
    const no = await events(
      'test-event-pattern',
      '--event-pattern',
      JSON.stringify(pattern),
      '--event',
      JSON.stringify({ ...event, detail: { total: 5 } }),
    );
    assert.deepEqual(no, { Result: false });
  });

  await t.test('list-rules (with --name-prefix)', async () => {
    const out = await events('list-rules', '--event-bus-name', bus);
    const rules = out.Rules as Record<string, unknown>[];
    assert.deepEqual(
      rules.map((r) => r.Name),
      ['all-shop', 'big-orders'],
    );
    const big = rules.find((r) => r.Name === 'big-orders');
    assert.equal(big?.Arn, ruleArn);
    assert.equal(big?.State, 'ENABLED');
    assert.equal(big?.EventBusName, bus);
    const prefixed = await events('list-rules', '--event-bus-name', bus, '--name-prefix', 'big');
    assert.deepEqual(
      (prefixed.Rules as Record<string, unknown>[]).map((r) => r.Name),
      ['big-orders'],
    );
  });

  await t.test('error: delete-event-bus --name default', async () => {
    const r = await failing('delete-event-bus', '--name', 'default');
    assert.match(r.stderr, /ValidationException/);
    assert.match(r.stderr, /Cannot delete event bus default\./);
  });

  await t.test('error: describe-rule of a rule that does not exist', async () => {
    const r = await failing('describe-rule', '--name', 'nope', '--event-bus-name', bus);
    assert.match(r.stderr, /ResourceNotFoundException/);
    assert.match(r.stderr, /Rule nope does not exist on EventBus cli-orders\./);
  });

  await t.test('error: delete-rule while it has targets', async () => {
    const r = await failing('delete-rule', '--name', 'big-orders', '--event-bus-name', bus);
    assert.match(r.stderr, /ValidationException/);
    assert.match(r.stderr, /Rule can't be deleted since it has targets\./);
  });

  await t.test('remove-targets, then delete-rule', async () => {
    const removed = await events('remove-targets', '--rule', 'big-orders', '--event-bus-name', bus, '--ids', 'queue', 'audit');
    assert.equal(removed.FailedEntryCount, 0);
    assert.deepEqual(removed.FailedEntries, []);
    const listed = await events('list-targets-by-rule', '--rule', 'big-orders', '--event-bus-name', bus);
    assert.deepEqual(listed.Targets, []);
    await events('delete-rule', '--name', 'big-orders', '--event-bus-name', bus);
    await events('delete-rule', '--name', 'all-shop', '--event-bus-name', bus);
    const rules = await events('list-rules', '--event-bus-name', bus);
    assert.deepEqual(rules.Rules, []);
  });

  await t.test('delete-event-bus', async () => {
    await events('delete-event-bus', '--name', bus);
    const r = await failing('describe-event-bus', '--name', bus);
    assert.match(r.stderr, /ResourceNotFoundException/);
    assert.match(r.stderr, /Event bus cli-orders does not exist\./);
    const buses = await events('list-event-buses');
    assert.deepEqual(
      (buses.EventBuses as { Name: string }[]).map((b) => b.Name),
      ['default'],
    );
  });
});
