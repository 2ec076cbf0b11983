// End-to-end tours of the queues with two AWS CLIs, unchanged, against a real server process:
//   - aws-cli 1.x from the machine's Python (botocore's current SQS model: AWS JSON 1.0);
//   - the AWS CLI v2 that Debian 12 packages (`apt-get install awscli`, /usr/bin/aws, 2.9.x),
//     whose bundled model predates SQS's JSON protocol and speaks the query protocol (form
//     requests, XML answers).
// Each tour first shows, from the CLI's --debug output, which protocol it speaks, then asserts on
// the CLI's parsed JSON output step by step, as a user's script would see it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';

import { CLI_REGION as REGION, cliVersion as version, runCli as run } from './helpers/cli.js';
import { assertNoServersLeft, removeDataDir, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const ACCOUNT = '000000000000';
const REQUIRE_SERVICES = process.env.SWITCHYARD_REQUIRE_SERVICES === '1';
const DEBIAN_CLI = '/usr/bin/aws';

after(() => assertNoServersLeft());

/** The tour both CLIs take; `protocol` is what --debug must show the CLI speaking. */
async function tour(t: TestContext, cli: string, protocol: 'json' | 'query'): Promise<void> {
  const server: ServerProcess = await startServer();
  t.after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });
  const base = ['--endpoint-url', server.url, '--output', 'json'];
  const sqs = async (op: string, ...args: string[]): Promise<Record<string, unknown>> => {
    const r = await run(cli, ['sqs', op, ...args, ...base]);
    assert.equal(r.code, 0, `aws sqs ${op} failed: ${r.stderr}`);
    return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
  };

  // Which protocol the CLI speaks, from what it logs of its request.
  const debug = await run(cli, ['sqs', 'list-queues', '--debug', ...base]);
  assert.equal(debug.code, 0, debug.stderr);
  const spoke = /'Content-Type': '(application\/x-www-form-urlencoded|application\/x-amz-json-1\.0)/.exec(debug.stderr)?.[1];
  assert.equal(spoke, protocol === 'query' ? 'application/x-www-form-urlencoded' : 'application/x-amz-json-1.0', 'the protocol the CLI speaks');

  const created = await sqs('create-queue', '--queue-name', 'cli-tour', '--attributes', 'VisibilityTimeout=45,DelaySeconds=0');
  const url = `${server.url}/${ACCOUNT}/cli-tour`;
  assert.deepEqual(created, { QueueUrl: url });
  assert.deepEqual(await sqs('get-queue-url', '--queue-name', 'cli-tour'), { QueueUrl: url });
  const fifoUrl = (await sqs('create-queue', '--queue-name', 'cli-tour.fifo', '--attributes', 'FifoQueue=true,ContentBasedDeduplication=true'))
    .QueueUrl as string;
  assert.deepEqual(await sqs('list-queues', '--queue-name-prefix', 'cli-tour'), { QueueUrls: [url, fifoUrl] });

  const sent = await sqs(
    'send-message',
    '--queue-url', url,
    '--message-body', 'hello from the CLI <&> "quoted"',
    '--message-attributes', '{"kind":{"DataType":"String","StringValue":"greeting"},"n":{"DataType":"Number","StringValue":"7"}}',
  );
  assert.equal(sent.MD5OfMessageBody, createHash('md5').update('hello from the CLI <&> "quoted"').digest('hex'));
  assert.match(sent.MessageId as string, /^[0-9a-f-]{36}$/);
  assert.match(sent.MD5OfMessageAttributes as string, /^[0-9a-f]{32}$/);
  const badBatch = await run(cli, [
    'sqs', 'send-message-batch', '--queue-url', url,
    '--entries', '[{"Id":"a","MessageBody":"one"},{"Id":"bad id","MessageBody":"x"}]', ...base,
  ]);
  assert.notEqual(badBatch.code, 0, 'an entry id with a space fails the whole batch');
  assert.match(badBatch.stderr, /AWS\.SimpleQueueService\.InvalidBatchEntryId/);
  const batch2 = await sqs('send-message-batch', '--queue-url', url, '--entries', '[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two"}]');
  assert.deepEqual((batch2.Successful as { Id: string }[]).map((e) => e.Id), ['a', 'b']);

  const attributes = (await sqs('get-queue-attributes', '--queue-url', url, '--attribute-names', 'All')).Attributes as Record<string, string>;
  assert.equal(attributes.ApproximateNumberOfMessages, '3');
  assert.equal(attributes.VisibilityTimeout, '45');
  assert.equal(attributes.QueueArn, `arn:aws:sqs:${REGION}:${ACCOUNT}:cli-tour`);

  const received = await sqs(
    'receive-message',
    '--queue-url', url,
    '--max-number-of-messages', '10',
    '--attribute-names', 'All',
    '--message-attribute-names', 'All',
    '--wait-time-seconds', '1',
  );
  const messages = received.Messages as { Body: string; ReceiptHandle: string; MessageAttributes?: Record<string, { StringValue: string }>; Attributes: Record<string, string> }[];
  assert.equal(messages.length, 3);
  const hello = messages.find((m) => m.Body.startsWith('hello'));
  assert.equal(hello?.Body, 'hello from the CLI <&> "quoted"');
  assert.equal(hello?.MessageAttributes?.kind?.StringValue, 'greeting');
  assert.equal(hello?.Attributes.ApproximateReceiveCount, '1');
  for (const m of messages) {
    if (m === hello) await sqs('change-message-visibility', '--queue-url', url, '--receipt-handle', m.ReceiptHandle, '--visibility-timeout', '0');
    else await sqs('delete-message', '--queue-url', url, '--receipt-handle', m.ReceiptHandle);
  }
  const again = await sqs('receive-message', '--queue-url', url, '--attribute-names', 'ApproximateReceiveCount');
  const [redelivered] = again.Messages as { Body: string; Attributes: Record<string, string> }[];
  assert.equal(redelivered?.Body, hello?.Body, 'made visible again at once');
  assert.equal(redelivered?.Attributes.ApproximateReceiveCount, '2');

  await sqs('send-message', '--queue-url', fifoUrl, '--message-body', 'first', '--message-group-id', 'g');
  await sqs('send-message', '--queue-url', fifoUrl, '--message-body', 'first', '--message-group-id', 'g');
  await sqs('send-message', '--queue-url', fifoUrl, '--message-body', 'second', '--message-group-id', 'g');
  const fifo = await sqs('receive-message', '--queue-url', fifoUrl, '--max-number-of-messages', '10', '--attribute-names', 'All');
  assert.deepEqual((fifo.Messages as { Body: string }[]).map((m) => m.Body), ['first', 'second'], 'in order, the duplicate dropped');

  await sqs('tag-queue', '--queue-url', url, '--tags', 'team=payments,tier=gold');
  await sqs('untag-queue', '--queue-url', url, '--tag-keys', 'tier');
  assert.deepEqual(await sqs('list-queue-tags', '--queue-url', url), { Tags: { team: 'payments' } });
  await sqs('set-queue-attributes', '--queue-url', url, '--attributes', 'DelaySeconds=5');
  assert.deepEqual(await sqs('get-queue-attributes', '--queue-url', url, '--attribute-names', 'DelaySeconds'), { Attributes: { DelaySeconds: '5' } });
  await sqs('purge-queue', '--queue-url', url);

  const missing = await run(cli, ['sqs', 'get-queue-url', '--queue-name', 'no-such-queue', ...base]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /AWS\.SimpleQueueService\.NonExistentQueue/);
  assert.match(missing.stderr, /The specified queue does not exist/);
  const badValue = await run(cli, ['sqs', 'set-queue-attributes', '--queue-url', url, '--attributes', 'VisibilityTimeout=99999', ...base]);
  assert.notEqual(badValue.code, 0);
  assert.match(badValue.stderr, /InvalidAttributeValue/);
  assert.match(badValue.stderr, /Invalid value for the parameter VisibilityTimeout\./);

  await sqs('delete-queue', '--queue-url', url);
  assert.deepEqual(await sqs('list-queues', '--queue-name-prefix', 'cli-tour'), { QueueUrls: [fifoUrl] });
}

test('aws-cli 1.x (the machine Python): SQS on AWS JSON 1.0', async (t) => {
  const v = await version('aws');
  if (v === null) {
    const reason = 'the AWS CLI (`aws`) is not on PATH';
    if (REQUIRE_SERVICES) assert.fail(`${reason} (SWITCHYARD_REQUIRE_SERVICES=1)`);
    t.skip(reason);
    return;
  }
  t.diagnostic(v);
  await tour(t, 'aws', 'json');
});

test("Debian 12's AWS CLI v2: SQS on the query protocol", async (t) => {
  const v = existsSync(DEBIAN_CLI) ? await version(DEBIAN_CLI) : null;
  if (v === null || !v.includes('debian')) {
    const reason = `Debian's awscli is not installed at ${DEBIAN_CLI} (apt-get install awscli)`;
    if (REQUIRE_SERVICES) assert.fail(`${reason} (SWITCHYARD_REQUIRE_SERVICES=1)`);
    t.skip(reason);
    return;
  }
  t.diagnostic(v);
  await tour(t, DEBIAN_CLI, 'query');
});
