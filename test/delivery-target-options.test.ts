// What EventBridge lacks, as options on a rule target (docs/target-options.md), end to end in
// one process: the real server on an injected clock, the real SDK, a real HTTP sink
// (helpers/delivery-harness.ts). Shown: a rate limit holding within 10% over 10 s, excess waiting
// and none dropped; a concurrency limit never exceeded; the circuit breaker opening, holding
// deliveries without spending their attempts, and closing after a successful probe, each change
// visible through the API; 1,000 interleaved groups delivered in order under concurrency, with
// retries and a restart in the middle; the options read and written through the Switchyard API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { ListTagsForResourceCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';

import type { ApiError } from '../src/cli/client.js';
import { ACCOUNT, DeliveryBench, REGION } from './helpers/delivery-harness.js';
import { BIN, REPO } from './helpers/server.js';

let bench!: DeliveryBench;

before(async () => {
  bench = new DeliveryBench();
  await bench.start();
});

after(async () => {
  await bench?.close();
});

/** `switchyard target-options ...` as a user runs it, against the test's server. */
function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'target-options', ...args], { cwd: REPO, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

const idOf = (body: string): string => (JSON.parse(body) as { id: string }).id;

async function state(eventId: string, ruleArn: string): Promise<{ state: string; attempts: number }> {
  const s = await bench.server.store.deliveryState(eventId, ruleArn, 'sink');
  return { state: s?.state ?? 'none', attempts: s?.attempts ?? -1 };
}

describe('speed control', () => {
  it('a rate limit holds within 10% over 10 s; the excess waits in order and none is dropped', async () => {
    const { ruleArn } = await bench.route('paced');
    await bench.tag(ruleArn, { 'rate-limit-per-second': '20', 'rate-limit-burst': '5' });
    const ids = await bench.put('paced', Array.from({ length: 300 }, (_, n) => ({ n })));
    const t0 = bench.clock;
    await bench.settle();
    for (let step = 0; step < 100; step++) await bench.advance(100);
    // 10 s at 20/s, plus the burst of 5 at the start: 205, and no 1-s window above 20 + 5.
    const inTen = bench.at('paced').filter((a) => a.clock < t0 + 10_000);
    assert.ok(Math.abs(inTen.length - 205) <= 20.5, `${inTen.length} attempts in 10 s, expected 205 +- 10%`);
    const times = bench.at('paced').map((a) => a.clock);
    for (const t of times) {
      const inSecond = times.filter((u) => u >= t && u < t + 1_000).length;
      assert.ok(inSecond <= 25, `${inSecond} attempts in the second from ${t - t0} ms`);
    }
    // The excess waited its turn, in acceptance order; none was dropped.
    for (let step = 0; step < 60; step++) await bench.advance(100);
    assert.deepEqual(bench.at('paced').map((a) => idOf(a.body)), ids);
    for (const id of ids.slice(-3)) assert.deepEqual(await state(id, ruleArn), { state: 'delivered', attempts: 1 });
  });

  it("waiting does not outlive the event's maximum age: what is still waiting then is given up", async () => {
    const { ruleArn } = await bench.route('aging', { RetryPolicy: { MaximumEventAgeInSeconds: 60 } });
    await bench.tag(ruleArn, { 'rate-limit-per-second': '1' });
    const ids = await bench.put('aging', Array.from({ length: 100 }, (_, n) => ({ n })));
    for (let step = 0; step < 70; step++) await bench.advance(1_000);
    const delivered = bench.at('aging').length;
    // One a second from the start up to the 60-s deadline (both ends included), then nothing.
    assert.ok(delivered >= 60 && delivered <= 62, `${delivered} attempted`);
    const last = ids.at(-1) as string;
    const s = await bench.server.store.deliveryState(last, ruleArn, 'sink');
    assert.equal(s?.state, 'dropped');
    assert.match(s?.lastError ?? '', /^THROTTLING: The event was older than MaximumEventAgeInSeconds \(60\) before its attempt could be made\.$/);
    assert.equal(bench.at('aging').length, delivered, 'the given-up ones were never sent');
  });

  it('a concurrency limit is never exceeded (and is used)', async () => {
    const { ruleArn } = await bench.route('narrow');
    await bench.tag(ruleArn, { 'max-concurrency': '3' });
    bench.answers.set('/narrow', () => ({ status: 200, holdMs: 15 }));
    await bench.put('narrow', Array.from({ length: 30 }, (_, n) => ({ n })));
    await bench.settle();
    assert.equal(bench.at('narrow').length, 30);
    assert.equal(bench.mostAtOnce.get('/narrow'), 3);
  });
});

describe('circuit breaker', () => {
  it('opens on failures, holds deliveries without spending attempts, closes after a successful probe', async () => {
    const { ruleArn } = await bench.route('flaky');
    await bench.switchyard('PutTargetOptions', {
      Rule: 'flaky',
      TargetId: 'sink',
      Options: { CircuitBreaker: { FailurePercent: 50, MinimumAttempts: 4, WindowSeconds: 60, CooldownSeconds: 30 } },
    });
    let healthy = false;
    bench.answers.set('/flaky', () => ({ status: healthy ? 200 : 503 }));
    const first = await bench.put('flaky', [1, 2, 3, 4].map((n) => ({ n })));
    await bench.settle();
    assert.equal(bench.at('flaky').length, 4, 'four attempts, all failed');
    const open = await bench.switchyard('GetTargetOptions', { Rule: 'flaky', TargetId: 'sink' });
    assert.equal((open.CircuitBreaker as { State: string }).State, 'OPEN');

    // Open: new events and due retries wait, and spend nothing.
    const later = await bench.put('flaky', [5, 6].map((n) => ({ n })));
    await bench.advance(5_000); // the first retries (after ~1.5 s) fall due
    assert.equal(bench.at('flaky').length, 4, 'nothing attempted while open');
    for (const id of first) assert.deepEqual(await state(id, ruleArn), { state: 'pending', attempts: 1 });
    for (const id of later) assert.deepEqual(await state(id, ruleArn), { state: 'pending', attempts: 0 });

    // The cooldown passes: one probe; it succeeds, the breaker closes, the rest go.
    healthy = true;
    await bench.advance(25_000);
    assert.equal(bench.at('flaky').length, 4 + 6);
    for (const id of first) assert.deepEqual(await state(id, ruleArn), { state: 'delivered', attempts: 2 });
    for (const id of later) assert.deepEqual(await state(id, ruleArn), { state: 'delivered', attempts: 1 });
    const closed = await bench.switchyard('GetTargetOptions', { Rule: 'flaky', TargetId: 'sink' });
    const breaker = closed.CircuitBreaker as { State: string; Changes: { From: string; To: string; Reason: string }[] };
    assert.equal(breaker.State, 'CLOSED');
    assert.deepEqual(
      breaker.Changes.map((c) => `${c.From}->${c.To}`).reverse(),
      ['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->CLOSED'],
    );
    assert.equal(breaker.Changes.at(-1)?.Reason, '4 of the last 4 attempts in 60 s failed');
  });

  it('is the endpoint’s: failures through one rule hold the other rule’s deliveries to it too', async () => {
    const { ruleArn, destinationArn } = await bench.route('shared-endpoint');
    // A second rule, on other events, whose target is the same API destination.
    await bench.events.send(new PutRuleCommand({ Name: 'shared-endpoint-2', EventPattern: '{"source":["shared-endpoint-2"]}' }));
    await bench.events.send(
      new PutTargetsCommand({ Rule: 'shared-endpoint-2', Targets: [{ Id: 'sink', Arn: destinationArn, RoleArn: `arn:aws:iam::${ACCOUNT}:role/events` }] }),
    );
    const ruleArn2 = ruleArn.replace('rule/shared-endpoint', 'rule/shared-endpoint-2');
    const breaker = { 'circuit-breaker-failure-percent': '100', 'circuit-breaker-minimum-attempts': '2', 'max-concurrency': '1' };
    await bench.tag(ruleArn, breaker);
    await bench.tag(ruleArn2, breaker);
    bench.answers.set('/shared-endpoint', () => ({ status: 503 }));
    await bench.put('shared-endpoint', [{ n: 1 }, { n: 2 }]);
    await bench.settle();
    assert.equal(bench.at('shared-endpoint').length, 2, 'two failures through the first rule: open');
    const [other] = await bench.put('shared-endpoint-2', [{ n: 3 }]);
    await bench.settle();
    assert.equal(bench.at('shared-endpoint').length, 2, 'the second rule waits too');
    assert.deepEqual(await state(other as string, ruleArn2), { state: 'pending', attempts: 0 });
    for (const rule of ['shared-endpoint', 'shared-endpoint-2']) {
      const got = await bench.switchyard('GetTargetOptions', { Rule: rule, TargetId: 'sink' });
      assert.equal((got.CircuitBreaker as { State: string }).State, 'OPEN', rule);
    }
  });

  it('a failed probe opens it again for another cooldown', async () => {
    const { ruleArn } = await bench.route('dead');
    // One at a time, so that each outcome is known before the next attempt starts.
    await bench.tag(ruleArn, {
      'circuit-breaker-failure-percent': '100',
      'circuit-breaker-minimum-attempts': '2',
      'circuit-breaker-cooldown-seconds': '10',
      'max-concurrency': '1',
    });
    bench.answers.set('/dead', () => ({ status: 500 }));
    await bench.put('dead', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    await bench.settle();
    assert.equal(bench.at('dead').length, 2, 'opened after two failures; the third waits');
    await bench.advance(10_000);
    assert.equal(bench.at('dead').length, 3, 'one probe');
    await bench.advance(5_000);
    assert.equal(bench.at('dead').length, 3, 'open again: nothing before the next cooldown ends');
    await bench.advance(5_000);
    assert.equal(bench.at('dead').length, 4, 'the next probe');
  });
});

describe('ordered delivery', () => {
  it('1,000 interleaved groups arrive in order under concurrency, with retries and a restart in the middle', async () => {
    const { ruleArn } = await bench.route('orders');
    await bench.tag(ruleArn, { 'order-by': '$.detail.order', 'max-concurrency': '16' });
    // Every 7th request fails (503): retried after its backoff, its group waits behind it.
    let requests = 0;
    bench.answers.set('/orders', () => ({ status: ++requests % 7 === 0 ? 503 : 200, holdMs: 1 }));
    const GROUPS = 1_000;
    const STEPS = 3;
    const details = [];
    for (let step = 0; step < STEPS; step++) for (let order = 0; order < GROUPS; order++) details.push({ order, step });
    await bench.put('orders', details);
    await bench.settle();
    await bench.advance(2_000);
    const before = bench.at('orders').filter((a) => a.status === 200).length;
    assert.ok(before > 0 && before < GROUPS * STEPS, `a restart in the middle (${before} delivered before it)`);
    await bench.restart();
    for (let i = 0; i < 40 && bench.at('orders').filter((a) => a.status === 200).length < GROUPS * STEPS; i++) await bench.advance(5_000);

    const delivered = new Map<number, number[]>();
    for (const a of bench.at('orders')) {
      if (a.status !== 200) continue;
      const { order, step } = (JSON.parse(a.body) as { detail: { order: number; step: number } }).detail;
      let steps = delivered.get(order);
      if (steps === undefined) delivered.set(order, (steps = []));
      steps.push(step);
    }
    assert.equal(delivered.size, GROUPS);
    const outOfOrder = [...delivered].filter(([, steps]) => steps.join() !== '0,1,2');
    assert.deepEqual(outOfOrder.slice(0, 5), [], `${outOfOrder.length} groups out of order or not exactly once`);
    assert.ok(requests > GROUPS * STEPS, 'some attempts failed and were retried');
    assert.ok((bench.mostAtOnce.get('/orders') ?? 0) > 1, 'groups went in parallel');
    assert.ok((bench.mostAtOnce.get('/orders') ?? 0) <= 16);
  });

  it('a group whose head is dead-lettered moves on', async () => {
    const sqs = new SQSClient({ endpoint: bench.server.url, region: REGION, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
    await sqs.send(new CreateQueueCommand({ QueueName: 'strict-dlq' }));
    sqs.destroy();
    const { ruleArn } = await bench.route('strict', { DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:strict-dlq` } });
    await bench.tag(ruleArn, { 'order-by': '$.detail.order' });
    bench.answers.set('/strict', (body) => ({ status: (JSON.parse(body) as { detail: { step: number } }).detail.step === 0 ? 400 : 200 }));
    const [head, next] = await bench.put('strict', [{ order: 1, step: 0 }, { order: 1, step: 1 }]);
    await bench.settle();
    assert.equal((await state(head as string, ruleArn)).state, 'dead-lettered');
    assert.deepEqual(await state(next as string, ruleArn), { state: 'delivered', attempts: 1 });
  });
});

describe('the Switchyard API for target options', () => {
  it('puts, gets and deletes a target’s options, kept as the rule’s switchyard: tags', async () => {
    const { ruleArn } = await bench.route('configured');
    const put = await bench.switchyard('PutTargetOptions', {
      Rule: 'configured',
      TargetId: 'sink',
      Options: { TimeoutSeconds: 20, RateLimitPerSecond: 2.5, RateLimitBurst: 10, MaxConcurrency: 4, OrderBy: '$.detail.customer' },
    });
    const options = { TimeoutSeconds: 20, RateLimitPerSecond: 2.5, RateLimitBurst: 10, MaxConcurrency: 4, OrderBy: '$.detail.customer' };
    assert.deepEqual(put, { RuleArn: ruleArn, TargetId: 'sink', Options: options });
    assert.deepEqual((await bench.switchyard('GetTargetOptions', { Rule: 'configured', TargetId: 'sink' })).Options, options);
    const tags = (await bench.events.send(new ListTagsForResourceCommand({ ResourceARN: ruleArn }))).Tags ?? [];
    assert.deepEqual(
      tags.map((t) => `${t.Key}=${t.Value}`).sort(),
      [
        'switchyard:target:sink:max-concurrency=4',
        'switchyard:target:sink:order-by=$.detail.customer',
        'switchyard:target:sink:rate-limit-burst=10',
        'switchyard:target:sink:rate-limit-per-second=2.5',
        'switchyard:target:sink:timeout-seconds=20',
      ],
    );
    // Put replaces every option of the target.
    await bench.switchyard('PutTargetOptions', { Rule: 'configured', TargetId: 'sink', Options: { MaxConcurrency: 2 } });
    assert.deepEqual((await bench.switchyard('GetTargetOptions', { Rule: 'configured', TargetId: 'sink' })).Options, { MaxConcurrency: 2 });
    await bench.switchyard('DeleteTargetOptions', { Rule: 'configured', TargetId: 'sink' });
    assert.deepEqual(await bench.switchyard('GetTargetOptions', { Rule: 'configured', TargetId: 'sink' }), { RuleArn: ruleArn, TargetId: 'sink', Options: {} });
  });

  it('the CLI sets, gets and clears them: switchyard target-options', async () => {
    await bench.route('by-cli');
    const base = ['--rule', 'by-cli', '--target', 'sink', '--endpoint', bench.server.url];
    const set = await cli(['set', ...base, '--max-concurrency', '2', '--breaker-failure-percent', '50', '--order-by', '$.detail.id']);
    assert.equal(set.code, 0, set.stderr);
    const expected = { MaxConcurrency: 2, CircuitBreaker: { FailurePercent: 50 }, OrderBy: '$.detail.id' };
    assert.deepEqual((JSON.parse(set.stdout) as { Options: unknown }).Options, expected);
    const got = await cli(['get', ...base]);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual((JSON.parse(got.stdout) as { Options: unknown }).Options, expected);
    const bad = await cli(['set', ...base, '--max-concurrency', 'lots']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "switchyard target-options: ValidationException: Tag switchyard:target:sink:max-concurrency: the value 'lots' must be a whole number from 1 to 1000.\n");
    assert.equal((await cli(['set', '--rule', 'by-cli'])).code, 2, 'no --target: a usage error');
    assert.equal((await cli(['clear', ...base])).code, 0);
    assert.deepEqual((JSON.parse((await cli(['get', ...base])).stdout) as { Options: unknown }).Options, {});
  });

  it('refuses bad options and unknown rules in AWS’s error shape', async () => {
    await bench.route('checked');
    const refused = async (input: Record<string, unknown>, code: string, message: string): Promise<void> => {
      await assert.rejects(bench.switchyard('PutTargetOptions', input), (e: ApiError) => {
        assert.equal(e.code, code);
        assert.equal(e.message, message);
        return true;
      });
    };
    await refused({ Rule: 'checked', TargetId: 'sink', Options: { MaxConcurrency: 0 } }, 'ValidationException', "Tag switchyard:target:sink:max-concurrency: the value '0' must be a whole number from 1 to 1000.");
    await refused({ Rule: 'checked', TargetId: 'sink', Options: { Speed: 1 } }, 'ValidationException', 'Unknown member Options.Speed.');
    await refused({ Rule: 'checked', TargetId: 'sink', Options: { CircuitBreaker: { CooldownSeconds: 5 } } }, 'ValidationException', 'Options.CircuitBreaker.FailurePercent is required.');
    await refused({ Rule: 'checked', TargetId: 'sink', Options: { OrderBy: 'detail.id' } }, 'ValidationException', "Tag switchyard:target:sink:order-by: the value 'detail.id' must be a JSONPath to one value ($.detail.orderId) or MessageGroupId.");
    await refused({ Rule: 'checked', TargetId: 'sink' }, 'ValidationException', 'Options is required: an object (an empty one clears every option).');
    await refused({ Rule: 'nope', TargetId: 'sink', Options: {} }, 'ResourceNotFoundException', 'Rule nope does not exist on EventBus default.');
  });
});
