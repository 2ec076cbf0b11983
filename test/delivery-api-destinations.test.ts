// Delivery to API destinations, end to end in one process: the real server (startServer) with an
// injected clock and fixed jitter, the real EventBridge and SQS SDKs, and a real HTTP sink that
// answers each request as the test cues it. Time is moved, not slept on: after each step the test
// advances the clock and waits for the dispatcher to attempt what is due (settleDeliveries).
//
// Shown: success on the first try; recovery after 5xx, 429 and a timeout, with the expected
// attempt count; Retry-After honoured; a 400 going straight to the dead-letter queue with its
// attributes; MaximumRetryAttempts and MaximumEventAgeInSeconds each exhausted with the right
// EXHAUSTED_RETRY_CONDITION; every attempt recorded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';

import { EventBridgeClient, PutEventsCommand, PutRuleCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-eventbridge';
import type { Target } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

import { resolveOptions } from '../src/config/options.js';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { sinkRouter } from './helpers/destinations.js';
import type { SinkRouter } from './helpers/destinations.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

/**
 * What the sink does with one request: answer a status (and headers), never answer, or answer
 * 200 only once a request for another path arrives (`{ until: path }`).
 */
type Cue =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly afterMs?: number }
  | 'hang'
  | { readonly until: string };

interface Received {
  /** When it arrived, in real ms (performance.now). */
  readonly at: number;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let clock = Date.parse('2026-11-27T12:00:00Z');
let dir!: string;
let server!: RunningServer;
let sink!: Server;
let sinkUrl!: string;
let events!: EventBridgeClient;
let sqs!: SQSClient;
/** Cues per path, used in order; when they run out the sink answers 200. */
const cues = new Map<string, Cue[]>();
const received: Received[] = [];
const hung: ServerResponse[] = [];
/** Held answers, each released (200) when a request for its `until` path arrives. */
const waiting: { until: string; res: ServerResponse }[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-delivery-'));
  sink = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ at: performance.now(), path, headers: req.headers, body });
      const cue = cues.get(path)?.shift() ?? { status: 200 };
      for (const [i, w] of waiting.entries()) {
        if (w.until !== path) continue;
        waiting.splice(i, 1);
        w.res.writeHead(200).end('ok');
      }
      if (cue === 'hang') {
        hung.push(res);
        return;
      }
      if ('until' in cue) {
        waiting.push({ until: cue.until, res });
        return;
      }
      const answer = (): void => {
        res.writeHead(cue.status, { 'content-type': 'text/plain', ...cue.headers });
        res.end(cue.status < 300 ? 'ok' : 'not ok');
      };
      if (cue.afterMs === undefined) answer();
      else setTimeout(answer, cue.afterMs);
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const options = resolveOptions({ port: 0, dataDir: dir }, {});
  // A short HTTP deadline, so the timeout case does not wait EventBridge's 5 s.
  server = await startServer(options, () => undefined, { now: () => clock, random: () => 0.5, httpTimeoutMs: 300 });
  events = new EventBridgeClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
  sqs = new SQSClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
  await sqs.send(new CreateQueueCommand({ QueueName: 'delivery-dlq' }));
});

