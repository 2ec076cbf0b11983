// A redriven delivery's retry window (docs/dropped-deliveries.md), in one process with an injected
// clock: MaximumEventAgeInSeconds counts from the redrive, not from ingestion, and
// MaximumRetryAttempts counts the retries made since the redrive. Time is moved, not slept on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';

import { CreateApiDestinationCommand, CreateConnectionCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';

import { call } from '../src/cli/client.js';
import { resolveOptions } from '../src/config/options.js';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';

const ACCOUNT = '000000000000';
const RULE = `arn:aws:events:us-east-1:${ACCOUNT}:rule/aged`;

let clock = Date.parse('2026-11-27T12:00:00Z');
let dir!: string;
let server!: RunningServer;
let sink!: Server;
let events!: EventBridgeClient;
/** Statuses the sink answers, in order. */
const answers: number[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-redrive-'));
  sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answers.shift() ?? 200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  server = await startServer(resolveOptions({ port: 0, dataDir: dir }, {}), () => undefined, { now: () => clock, random: () => 0.5 });
  events = new EventBridgeClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
});

after(async () => {
  events?.destroy();
  await server?.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function advance(ms: number): Promise<void> {
  clock += ms;
  await server.settleDeliveries();
}

it('a redriven delivery gets a new retry window: event age and retry attempts count from the redrive', async () => {
  const connection = await events.send(
    new CreateConnectionCommand({ Name: 'c', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: 'v' } } }),
  );
  const destination = await events.send(
    new CreateApiDestinationCommand({
      Name: 'aged',
      ConnectionArn: connection.ConnectionArn,
      InvocationEndpoint: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/aged`,
      HttpMethod: 'POST',
    }),
  );
  await events.send(new PutRuleCommand({ Name: 'aged', EventPattern: JSON.stringify({ source: ['aged'] }) }));
  await events.send(
    new PutTargetsCommand({
      Rule: 'aged',
      Targets: [
        {
          Id: 'sink',
          Arn: destination.ApiDestinationArn,
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/events`,
          RetryPolicy: { MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 2 },
        },
      ],
    }),
  );
  answers.push(400);
  const out = await events.send(new PutEventsCommand({ Entries: [{ Source: 'aged', DetailType: 't', Detail: '{}' }] }));
  const eventId = out.Entries?.[0]?.EventId as string;
  await server.settleDeliveries();
  assert.equal((await server.store.deliveryState(eventId, RULE, 'sink'))?.state, 'dropped');

  // Ten minutes later, long past the event's 300 s age: redriven, it is retried, not dropped at once.
  await advance(10 * 60_000);
  answers.push(500, 500, 500);
  const redriven = await call('Switchyard.RedriveDroppedDeliveries', { All: true }, { endpoint: server.url, env: {} });
  assert.equal(redriven.RedrivenCount, 1);
  await server.settleDeliveries();
  const waiting = await server.store.deliveryState(eventId, RULE, 'sink');
  assert.equal(waiting?.state, 'pending', 'waiting for a retry');
  assert.equal(waiting?.attempts, 2);
  assert.match(waiting?.lastError ?? '', /HTTP 500/);
  // Two retries since the redrive (MaximumRetryAttempts 2), then dropped again: 1 + 3 attempts.
  await advance(60_000);
  await advance(60_000);
  const state = await server.store.deliveryState(eventId, RULE, 'sink');
  assert.equal(state?.state, 'dropped');
  assert.equal(state?.attempts, 4);
  assert.equal((await server.store.attemptsOf(eventId, RULE, 'sink')).length, 4);
});