after(async () => {
  for (const res of hung) res.destroy();
  for (const w of waiting) w.res.destroy();
  events?.destroy();
  sqs?.destroy();
  await server?.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

let router: SinkRouter | undefined;

/** A rule on source `name` with one API destination target at `/name` and the test's DLQ; its ARN. */
async function route(name: string, settings: Partial<Target> = {}, rate?: number): Promise<string> {
  router ??= sinkRouter(events, sinkUrl, { account: ACCOUNT, region: REGION });
  const dlq = { DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:delivery-dlq` } };
  return (await router.route(name, { ...dlq, ...settings }, rate)).ruleArn;
}

async function putOnly(source: string): Promise<string> {
  const out = await events.send(new PutEventsCommand({ Entries: [{ Source: source, DetailType: 'Test', Detail: '{"n":1}' }] }));
  assert.equal(out.FailedEntryCount, 0);
  return out.Entries?.[0]?.EventId as string;
}

/** Put one event and let the dispatcher make what attempts are due. */
async function put(source: string): Promise<string> {
  const id = await putOnly(source);
  await server.settleDeliveries();
  return id;
}

/** Move the clock and let the dispatcher attempt what fell due. */
async function advance(ms: number): Promise<void> {
  clock += ms;
  await server.settleDeliveries();
}

const hits = (name: string): number => received.filter((r) => r.path === `/${name}`).length;

async function deadLetters(): Promise<Record<string, string>[]> {
  const r = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: `${server.url}/${ACCOUNT}/delivery-dlq`,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      VisibilityTimeout: 0,
    }),
  );
  return (r.Messages ?? []).map((m) => ({
    body: m.Body as string,
    ...Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue as string])),
  }));
}

async function state(eventId: string, rule: string): Promise<{ state: string; attempts: number }> {
  const s = await server.store.deliveryState(eventId, rule, 'sink');
  return { state: s?.state ?? 'none', attempts: s?.attempts ?? -1 };
}

describe('API destinations: attempts, retries, dead-lettering', () => {
  it('delivers on the first try, with the connection auth and AWS headers', async () => {
    const rule = await route('first-try');
    const id = await put('first-try');
    assert.equal(hits('first-try'), 1);
    const r = received.find((x) => x.path === '/first-try');
    assert.equal(r?.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
    assert.equal(r?.headers['user-agent'], 'Amazon/EventBridge/ApiDestinations');
    assert.equal((JSON.parse(r?.body as string) as { id: string }).id, id);
    assert.deepEqual(await state(id, rule), { state: 'delivered', attempts: 1 });
    const attempts = await server.store.attemptsOf(id, rule, 'sink');
    assert.deepEqual(attempts.map((a) => [a.outcome, a.status]), [['delivered', 200]]);
  });

  it('recovers after 503, 429 and a timeout: four attempts, each recorded', async () => {
    cues.set('/recovers', [{ status: 503 }, { status: 429 }, 'hang']);
    const rule = await route('recovers');
    const id = await put('recovers');
    assert.equal(hits('recovers'), 1);
    assert.equal((await state(id, rule)).state, 'pending');
    await advance(1_000); // retry 1 after 1 s
    assert.equal(hits('recovers'), 2);
    await advance(1_500); // retry 2 after 1.5 s (jitter 0.5 of [1 s, 2 s])
    // The third attempt hangs: it ends at the client's deadline (the sink never answers).
    assert.equal(hits('recovers'), 3);
    assert.equal((await state(id, rule)).attempts, 3);
    await advance(60_000);
    assert.equal(hits('recovers'), 4);
    assert.deepEqual(await state(id, rule), { state: 'delivered', attempts: 4 });
    const attempts = await server.store.attemptsOf(id, rule, 'sink');
    assert.deepEqual(
      attempts.map((a) => [a.outcome, a.status ?? null]),
      [['failed', 503], ['failed', 429], ['failed', null], ['delivered', 200]],
    );
    assert.match(attempts[2]?.error ?? '', /^TIMEOUT/);
  });

  it('a slow target holds up nothing but itself', async () => {
    // The slow target's answer is held until the other target's request arrives: it can only be
    // delivered on its first attempt (before the client's deadline) if the dispatcher sends the
    // second event while the first is still waiting for its answer.
    cues.set('/slow', [{ until: '/quick' }]);
    const slowRule = await route('slow');
    const quickRule = await route('quick');
    const slow = await putOnly('slow');
    const quick = await putOnly('quick');
    await server.settleDeliveries();
    assert.deepEqual(await state(slow, slowRule), { state: 'delivered', attempts: 1 });
    assert.deepEqual(await state(quick, quickRule), { state: 'delivered', attempts: 1 });
  });

  it('InvocationRateLimitPerSecond: a burst of that many, then the excess waits its turn, none dropped', async () => {
    const rule = await route('paced', {}, 4);
    const out = await events.send(
      new PutEventsCommand({ Entries: Array.from({ length: 8 }, (_, n) => ({ Source: 'paced', DetailType: 'Test', Detail: JSON.stringify({ n }) })) }),
    );
    assert.equal(out.FailedEntryCount, 0);
    await server.settleDeliveries();
    const arrivals = received.filter((r) => r.path === '/paced').map((r) => r.at);
    assert.equal(arrivals.length, 8, 'every event delivered');
    // At most 4 in any second: the 5th no sooner than 1 s after the 1st, each later one 250 ms
    // after the one 4 before it (lower bounds only: a slow machine can only space them more).
    for (let k = 4; k < 8; k++) {
      assert.ok((arrivals[k] as number) - (arrivals[k - 4] as number) >= 950, `request ${k + 1} came ${(arrivals[k] as number) - (arrivals[k - 4] as number)} ms after request ${k - 3}`);
    }
    for (const r of received.filter((x) => x.path === '/paced')) {
      const id = (JSON.parse(r.body) as { id: string }).id;
      assert.deepEqual(await state(id, rule), { state: 'delivered', attempts: 1 });
    }
  });

  it("a target's timeout-seconds option (a switchyard: rule tag) sets its deadline; untagged, the default again", async () => {
    // The server's default deadline here is 300 ms; the sink answers these after 600 ms.
    const slowly = { status: 200, afterMs: 600 };
    cues.set('/patient', [slowly, slowly]);
    cues.set('/impatient', [slowly]);
    const patient = await route('patient');
    const impatient = await route('impatient');
    const tag = { Key: 'switchyard:target:sink:timeout-seconds', Value: '2' };
    await events.send(new TagResourceCommand({ ResourceARN: patient, Tags: [tag] }));
    const [p, i] = [await putOnly('patient'), await putOnly('impatient')];
    await server.settleDeliveries();
    assert.deepEqual(await state(p, patient), { state: 'delivered', attempts: 1 });
    assert.deepEqual(await state(i, impatient), { state: 'pending', attempts: 1 });
    assert.match((await server.store.attemptsOf(i, impatient, 'sink'))[0]?.error ?? '', /^TIMEOUT.*within 300 ms/);

    await events.send(new UntagResourceCommand({ ResourceARN: patient, TagKeys: [tag.Key] }));
    const again = await put('patient');
    assert.match((await server.store.attemptsOf(again, patient, 'sink'))[0]?.error ?? '', /^TIMEOUT.*within 300 ms/);
  });

  it('refuses a switchyard: tag that does not follow the scheme, on TagResource and on PutRule', async () => {
    const rule = await route('tag-checks');
    const refused = async (p: Promise<unknown>, message: string): Promise<void> => {
      await assert.rejects(p, (e: Error) => {
        assert.equal(e.name, 'ValidationException');
        assert.equal(e.message, message);
        return true;
      });
    };
    const tag = (Key: string, Value: string) => new TagResourceCommand({ ResourceARN: rule, Tags: [{ Key, Value }] });
    await refused(
      events.send(tag('switchyard:target:sink:timeout-seconds', '0')),
      "Tag switchyard:target:sink:timeout-seconds: the value '0' must be a whole number from 1 to 300.",
    );
    await refused(
      events.send(tag('switchyard:target:sink:timeout-seconds', '2.5')),
      "Tag switchyard:target:sink:timeout-seconds: the value '2.5' must be a whole number from 1 to 300.",
    );
    await refused(
      events.send(tag('switchyard:target:sink:speed', '1')),
      "Tag switchyard:target:sink:speed: unknown option 'speed'; the options are timeout-seconds, rate-limit-per-second, rate-limit-burst, " +
        'max-concurrency, circuit-breaker-failure-percent, circuit-breaker-minimum-attempts, circuit-breaker-window-seconds, ' +
        'circuit-breaker-cooldown-seconds, order-by.',
    );
    await refused(
      events.send(tag('switchyard:timeout-seconds', '1')),
      "Tag switchyard:timeout-seconds: Switchyard's tag keys are switchyard:target:<TargetId>:<option>.",
    );
    await refused(
      events.send(
        new PutRuleCommand({ Name: 'tagged-badly', EventPattern: '{"source":["x"]}', Tags: [{ Key: 'switchyard:target:a:timeout-seconds', Value: '301' }] }),
      ),
      "Tag switchyard:target:a:timeout-seconds: the value '301' must be a whole number from 1 to 300.",
    );
    // Tags outside the scheme are anyone's.
    await events.send(tag('switchyard-ish', 'anything'));
  });

  it('honours Retry-After: nothing before it, the retry after it', async () => {
    cues.set('/retry-after', [{ status: 429, headers: { 'retry-after': '30' } }]);
    const rule = await route('retry-after');
    const id = await put('retry-after');
    await advance(29_000);
    assert.equal(hits('retry-after'), 1, 'not before the 30 s the target asked for');
    await advance(1_000);
    assert.equal(hits('retry-after'), 2);
    assert.deepEqual(await state(id, rule), { state: 'delivered', attempts: 2 });
  });

  it('sends a 400 straight to the dead-letter queue, with the attributes AWS documents', async () => {
    cues.set('/bad-request', [{ status: 400 }]);
    const rule = await route('bad-request');
    const id = await put('bad-request');
    await advance(600_000);
    assert.equal(hits('bad-request'), 1, 'not retried');
    assert.deepEqual(await state(id, rule), { state: 'dead-lettered', attempts: 1 });
    const [dl] = (await deadLetters()).filter((m) => (JSON.parse(m.body as string) as { id: string }).id === id);
    assert.deepEqual({ ...dl, body: undefined }, {
      body: undefined,
      RULE_ARN: rule,
      TARGET_ARN: (await server.store.deliveriesOf(id))[0]?.targetArn,
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: dl?.ERROR_MESSAGE,
      RETRY_ATTEMPTS: '0',
    });
    assert.match(dl?.ERROR_MESSAGE ?? '', /400/);
  });

  it('exhausts MaximumRetryAttempts: 1 + 2 attempts, then the dead-letter queue says so', async () => {
    cues.set('/max-attempts', [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }]);
    const rule = await route('max-attempts', { RetryPolicy: { MaximumRetryAttempts: 2 } });
    const id = await put('max-attempts');
    for (let i = 0; i < 4; i++) await advance(10_000);
    assert.equal(hits('max-attempts'), 3);
    assert.deepEqual(await state(id, rule), { state: 'dead-lettered', attempts: 3 });
    const dl = (await deadLetters()).find((m) => (JSON.parse(m.body as string) as { id: string }).id === id);
    assert.equal(dl?.EXHAUSTED_RETRY_CONDITION, 'MaximumRetryAttempts');
    assert.equal(dl?.RETRY_ATTEMPTS, '2');
    assert.equal(dl?.ERROR_CODE, 'ERROR_FROM_TARGET');
  });

  it('exhausts MaximumEventAgeInSeconds: the last try at the deadline, then the dead-letter queue says so', async () => {
    cues.set('/max-age', Array.from({ length: 20 }, () => ({ status: 502 })));
    const rule = await route('max-age', { RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 185 } });
    const id = await put('max-age');
    for (let i = 0; i < 10; i++) await advance(15_000);
    assert.equal((await state(id, rule)).state, 'dead-lettered');
    const dl = (await deadLetters()).find((m) => (JSON.parse(m.body as string) as { id: string }).id === id);
    assert.equal(dl?.EXHAUSTED_RETRY_CONDITION, 'MaximumEventAgeInSeconds');
    assert.equal(dl?.RETRY_ATTEMPTS, String(hits('max-age') - 1));
  });
});
