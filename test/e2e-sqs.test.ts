// End to end: every SQS operation Switchyard serves, driven by the official AWS SDK
// (@aws-sdk/client-sqs, AWS JSON 1.0 with awsQueryCompatible errors) against a real server process.
//
// Expected codes and messages are AWS's, from docs/notes/aws-sqs-api.md (the section is named
// beside an assertion as "§n"). Each error is checked as users see it: the SDK's error name (the
// JSON `__type`), its message, its HTTP status, and its `Code`/`Type` (which the SDK takes from the
// x-amzn-query-error header). Assertions without a section pin what Switchyard answers where the
// notes found no AWS answer.
//
// Time is never slept on: messages are made visible again with VisibilityTimeout 0 or
// ChangeMessageVisibility(0), delays are read from ApproximateNumberOfMessagesDelayed, long polls are
// woken by a concurrent client, and the one wait that must run out is 1 s. Retention, the
// deduplication window and the 60-second rules are tested with an injected clock in
// test/queues-engine.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';

import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import type { Message, MessageAttributeValue, ReceiveMessageRequest } from '@aws-sdk/client-sqs';

import { fails, stopAndCheck } from './helpers/aws.js';
import type { Expected } from './helpers/aws.js';
import { startServer, until } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const KEY_ID = 'AKIDE2ELOCAL';
const NO_QUEUE = 'The specified queue does not exist.';

/** ReceiveMessage's legacy AttributeNames (typed by the SDK as queue attribute names) asking for a system attribute. */
const LEGACY_RECEIVE_COUNT = ['ApproximateReceiveCount'] as never[];

const arnOf = (name: string): string => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

let server!: ServerProcess;
/** Two clients, so a long poll on one is woken by a send on the other. */
let sqs!: SQSClient;
let other!: SQSClient;

function client(): SQSClient {
  return new SQSClient({
    endpoint: server.url,
    region: REGION,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: 'any-secret' },
    maxAttempts: 1,
  });
}

before(async () => {
  server = await startServer();
  sqs = client();
  other = client();
});

after(async () => {
  sqs?.destroy();
  other?.destroy();
  await stopAndCheck(server);
});

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const invalidParameter = (message: string | RegExp): Expected => ({ name: 'InvalidParameterValue', message });
const noQueue: Expected = { name: 'QueueDoesNotExist', message: NO_QUEUE, code: 'AWS.SimpleQueueService.NonExistentQueue' };

async function create(name: string, attributes?: Record<string, string>, tags?: Record<string, string>): Promise<string> {
  const out = await sqs.send(
    new CreateQueueCommand({ QueueName: name, ...(attributes === undefined ? {} : { Attributes: attributes }), ...(tags === undefined ? {} : { tags }) }),
  );
  assert.equal(out.QueueUrl, `${server.url}/${ACCOUNT}/${name}`);
  return out.QueueUrl;
}

async function attributes(url: string, names: string[] = ['All']): Promise<Record<string, string>> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }))).Attributes ?? {};
}

/** [visible, in flight, delayed]. */
async function counts(url: string): Promise<[number, number, number]> {
  const a = await attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']);
  return [Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible), Number(a.ApproximateNumberOfMessagesDelayed)];
}

async function receive(url: string, extra: Omit<ReceiveMessageRequest, 'QueueUrl'> = {}, c: SQSClient = sqs): Promise<Message[]> {
  const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, ...extra }));
  if (out.Messages !== undefined) assert.ok(out.Messages.length > 0, 'no empty Messages list (§1.2: an empty receive is {})');
  return out.Messages ?? [];
}

async function receiveOne(url: string, extra: Omit<ReceiveMessageRequest, 'QueueUrl'> = {}): Promise<Message> {
  const got = await receive(url, extra);
  assert.equal(got.length, 1, 'one message');
  return got[0] as Message;
}

async function send(url: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
  const out = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, ...extra }));
  assert.ok(out.MessageId !== undefined);
  return out.MessageId;
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function string(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

/** Attributes GetQueueAttributes(All) answers, with the timestamps checked and replaced by 'ts'. */
function timestampsChecked(a: Record<string, string>, since: number): Record<string, string> {
  const out = { ...a };
  for (const key of ['CreatedTimestamp', 'LastModifiedTimestamp']) {
    const v = out[key];
    assert.match(v ?? '', /^\d{10}$/, `${key} in epoch seconds (§4.2)`);
    assert.ok(Number(v) >= Math.floor(since / 1000) && Number(v) <= Date.now() / 1000 + 1, `${key} is now`);
    out[key] = 'ts';
  }
  return out;
}


// ---------------------------------------------------------------------------------------------
// Queues
// ---------------------------------------------------------------------------------------------

describe('CreateQueue', () => {
  it('creates a standard queue with AWS defaults; GetQueueAttributes(All) shows them', async () => {
    const since = Date.now();
    const url = await create('cq-plain');
    assert.deepEqual(timestampsChecked(await attributes(url), since), {
      QueueArn: arnOf('cq-plain'),
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      CreatedTimestamp: 'ts',
      LastModifiedTimestamp: 'ts',
      VisibilityTimeout: '30',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
    });
  });

  it('takes every settable attribute, FIFO ones included, and tags', async () => {
    const dlq = await create('cq-all-dlq.fifo', { FifoQueue: 'true' });
    const redrive = JSON.stringify({ deadLetterTargetArn: arnOf('cq-all-dlq.fifo'), maxReceiveCount: 5 });
    const allow = JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [arnOf('somewhere')] });
    const given = {
      VisibilityTimeout: '45',
      MessageRetentionPeriod: '120',
      DelaySeconds: '3',
      ReceiveMessageWaitTimeSeconds: '2',
      MaximumMessageSize: '2048',
      RedrivePolicy: redrive,
      RedriveAllowPolicy: allow,
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    };
    const url = await create('cq-all.fifo', given, { team: 'core', empty: '' });
    const a = await attributes(url);
    for (const [k, v] of Object.entries(given)) assert.equal(a[k], v, k);
    assert.equal(a.QueueArn, arnOf('cq-all.fifo'));
    assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { team: 'core', empty: '' });
    // The same name with the same attributes (or none) is the same queue (§4.3).
    assert.equal(await create('cq-all.fifo', given), url);
    assert.equal(await create('cq-all.fifo', { FifoQueue: 'true' }), url);
    assert.ok(dlq.endsWith('/cq-all-dlq.fifo'));
  });

  it('gives a FIFO queue its FIFO defaults', async () => {
    const url = await create('cq-fifo.fifo', { FifoQueue: 'true' });
    const a = await attributes(url);
    assert.equal(a.FifoQueue, 'true');
    assert.equal(a.ContentBasedDeduplication, 'false');
    assert.equal(a.DeduplicationScope, 'queue');
    assert.equal(a.FifoThroughputLimit, 'perQueue');
  });

  it('stores a redrive policy in its canonical form (maxReceiveCount a number)', async () => {
    await create('cq-canon-dlq');
    const url = await create('cq-canon', { RedrivePolicy: `{"maxReceiveCount": "3", "deadLetterTargetArn": "${arnOf('cq-canon-dlq')}"}` });
    assert.equal((await attributes(url, ['RedrivePolicy'])).RedrivePolicy, `{"deadLetterTargetArn":"${arnOf('cq-canon-dlq')}","maxReceiveCount":3}`);
  });

  it('refuses the same name with a different attribute (§2.1)', async () => {
    await create('cq-exists', { DelaySeconds: '1' });
    await fails(sqs.send(new CreateQueueCommand({ QueueName: 'cq-exists', Attributes: { DelaySeconds: '2' } })), {
      name: 'QueueNameExists',
      code: 'QueueAlreadyExists',
      message: 'A queue already exists with the same name and a different value for attribute DelaySeconds',
    });
  });

  it('refuses bad names (§2.1)', async () => {
    const plain = 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length';
    const fifo =
      'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.';
    for (const name of ['has space', 'a'.repeat(81), 'dot.ted', 'no-flag.fifo', 'tab\t']) {
      await fails(sqs.send(new CreateQueueCommand({ QueueName: name })), invalidParameter(plain));
    }
    await create('a'.repeat(80));
    await fails(sqs.send(new CreateQueueCommand({ QueueName: 'plain', Attributes: { FifoQueue: 'true' } })), invalidParameter(fifo));
    await fails(sqs.send(new CreateQueueCommand({ QueueName: `${'a'.repeat(76)}.fifo`, Attributes: { FifoQueue: 'true' } })), invalidParameter(fifo));
    await create(`${'a'.repeat(75)}.fifo`, { FifoQueue: 'true' });
    await fails(sqs.send(new CreateQueueCommand({} as never)), invalidParameter('Value for parameter QueueName is invalid. Reason: Must specify a queue name.'));
    await fails(sqs.send(new CreateQueueCommand({ QueueName: '' })), invalidParameter('Queue name cannot be empty'));
  });

  it('refuses unknown, FIFO-only and out-of-range attributes (§2.2)', async () => {
    const attempt = (name: string, attrs: Record<string, string>): Promise<unknown> => sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }));
    const badName = (message: string): Expected => ({ name: 'InvalidAttributeName', message });
    const badValue = (message: string): Expected => ({ name: 'InvalidAttributeValue', message });
    await fails(attempt('cq-bad', { Colour: 'red' }), badName('Unknown Attribute Colour.'));
    await fails(attempt('cq-bad', { FifoQueue: 'false' }), badName('Unknown Attribute FifoQueue.'));
    await fails(attempt('cq-bad', { ContentBasedDeduplication: 'true' }), badName('Unknown Attribute ContentBasedDeduplication.'));
    await fails(attempt('cq-bad', { DeduplicationScope: 'queue' }), badName('You can specify the DeduplicationScope only when FifoQueue is set to true.'));
    await fails(attempt('cq-bad', { FifoThroughputLimit: 'perQueue' }), badName('You can specify the FifoThroughputLimit only when FifoQueue is set to true.'));
    for (const [name, value] of [
      ['VisibilityTimeout', '43201'],
      ['VisibilityTimeout', '-1'],
      ['VisibilityTimeout', 'ten'],
      ['DelaySeconds', '901'],
      ['MaximumMessageSize', '1023'],
      ['MaximumMessageSize', '1048577'],
      ['MessageRetentionPeriod', '59'],
      ['MessageRetentionPeriod', '1209601'],
      ['ReceiveMessageWaitTimeSeconds', '21'],
      ['SqsManagedSseEnabled', 'yes'],
    ] as const) {
      await fails(attempt('cq-bad', { [name]: value }), badValue(`Invalid value for the parameter ${name}.`));
    }
    await fails(
      attempt('cq-bad.fifo', { FifoQueue: 'true', FifoThroughputLimit: 'perMessageGroupId' }),
      badValue(
        'Invalid value for the parameter FifoThroughputLimit. Reason: To set FifoThroughputLimit to perMessageGroupId, the DeduplicationScope must be messageGroup.',
      ),
    );
    await fails(
      attempt('cq-bad', { SqsManagedSseEnabled: 'true', KmsMasterKeyId: 'alias/aws/sqs' }),
      badName('You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.'),
    );
    // None of these left a queue behind.
    await fails(sqs.send(new GetQueueUrlCommand({ QueueName: 'cq-bad' })), noQueue);
  });

  it('refuses bad redrive policies (§2.2)', async () => {
    await create('cq-rd-dlq');
    await create('cq-rd-fifo-dlq.fifo', { FifoQueue: 'true' });
    await create('cq-rd-deny', { RedriveAllowPolicy: '{"redrivePermission":"denyAll"}' });
    const attempt = (name: string, raw: string): Promise<unknown> => sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { RedrivePolicy: raw } }));
    const reason = (raw: string, why: string): Expected => invalidParameter(`Value ${raw} for parameter RedrivePolicy is invalid. Reason: ${why}`);
    const cases: [string, string][] = [
      ['{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}', 'Invalid value for deadLetterTargetArn.'],
      [`{"deadLetterTargetArn":"${arnOf('cq-rd-dlq')}","maxReceiveCount":0}`, 'Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.'],
      [`{"deadLetterTargetArn":"${arnOf('cq-rd-dlq')}","maxReceiveCount":1001}`, 'Invalid value for maxReceiveCount: 1001, valid values are from 1 to 1000 both inclusive.'],
      [`{"deadLetterTargetArn":"${arnOf('cq-rd-dlq')}"}`, 'Redrive policy does not contain mandatory attribute: maxReceiveCount.'],
      [`{"deadLetterTargetArn":"${arnOf('cq-rd-dlq')}","maxReceiveCount":1,"x":1}`, 'Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn].'],
      ['{"deadLetterTargetArn":"arn:aws:sns:us-east-1:000000000000:topic","maxReceiveCount":1}', 'Only SQS queues are valid resources for deadLetterTargetArn.'],
      [`{"deadLetterTargetArn":"${arnOf('cq-rd-missing')}","maxReceiveCount":1}`, 'Dead letter target does not exist.'],
      [`{"deadLetterTargetArn":"${arnOf('cq-rd-fifo-dlq.fifo')}","maxReceiveCount":1}`, 'Dead-letter queue must be same type of queue as the source.'],
      [`{"deadLetterTargetArn":"${arnOf('cq-rd-deny')}","maxReceiveCount":1}`, 'Dead-letter queue does not allow this queue as a source.'],
    ];
    for (const [raw, why] of cases) await fails(attempt('cq-rd-src', raw), reason(raw, why));
    await fails(attempt('cq-rd-src', '[1]'), invalidParameter('Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.'));

    const allow = (raw: string): Promise<unknown> => sqs.send(new CreateQueueCommand({ QueueName: 'cq-rd-allow', Attributes: { RedriveAllowPolicy: raw } }));
    const allowReason = (raw: string, why: string): Expected =>
      invalidParameter(`Value ${raw} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy. ${why}`);
    await fails(
      allow('{"redrivePermission":"sometimes"}'),
      invalidParameter('Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can\u2019t create the redrive allow policy, as it\u2019s in an unsupported format.'),
    );
    const withArns = `{"redrivePermission":"allowAll","sourceQueueArns":["${arnOf('x')}"]}`;
    await fails(allow(withArns), allowReason(withArns, 'To specify one or more source queue ARNs, you must set redrivePermission to byQueue.'));
    const noArns = '{"redrivePermission":"byQueue"}';
    await fails(allow(noArns), allowReason(noArns, 'When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values.'));
    const eleven = JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: Array.from({ length: 11 }, (_, i) => arnOf(`q${i}`)) });
    await fails(allow(eleven), allowReason(eleven, 'The maximum number of source queue ARNs you can specify is 10.'));
  });
});

describe('GetQueueUrl, ListQueues, DeleteQueue', () => {
  it('GetQueueUrl finds a queue by name, in the caller account only (§2.1)', async () => {
    const url = await create('gq-one');
    assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'gq-one' }))).QueueUrl, url);
    assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'gq-one', QueueOwnerAWSAccountId: ACCOUNT }))).QueueUrl, url);
    await fails(sqs.send(new GetQueueUrlCommand({ QueueName: 'gq-none' })), noQueue);
    await fails(sqs.send(new GetQueueUrlCommand({ QueueName: 'gq-one', QueueOwnerAWSAccountId: '111122223333' })), noQueue);
    await fails(sqs.send(new GetQueueUrlCommand({} as never)), invalidParameter('Value for parameter QueueName is invalid. Reason: Must specify a queue name.'));
  });

  it('ListQueues filters by prefix and pages only when MaxResults is given (§4.4)', async () => {
    const names = ['lq-a', 'lq-b', 'lq-c', 'lq-d', 'lq-e'];
    const urls = [];
    for (const n of names) urls.push(await create(n));
    await create('lqx');
    assert.deepEqual((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'lq-' }))).QueueUrls, urls);
    const unpaged = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'lq' }));
    assert.equal(unpaged.QueueUrls?.length, 6);
    assert.equal(unpaged.NextToken, undefined, 'no NextToken without MaxResults');

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'lq-', MaxResults: 2, ...(token === undefined ? {} : { NextToken: token }) }));
      seen.push(...(page.QueueUrls ?? []));
      token = page.NextToken;
      pages++;
    } while (token !== undefined);
    assert.deepEqual(seen, urls);
    assert.equal(pages, 3);

    const none = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'nothing-like-this' }));
    assert.equal(none.QueueUrls, undefined);
    for (const bad of [0, 1001]) {
      await fails(
        sqs.send(new ListQueuesCommand({ MaxResults: bad })),
        invalidParameter(`Value ${bad} for parameter MaxResults is invalid. Reason: Must be between 1 and 1000, if provided.`),
      );
    }
    await fails(sqs.send(new ListQueuesCommand({ MaxResults: 1, NextToken: 'not a token' })), invalidParameter('Invalid NextToken value.'));
  });

  it('DeleteQueue deletes; the queue is then unknown everywhere (§2.1)', async () => {
    const url = await create('dq-gone');
    await send(url, 'bye');
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await fails(sqs.send(new GetQueueUrlCommand({ QueueName: 'dq-gone' })), noQueue);
    await fails(sqs.send(new DeleteQueueCommand({ QueueUrl: url })), noQueue);
    await fails(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), noQueue);
    await fails(sqs.send(new ReceiveMessageCommand({ QueueUrl: url })), noQueue);
    await fails(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })), noQueue);
    // Re-creating within 60 s is refused (the 60 s themselves: test/queues-engine.test.ts).
    await fails(sqs.send(new CreateQueueCommand({ QueueName: 'dq-gone' })), {
      name: 'QueueDeletedRecently',
      code: 'AWS.SimpleQueueService.QueueDeletedRecently',
      message: 'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
    });
  });

  it('answers QueueDoesNotExist for URLs that name no queue', async () => {
    for (const url of [
      `${server.url}/${ACCOUNT}/never-made`,
      `${server.url}/111122223333/lq-a`,
      'not a url',
      `${server.url}/lq-a`,
      `${server.url}/${ACCOUNT}/bad%E0%A4%escape`,
      `${server.url}/${ACCOUNT}/lq-a/extra`,
    ]) {
      await fails(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })), noQueue);
    }
  });
});

describe('GetQueueAttributes, SetQueueAttributes', () => {
  it('answers only the names asked for, none without AttributeNames (§4.2)', async () => {
    const url = await create('ga-some', { VisibilityTimeout: '12' });
    assert.deepEqual(await attributes(url, ['VisibilityTimeout', 'QueueArn']), { VisibilityTimeout: '12', QueueArn: arnOf('ga-some') });
    assert.equal((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url }))).Attributes, undefined);
    assert.deepEqual(await attributes(url, ['Policy']), {}, 'an unset attribute is absent (§1.2: "Attributes": {})');
    await fails(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Colour' as never] })), {
      name: 'InvalidAttributeName',
      message: 'Unknown Attribute Colour.',
    });
  });

  it('SetQueueAttributes changes attributes; an empty RedrivePolicy removes it', async () => {
    const since = Date.now();
    await create('sa-dlq');
    const url = await create('sa-queue');
    const redrive = JSON.stringify({ deadLetterTargetArn: arnOf('sa-dlq'), maxReceiveCount: 4 });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '5', DelaySeconds: '7', RedrivePolicy: redrive } }));
    const a = timestampsChecked(await attributes(url), since);
    assert.equal(a.VisibilityTimeout, '5');
    assert.equal(a.DelaySeconds, '7');
    assert.equal(a.RedrivePolicy, redrive);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: '' } }));
    assert.equal((await attributes(url)).RedrivePolicy, undefined);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: {} }));
  });

  it('SetQueueAttributes refuses what CreateQueue refuses, and changing the queue type (§2.2)', async () => {
    const std = await create('sa-std');
    const fifo = await create('sa-fifo.fifo', { FifoQueue: 'true' });
    const set = (url: string, attrs: Record<string, string>): Promise<unknown> => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attrs }));
    await fails(set(std, { FifoQueue: 'true' }), { name: 'InvalidAttributeName', message: 'Unknown Attribute FifoQueue.' });
    await fails(set(std, { ContentBasedDeduplication: 'true' }), { name: 'InvalidAttributeName', message: 'Unknown Attribute ContentBasedDeduplication.' });
    await fails(set(fifo, { FifoQueue: 'false' }), {
      name: 'InvalidAttributeValue',
      message: 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
    });
    await set(fifo, { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    assert.equal((await attributes(fifo)).ContentBasedDeduplication, 'true');
    await fails(set(std, { MessageRetentionPeriod: '1' }), { name: 'InvalidAttributeValue', message: 'Invalid value for the parameter MessageRetentionPeriod.' });
    await fails(set(std, { Colour: 'red' }), { name: 'InvalidAttributeName', message: 'Unknown Attribute Colour.' });
    // Nothing was changed by the refused calls.
    assert.equal((await attributes(std)).MessageRetentionPeriod, '345600');
  });
});

describe('TagQueue, UntagQueue, ListQueueTags', () => {
  it('adds, overwrites and removes tags (§4.4)', async () => {
    const url = await create('tq-queue', undefined, { a: '1' });
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { a: '2', b: '' } }));
    assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { a: '2', b: '' });
    await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['a', 'b', 'never-there'] }));
    assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, {}, 'no tags: "Tags": {} (§1.2)');
  });

  it('refuses bad tag keys and more than 50 tags (§2.7)', async () => {
    const url = await create('tq-limits');
    await fails(sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { ['k'.repeat(129)]: 'v' } })), invalidParameter('Tag keys must be between 1 and 128 characters in length.'));
    await fails(sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { '': 'v' } })), invalidParameter('Tag keys must be between 1 and 128 characters in length.'));
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: fifty }));
    await fails(sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { one: 'more' } })), invalidParameter('Too many tags added for queue tq-limits.'));
    await fails(sqs.send(new ListQueueTagsCommand({ QueueUrl: `${server.url}/${ACCOUNT}/tq-none` })), noQueue);
    // CreateQueue's tags are held to the same rules.
    await fails(
      sqs.send(new CreateQueueCommand({ QueueName: 'tq-create', tags: { ['k'.repeat(129)]: 'v' } })),
      invalidParameter('Tag keys must be between 1 and 128 characters in length.'),
    );
    await fails(
      sqs.send(new CreateQueueCommand({ QueueName: 'tq-create', tags: { ...fifty, one: 'more' } })),
      invalidParameter('Too many tags added for queue tq-create.'),
    );
  });
});

describe('PurgeQueue', () => {
  it('deletes every message, visible, in flight and delayed; once per 60 s (§2.7, §5.6)', async () => {
    const url = await create('pq-queue');
    await send(url, 'visible');
    await send(url, 'in flight');
    await send(url, 'delayed', { DelaySeconds: 600 });
    await receiveOne(url);
    assert.deepEqual(await counts(url), [1, 1, 1]);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    assert.deepEqual(await counts(url), [0, 0, 0]);
    await fails(sqs.send(new PurgeQueueCommand({ QueueUrl: url })), {
      name: 'PurgeQueueInProgress',
      code: 'AWS.SimpleQueueService.PurgeQueueInProgress',
      status: 403,
      message: 'Only one PurgeQueue operation on pq-queue is allowed every 60 seconds.',
    });
    await fails(sqs.send(new PurgeQueueCommand({ QueueUrl: `${server.url}/${ACCOUNT}/pq-none` })), noQueue);
  });
});

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

describe('SendMessage', () => {
  it('answers SQS digests of the body, the attributes and the system attributes (§3)', async () => {
    const url = await create('sm-md5');
    const plain = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'msg' }));
    assert.equal(plain.MD5OfMessageBody, '6e2baaf3b97dbeef01c0043275f9a0e7');
    assert.equal(plain.MD5OfMessageAttributes, undefined);
    assert.equal(plain.SequenceNumber, undefined);
    assert.match(plain.MessageId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const three = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'test',
        MessageAttributes: { General: string('Kenobi'), Hello: string('There'), 'Help.Me': string('Me') },
      }),
    );
    assert.equal(three.MD5OfMessageBody, '098f6bcd4621d373cade4e832627b4f6');
    assert.equal(three.MD5OfMessageAttributes, '4c360f3fdafd970e05fae2f149d997f5');

    const binary = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'b',
        MessageAttributes: {
          attr1: { DataType: 'Binary', BinaryValue: Buffer.from('traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01', 'latin1') },
        },
      }),
    );
    assert.equal(binary.MD5OfMessageAttributes, '8cbe4db156db8a94db8b801b7addb984');

    const traced = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 't',
        MessageSystemAttributes: { AWSTraceHeader: string('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1') },
      }),
    );
    assert.equal(traced.MD5OfMessageSystemAttributes, '5ae4d5d7636402d80f4eb6d213245a88');
    assert.equal(traced.MD5OfMessageAttributes, undefined);

    // Multi-byte text: the digest is of the UTF-8 bytes.
    const text = 'h\u00e9llo \u{1F600} \t\r\n';
    assert.equal((await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: text }))).MD5OfMessageBody, md5(text));
  });

  it('delays a message per message or by the queue (counted as delayed, not received)', async () => {
    const url = await create('sm-delay');
    await send(url, 'later', { DelaySeconds: 900 });
    await send(url, 'now', { DelaySeconds: 0 });
    assert.deepEqual(await counts(url), [1, 0, 1]);
    const got = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(got.map((m) => m.Body), ['now']);
    const delayed = await create('sm-delay-queue', { DelaySeconds: '600' });
    await send(delayed, 'queue delay');
    assert.deepEqual(await counts(delayed), [0, 0, 1]);
    assert.deepEqual(await receive(delayed), []);
    // A message's own DelaySeconds overrides the queue's.
    await send(delayed, 'no delay', { DelaySeconds: 0 });
    assert.equal((await receiveOne(delayed)).Body, 'no delay');
  });

  it('refuses bad bodies, sizes and delays (§2.3)', async () => {
    const url = await create('sm-bad', { MaximumMessageSize: '1024' });
    const attempt = (input: Record<string, unknown>): Promise<unknown> => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', ...input }));
    const missing = { name: 'MissingParameter', message: 'The request must contain the parameter MessageBody.' };
    await fails(sqs.send(new SendMessageCommand({ QueueUrl: url } as never)), missing);
    await fails(attempt({ MessageBody: '' }), missing);
    await fails(attempt({ MessageBody: 'x'.repeat(1025) }), invalidParameter('One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.'));
    await send(url, 'x'.repeat(1024));
    // Attribute names, types and values count toward the size.
    await fails(
      attempt({ MessageBody: 'x'.repeat(1000), MessageAttributes: { name: string('y'.repeat(20)) } }),
      invalidParameter('One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.'),
    );
    await fails(attempt({ MessageBody: 'bad \u0000 char' }), {
      name: 'InvalidMessageContents',
      message:
        "Invalid binary character '#x0' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].",
    });
    await fails(attempt({ MessageBody: 'bad \uFFFF char' }), { name: 'InvalidMessageContents', message: /^Invalid binary character '#xFFFF' was found/ });
    await fails(attempt({ DelaySeconds: 901 }), invalidParameter('Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.'));
    await fails(attempt({ DelaySeconds: -1 }), invalidParameter('Value -1 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.'));
    await fails(
      attempt({ MessageDeduplicationId: 'd1' }),
      invalidParameter('Value d1 for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.'),
    );
    await fails(
      sqs.send(new SendMessageCommand({ QueueUrl: `${server.url}/${ACCOUNT}/sm-none`, MessageBody: 'x' })),
      noQueue,
    );
  });

  it('refuses bad message attributes (§2.3)', async () => {
    const url = await create('sm-attrs');
    const attempt = (attributes: Record<string, MessageAttributeValue>): Promise<unknown> =>
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: attributes }));
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, string('v')]));
    await fails(attempt(eleven), invalidParameter('Number of message attributes [11] exceeds the allowed maximum [10].'));
    const reserved = "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. These strings are reserved for internal use.";
    await fails(attempt({ 'AWS.thing': string('v') }), invalidParameter(reserved));
    await fails(attempt({ '.lead': string('v') }), invalidParameter("Message (user) attribute name must not begin with character '.'."));
    await fails(attempt({ 'trail.': string('v') }), invalidParameter("Message (user) attribute name must not end with character '.'."));
    await fails(attempt({ 'dou..ble': string('v') }), invalidParameter("Message (user) attribute name must not have successive '.' characters."));
    await fails(attempt({ 'sp ace': string('v') }), invalidParameter("Message (user) attribute name 'sp ace' is invalid."));
    await fails(attempt({ n: { DataType: 'Text', StringValue: 'v' } }), invalidParameter(
      "The type of message (user) attribute 'n' is invalid. You must use only the following supported type prefixes: Binary, Number, String.",
    ));
    await fails(attempt({ n: { DataType: '', StringValue: 'v' } }), invalidParameter("The message (user) attribute 'n' must contain a non-empty message attribute type."));
    await fails(attempt({ n: { DataType: 'String' } }), invalidParameter("Message (user) attribute 'n' must contain a non-empty value of type 'String'."));
    await fails(attempt({ n: { DataType: 'String', StringValue: '' } }), invalidParameter("Message (user) attribute 'n' must contain a non-empty value of type 'String'."));
    await fails(attempt({ n: { DataType: 'Number', StringValue: 'twelve' } }), invalidParameter("Can't cast the value of message (user) attribute 'n' to a number."));
    await fails(attempt({ n: { DataType: 'String', StringListValues: ['a'] } }), {
      name: 'UnsupportedOperation',
      code: 'AWS.SimpleQueueService.UnsupportedOperation',
      message: 'Message attribute list values in SendMessage operation are not supported.',
    });
    await fails(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageSystemAttributes: { Other: string('v') } as never })),
      invalidParameter("Message system attribute name 'Other' is invalid."),
    );
    // Custom type suffixes and numbers in SQS's forms are fine.
    await send(url, 'ok', { MessageAttributes: { n: { DataType: 'Number.float', StringValue: '-1.5e3' }, s: { DataType: 'String.custom', StringValue: 'v' } } });
  });
});

describe('SendMessageBatch', () => {
  it('sends each entry, reporting per-entry failures without failing the others (§2.4)', async () => {
    const url = await create('smb-queue', { MaximumMessageSize: '1024' });
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'one', MessageBody: 'first', MessageAttributes: { Hello: string('There') } },
          { Id: 'too-big', MessageBody: 'x'.repeat(1025) },
          { Id: 'three_3', MessageBody: 'third', DelaySeconds: 0 },
          { Id: 'Later', MessageBody: 'later', DelaySeconds: 600 },
          { Id: 'empty', MessageBody: '' },
        ],
      }),
    );
    assert.deepEqual(
      out.Successful?.map((s) => [s.Id, s.MD5OfMessageBody, s.MD5OfMessageAttributes]),
      [
        ['one', md5('first'), 'a311262e065454b75da111d535b8dacd'],
        ['three_3', md5('third'), undefined],
        ['Later', md5('later'), undefined],
      ],
    );
    assert.deepEqual(out.Failed, [
      { Id: 'too-big', SenderFault: true, Code: 'InvalidParameterValue', Message: 'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.' },
      { Id: 'empty', SenderFault: true, Code: 'MissingParameter', Message: 'The request must contain the parameter MessageBody.' },
    ]);
    const got = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(got.map((m) => m.Body).sort(), ['first', 'third']);
    assert.deepEqual(await counts(url), [0, 2, 1], 'the delayed entry waits');
    const all = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'a' }] }));
    assert.deepEqual(all.Failed ?? [], [], '"Failed": [] with no failures');
  });

  it('refuses the whole batch when it is empty, too long or has bad ids (§2.4)', async () => {
    const url = await create('smb-bad');
    const batch = (entries: { Id: string; MessageBody: string }[]): Promise<unknown> => sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    await fails(batch([]), {
      name: 'EmptyBatchRequest',
      code: 'AWS.SimpleQueueService.EmptyBatchRequest',
      message: 'There should be at least one SendMessageBatchRequestEntry in the request.',
    });
    await fails(batch(Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }))), {
      name: 'TooManyEntriesInBatchRequest',
      code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      message: 'Maximum number of entries per request are 10. You have sent 11.',
    });
    const badId = {
      name: 'InvalidBatchEntryId',
      code: 'AWS.SimpleQueueService.InvalidBatchEntryId',
      message: 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    };
    for (const id of ['has space', 'a'.repeat(81), '', 'dot.ted']) await fails(batch([{ Id: id, MessageBody: 'x' }]), badId);
    await fails(batch([{ Id: 'same', MessageBody: 'x' }, { Id: 'same', MessageBody: 'y' }]), {
      name: 'BatchEntryIdsNotDistinct',
      code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      message: 'Id same repeated.',
    });
    const big = 'x'.repeat(600_000);
    await fails(batch([{ Id: 'a', MessageBody: big }, { Id: 'b', MessageBody: big }]), {
      name: 'BatchRequestTooLong',
      code: 'AWS.SimpleQueueService.BatchRequestTooLong',
      message: 'Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.',
    });
    assert.deepEqual(await counts(url), [0, 0, 0], 'nothing of a refused batch was sent');
  });
});

describe('ReceiveMessage', () => {
  it('returns up to MaxNumberOfMessages, with the attributes asked for (§5.1, §5.2)', async () => {
    const since = Date.now();
    const url = await create('rm-attrs');
    const id = await send(url, 'body', {
      MessageAttributes: { General: string('Kenobi'), Hello: string('There'), 'Help.Me': string('Me'), Bin: { DataType: 'Binary', BinaryValue: Uint8Array.of(0, 1, 2) } },
      MessageSystemAttributes: { AWSTraceHeader: string('Root=1-abc') },
      MessageGroupId: 'fair-group',
    });
    // Without names: neither attributes nor their digest.
    const bare = await receiveOne(url, { VisibilityTimeout: 0 });
    assert.deepEqual(Object.keys(bare).sort(), ['Body', 'MD5OfBody', 'MessageId', 'ReceiptHandle']);
    assert.equal(bare.MessageId, id);
    assert.equal(bare.MD5OfBody, md5('body'));

    const all = await receiveOne(url, { VisibilityTimeout: 0, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
    assert.deepEqual(Object.keys(all.MessageAttributes ?? {}).sort(), ['Bin', 'General', 'Hello', 'Help.Me']);
    assert.deepEqual(all.MessageAttributes?.Bin?.BinaryValue, Uint8Array.of(0, 1, 2));
    const sys = all.Attributes ?? {};
    assert.equal(sys.SenderId, ACCOUNT, 'the account, for a caller without configured credentials');
    assert.ok(Number(sys.SentTimestamp) >= since && Number(sys.SentTimestamp) <= Date.now(), 'SentTimestamp in epoch ms');
    assert.equal(sys.ApproximateReceiveCount, '2');
    assert.ok(Number(sys.ApproximateFirstReceiveTimestamp) >= Number(sys.SentTimestamp));
    assert.equal(sys.AWSTraceHeader, 'Root=1-abc');
    assert.equal(sys.MessageGroupId, 'fair-group', 'a standard (fair) queue keeps a MessageGroupId (§5.5)');
    assert.equal(sys.SequenceNumber, undefined);

    // Filters: exact names, prefix.*, names that match nothing (§5.2; digests from §3.2).
    const some = await receiveOne(url, { VisibilityTimeout: 0, MessageAttributeNames: ['General', 'Hello'], AttributeNames: LEGACY_RECEIVE_COUNT });
    assert.deepEqual(some.MessageAttributes, { General: { DataType: 'String', StringValue: 'Kenobi' }, Hello: { DataType: 'String', StringValue: 'There' } });
    assert.equal(some.MD5OfMessageAttributes, 'fca026605781cb4126a1e9044df24232');
    assert.deepEqual(some.Attributes, { ApproximateReceiveCount: '3' });
    const partly = await receiveOne(url, { VisibilityTimeout: 0, MessageAttributeNames: ['Hello', 'Missing'] });
    assert.equal(partly.MD5OfMessageAttributes, 'a311262e065454b75da111d535b8dacd');
    const prefixed = await receiveOne(url, { VisibilityTimeout: 0, MessageAttributeNames: ['Hel.*'] });
    assert.deepEqual(Object.keys(prefixed.MessageAttributes ?? {}).sort(), ['Hello', 'Help.Me']);
    const nothing = await receiveOne(url, { VisibilityTimeout: 0, MessageAttributeNames: ['Missing', 'AWS.', '..foo'] });
    assert.equal(nothing.MD5OfMessageAttributes, undefined);
    assert.equal(nothing.MessageAttributes, undefined);
    const sentOnly = await receiveOne(url, { VisibilityTimeout: 0, MessageSystemAttributeNames: ['SentTimestamp', 'SenderId'] });
    assert.deepEqual(Object.keys(sentOnly.Attributes ?? {}).sort(), ['SenderId', 'SentTimestamp']);
  });

  it('takes at most 10 at once and defaults to one', async () => {
    const url = await create('rm-many');
    for (let b = 0; b < 2; b++) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `${b}-${i}` })) }));
    }
    assert.equal((await receive(url)).length, 1);
    const ten = await receive(url, { MaxNumberOfMessages: 10 });
    assert.equal(ten.length, 10);
    assert.equal(new Set(ten.map((m) => m.MessageId)).size, 10);
    assert.deepEqual(await counts(url), [9, 11, 0]);
  });

  it('refuses out-of-range parameters (§2.5)', async () => {
    const url = await create('rm-bad');
    const attempt = (input: Omit<ReceiveMessageRequest, 'QueueUrl'>): Promise<unknown> => sqs.send(new ReceiveMessageCommand({ QueueUrl: url, ...input }));
    for (const n of [0, 11]) {
      await fails(attempt({ MaxNumberOfMessages: n }), invalidParameter(`Value ${n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`));
    }
    for (const n of [-1, 21]) {
      await fails(attempt({ WaitTimeSeconds: n }), invalidParameter(`Value ${n} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`));
    }
    for (const n of [-1, 43201]) {
      await fails(attempt({ VisibilityTimeout: n }), invalidParameter(`Value ${n} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`));
    }
  });
});

describe('visibility, redelivery and deletion (standard queue)', () => {
  it('hides a received message until its visibility ends, then delivers it again (§5.3)', async () => {
    const url = await create('vis-queue');
    const id = await send(url, 'again and again');
    const first = await receiveOne(url, { AttributeNames: ['All'] });
    assert.equal(first.Attributes?.ApproximateReceiveCount, '1');
    assert.deepEqual(await receive(url), [], 'in flight: not delivered again');
    assert.deepEqual(await counts(url), [0, 1, 0]);

    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
    assert.deepEqual(await counts(url), [1, 0, 0]);
    const second = await receiveOne(url, { AttributeNames: ['All'], VisibilityTimeout: 0 });
    assert.equal(second.MessageId, id);
    assert.notEqual(second.ReceiptHandle, first.ReceiptHandle, 'a new receipt handle per receive');
    assert.equal(second.Attributes?.ApproximateReceiveCount, '2');
    assert.equal(second.Attributes?.ApproximateFirstReceiveTimestamp, first.Attributes?.ApproximateFirstReceiveTimestamp);

    // VisibilityTimeout 0 on the receive: visible again at once.
    const third = await receiveOne(url, { AttributeNames: LEGACY_RECEIVE_COUNT });
    assert.equal(third.Attributes?.ApproximateReceiveCount, '3');

    // A stale handle cannot change visibility, and deletes nothing (§5.3, §9.4).
    await fails(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 10 })),
      invalidParameter(`Value ${first.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    assert.deepEqual(await counts(url), [0, 1, 0]);
    // The current handle deletes it; deleting again succeeds (§5.3).
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: third.ReceiptHandle }));
    assert.deepEqual(await counts(url), [0, 0, 0]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: third.ReceiptHandle }));
    // And a deleted message's visibility cannot change.
    await fails(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: third.ReceiptHandle, VisibilityTimeout: 0 })),
      invalidParameter(`Value ${third.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`),
    );
  });

  it("uses the queue's VisibilityTimeout by default; ChangeMessageVisibility extends a message's", async () => {
    const url = await create('vis-extend', { VisibilityTimeout: '0' });
    const id = await send(url, 'x');
    assert.equal((await receiveOne(url)).MessageId, id);
    // The queue's VisibilityTimeout is 0: visible again at once.
    const again = await receiveOne(url);
    assert.equal(again.MessageId, id);
    await fails(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 60 })),
      invalidParameter(`Value ${again.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`),
    );
    const held = await receiveOne(url, { VisibilityTimeout: 1 });
    // (Up to 12 hours since the receive: the limit itself is in test/queues-engine.test.ts.)
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: held.ReceiptHandle, VisibilityTimeout: 43000 }));
    assert.deepEqual(await counts(url), [0, 1, 0]);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: held.ReceiptHandle, VisibilityTimeout: 0 }));
    assert.deepEqual(await counts(url), [1, 0, 0]);
  });

  it('refuses receipt handles SQS never issued and bad timeouts (§2.6)', async () => {
    const url = await create('vis-bad');
    await send(url, 'x');
    const m = await receiveOne(url);
    const garbage = 'not-a-receipt-handle';
    const invalidHandle: Expected = { name: 'ReceiptHandleIsInvalid', status: 404, message: `The input receipt handle "${garbage}" is not a valid receipt handle.` };
    await fails(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: garbage })), invalidHandle);
    await fails(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: garbage, VisibilityTimeout: 0 })), invalidHandle);
    await fails(sqs.send(new DeleteMessageCommand({ QueueUrl: url } as never)), { name: 'MissingParameter', message: 'The request must contain the parameter ReceiptHandle.' });
    for (const n of [-1, 43201]) {
      await fails(
        sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: n })),
        invalidParameter(`Value ${n} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`),
      );
    }
  });

  it('DeleteMessageBatch and ChangeMessageVisibilityBatch report per entry (§2.4, §2.6)', async () => {
    const url = await create('vis-batch');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c', 'd'].map((b) => ({ Id: b, MessageBody: b })) }));
    const got = await receive(url, { MaxNumberOfMessages: 10 });
    assert.equal(got.length, 4);
    const [a, b, c, d] = got as [Message, Message, Message, Message];

    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'b', ReceiptHandle: b.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 0 },
          { Id: 'range', ReceiptHandle: c.ReceiptHandle, VisibilityTimeout: 43201 },
        ],
      }),
    );
    assert.deepEqual(changed.Successful, [{ Id: 'a' }, { Id: 'b' }]);
    assert.deepEqual(changed.Failed, [
      { Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The receipt handle "garbage" is not valid for this queue.' },
      { Id: 'range', SenderFault: true, Code: 'InvalidParameterValue', Message: 'Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.' },
    ]);
    assert.deepEqual(await counts(url), [2, 2, 0]);

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'c', ReceiptHandle: c.ReceiptHandle },
          { Id: 'd', ReceiptHandle: d.ReceiptHandle },
          { Id: 'bad', ReceiptHandle: 'garbage' },
        ],
      }),
    );
    assert.deepEqual(deleted.Successful, [{ Id: 'c' }, { Id: 'd' }]);
    assert.deepEqual(deleted.Failed, [
      { Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The receipt handle "garbage" is not valid for this queue.' },
    ]);
    assert.deepEqual(await counts(url), [2, 0, 0]);

    for (const [label, call] of [
      ['DeleteMessageBatch', (entries: never[]) => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: entries }))],
      ['ChangeMessageVisibilityBatch', (entries: never[]) => sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }))],
    ] as const) {
      await fails(call([]), {
        name: 'EmptyBatchRequest',
        code: 'AWS.SimpleQueueService.EmptyBatchRequest',
        message: `There should be at least one ${label}RequestEntry in the request.`,
      });
      await fails(call(Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'h' })) as never[]), {
        name: 'TooManyEntriesInBatchRequest',
        code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
        message: 'Maximum number of entries per request are 10. You have sent 11.',
      });
      await fails(call([{ Id: 'x', ReceiptHandle: 'h' }, { Id: 'x', ReceiptHandle: 'h' }] as never[]), {
        name: 'BatchEntryIdsNotDistinct',
        code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
        message: 'Id x repeated.',
      });
      await fails(call([{ Id: 'no way', ReceiptHandle: 'h' }] as never[]), {
        name: 'InvalidBatchEntryId',
        code: 'AWS.SimpleQueueService.InvalidBatchEntryId',
        message: 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      });
    }
  });
});

describe('long polling', () => {
  it('returns as soon as a message arrives, and empty when the wait ends with nothing (§5.2)', async () => {
    const url = await create('lp-queue');
    const idle = await create('lp-idle', { ReceiveMessageWaitTimeSeconds: '1' });

    const started = Date.now();
    const polled = receive(url, { WaitTimeSeconds: 10 }).then((m) => ({ m, at: Date.now() }));
    // Meanwhile a receive on an empty queue, waiting by the queue's own ReceiveMessageWaitTimeSeconds
    // (1 s), ends empty; by then the first poll is surely waiting on the server.
    const empty = await receive(idle);
    const emptyAfter = Date.now() - started;
    assert.deepEqual(empty, []);
    assert.ok(emptyAfter >= 950, `the empty poll waited its second (${emptyAfter} ms)`);

    const sentAt = Date.now();
    const id = (await other.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }))).MessageId;
    const { m, at } = await polled;
    assert.equal(m[0]?.MessageId, id);
    assert.ok(at - sentAt < 1000, `woken by the send (${at - sentAt} ms after it)`);
    assert.ok(at - started < 5000, 'well before the 10 s wait ended');
  });

  it('is woken by a message made visible again, and by a FIFO group freed by a delete', async () => {
    const url = await create('lp-visible');
    await send(url, 'x');
    const held = await receiveOne(url);
    const polled = receive(url, { WaitTimeSeconds: 10 }, other);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: held.ReceiptHandle, VisibilityTimeout: 0 }));
    const started = Date.now();
    assert.equal((await polled)[0]?.MessageId, held.MessageId);
    assert.ok(Date.now() - started < 5000);

    const fifo = await create('lp-group.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await send(fifo, 'first', { MessageGroupId: 'g' });
    await send(fifo, 'second', { MessageGroupId: 'g' });
    const first = await receiveOne(fifo);
    const next = receive(fifo, { WaitTimeSeconds: 10 }, other);
    const deletedAt = Date.now();
    await sqs.send(new DeleteMessageCommand({ QueueUrl: fifo, ReceiptHandle: first.ReceiptHandle }));
    assert.equal((await next)[0]?.Body, 'second');
    assert.ok(Date.now() - deletedAt < 5000);
  });

  it('a poll whose client went away ends there, and claims nothing sent afterwards', async () => {
    const url = await create('lp-gone');
    const idle = await create('lp-gone-idle', { ReceiveMessageWaitTimeSeconds: '1' });
    // A long poll from a client that will go away: raw HTTP, so its socket can be cut.
    const body = JSON.stringify({ QueueUrl: url, WaitTimeSeconds: 10, MaxNumberOfMessages: 1 });
    const gone = request(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ReceiveMessage', 'content-length': Buffer.byteLength(body) },
    });
    gone.on('error', () => undefined);
    gone.end(body);
    // By the end of a 1-s poll on another queue the first one is surely parked on the server.
    assert.deepEqual(await receive(idle), []);
    gone.destroy();
    // The disconnect reaches the server over the network; give it that moment (not a timing check).
    await new Promise((r) => setTimeout(r, 100));
    const id = (await other.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'for the living' }))).MessageId;
    // Had the dead poll still been waiting, it would have claimed the message (in flight for 30 s).
    assert.equal((await receive(url, { WaitTimeSeconds: 1 }))[0]?.MessageId, id);
  });

  it('answers a poll on a queue deleted meanwhile with nothing', async () => {
    const url = await create('lp-deleted');
    const polled = receive(url, { WaitTimeSeconds: 10 }, other);
    const started = Date.now();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    // The poll may reach the server after the delete (then: QueueDoesNotExist); either way, at once.
    const out = await polled.then(
      (m) => m,
      (e: unknown) => (e as Error).name,
    );
    assert.ok(Array.isArray(out) ? out.length === 0 : out === 'QueueDoesNotExist', String(out));
    assert.ok(Date.now() - started < 5000);
  });
});

// ---------------------------------------------------------------------------------------------
// FIFO queues
// ---------------------------------------------------------------------------------------------

describe('FIFO queues', () => {
  it('deduplicates by MessageDeduplicationId, even after the first is deleted (§5.4)', async () => {
    const url = await create('ff-dedup.fifo', { FifoQueue: 'true' });
    const first = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g', MessageDeduplicationId: 'd-1' }));
    assert.match(first.SequenceNumber ?? '', /^\d{20}$/);
    const dup = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'another body', MessageGroupId: 'g', MessageDeduplicationId: 'd-1' }));
    assert.equal(dup.MessageId, first.MessageId);
    assert.equal(dup.SequenceNumber, first.SequenceNumber);
    assert.equal(dup.MD5OfMessageBody, md5('another body'));
    const m = await receiveOne(url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] });
    assert.equal(m.Body, 'one');
    assert.equal(m.Attributes?.MessageDeduplicationId, 'd-1');
    assert.equal(m.Attributes?.MessageGroupId, 'g');
    assert.equal(m.Attributes?.SequenceNumber, first.SequenceNumber);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    const after = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g', MessageDeduplicationId: 'd-1' }));
    assert.equal(after.MessageId, first.MessageId, 'still a duplicate after deletion');
    assert.deepEqual(await receive(url), []);
    // In a batch too, including a duplicate within the same batch.
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'a', MessageGroupId: 'g', MessageDeduplicationId: 'd-1' },
          { Id: 'b', MessageBody: 'b', MessageGroupId: 'g', MessageDeduplicationId: 'd-2' },
          { Id: 'c', MessageBody: 'c', MessageGroupId: 'g', MessageDeduplicationId: 'd-2' },
        ],
      }),
    );
    const [a, b, c] = batch.Successful ?? [];
    assert.equal(a?.MessageId, first.MessageId);
    assert.equal(c?.MessageId, b?.MessageId);
    assert.ok(BigInt(b?.SequenceNumber ?? '0') > BigInt(first.SequenceNumber ?? '0'), 'sequence numbers increase');
    assert.deepEqual((await receive(url, { MaxNumberOfMessages: 10 })).map((x) => x.Body), ['b']);
  });

  it('deduplicates by content (SHA-256 of the body) with ContentBasedDeduplication (§5.4)', async () => {
    const url = await create('ff-content.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const first = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    const dup = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'other', MessageAttributes: { a: string('b') } }));
    assert.equal(dup.MessageId, first.MessageId, 'attributes and group do not count');
    const explicit = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g', MessageDeduplicationId: 'own' }));
    assert.notEqual(explicit.MessageId, first.MessageId, 'an explicit id overrides the content hash');
    const got = await receive(url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageDeduplicationId'] });
    assert.deepEqual(
      got.map((m) => m.Attributes?.MessageDeduplicationId),
      [createHash('sha256').update('same').digest('hex'), 'own'],
    );
  });

  it('with DeduplicationScope messageGroup, the same id in another group is not a duplicate (§5.4)', async () => {
    const url = await create('ff-scope.fifo', { FifoQueue: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    const a = await send(url, 'a', { MessageGroupId: 'g1', MessageDeduplicationId: 'd' });
    const b = await send(url, 'b', { MessageGroupId: 'g2', MessageDeduplicationId: 'd' });
    const c = await send(url, 'c', { MessageGroupId: 'g1', MessageDeduplicationId: 'd' });
    assert.notEqual(a, b);
    assert.equal(c, a);
    assert.equal((await receive(url, { MaxNumberOfMessages: 10 })).length, 2);
  });

  it('serves a group in order, one in-flight batch at a time (§5.4)', async () => {
    const url = await create('ff-order.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    for (const [body, group] of [['a1', 'A'], ['b1', 'B'], ['a2', 'A'], ['a3', 'A'], ['b2', 'B']] as const) await send(url, body, { MessageGroupId: group });
    const one = await receiveOne(url);
    assert.equal(one.Body, 'a1');
    const two = await receiveOne(url);
    assert.equal(two.Body, 'b1', 'group A is blocked while a1 is in flight');
    assert.deepEqual(await receive(url, { MaxNumberOfMessages: 10 }), [], 'both groups in flight');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: one.ReceiptHandle }));
    const rest = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(rest.map((m) => m.Body), ['a2', 'a3'], 'one receive may take several of a group, in order');
    // Made visible again, b1 comes first again (order survives redelivery).
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: two.ReceiptHandle, VisibilityTimeout: 0 }));
    const again = await receive(url, { MaxNumberOfMessages: 10, AttributeNames: LEGACY_RECEIVE_COUNT });
    assert.deepEqual(again.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]), [['b1', '2'], ['b2', '1']]);
  });

  it('refuses a delete with an expired receipt handle (§2.6)', async () => {
    const url = await create('ff-expired.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await send(url, 'x', { MessageGroupId: 'g' });
    const m = await receiveOne(url, { VisibilityTimeout: 0 });
    await fails(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle })),
      invalidParameter(`Value ${m.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`),
    );
    const again = await receiveOne(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle }));
    assert.deepEqual(await counts(url), [0, 0, 0]);
  });

  it('answers a retried ReceiveRequestAttemptId with the same messages and handles (§5.4)', async () => {
    const url = await create('ff-attempt.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await send(url, 'm1', { MessageGroupId: 'g' });
    await send(url, 'm2', { MessageGroupId: 'g' });
    const first = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: 'attempt-1' });
    const retry = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: 'attempt-1' });
    assert.deepEqual(
      retry.map((m) => [m.MessageId, m.ReceiptHandle]),
      first.map((m) => [m.MessageId, m.ReceiptHandle]),
    );
    assert.deepEqual(await receive(url, { ReceiveRequestAttemptId: 'attempt-2' }), [], 'the group is in flight');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0]?.ReceiptHandle }));
    // Once a message of the attempt was deleted, the same id is a new receive.
    assert.deepEqual((await receive(url, { ReceiveRequestAttemptId: 'attempt-1' })).map((m) => m.Body), ['m2']);
    const long = 'a'.repeat(129);
    await fails(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: url, ReceiveRequestAttemptId: long })),
      invalidParameter(`Value ${long} for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.`),
    );
    // A standard queue ignores it.
    const std = await create('ff-attempt-std');
    assert.deepEqual(await receive(std, { ReceiveRequestAttemptId: long }), []);
  });

  it('refuses sends without a group or deduplication id, and per-message delays (§2.3)', async () => {
    const url = await create('ff-bad.fifo', { FifoQueue: 'true' });
    await fails(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })), {
      name: 'MissingParameter',
      message: 'The request must contain the parameter MessageGroupId.',
    });
    await fails(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' })),
      invalidParameter('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly'),
    );
    await fails(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 })),
      invalidParameter('Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.'),
    );
    const idMessage = (name: string, value: string): string =>
      `Value ${value} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`;
    await fails(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g g', MessageDeduplicationId: 'd' })), invalidParameter(idMessage('MessageGroupId', 'g g')));
    const long = 'd'.repeat(129);
    await fails(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: long })), invalidParameter(idMessage('MessageDeduplicationId', long)));
    // In a batch a missing group id fails the whole request (§2.3).
    await fails(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'ok', MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd' },
            { Id: 'no-group', MessageBody: 'y', MessageDeduplicationId: 'e' },
          ],
        }),
      ),
      invalidParameter('The request must contain the parameter MessageGroupId.'),
    );
    assert.deepEqual(await counts(url), [0, 0, 0]);
  });

  it('keeps each group in order under concurrent consumers, never two consumers on one group', async () => {
    const GROUPS = 10;
    const PER_GROUP = 30;
    const TOTAL = GROUPS * PER_GROUP;
    const url = await create('ff-concurrent.fifo', { FifoQueue: 'true' });
    for (let i = 0; i < PER_GROUP; i++) {
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: GROUPS }, (_, g) => ({
            Id: `g${g}`,
            MessageBody: JSON.stringify({ g, i }),
            MessageGroupId: `group-${g}`,
            MessageDeduplicationId: `g${g}-m${i}`,
          })),
        }),
      );
      assert.equal(out.Successful?.length, GROUPS);
    }

    const consumers = [sqs, other, client(), client()];
    /** Group -> the consumer holding its messages (from receive until it asks to delete them). */
    const holder = new Map<number, number>();
    const next = new Map<number, number>();
    const lastSequence = new Map<number, bigint>();
    const problems: string[] = [];
    const byConsumer = [0, 0, 0, 0];
    let processed = 0;
    const done = new AbortController();

    const consume = async (id: number): Promise<void> => {
      const c = consumers[id] as SQSClient;
      const max = [1, 3, 10, 5][id] as number;
      while (processed < TOTAL) {
        let got: Message[];
        try {
          const out = await c.send(
            new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['SequenceNumber'] }),
            { abortSignal: done.signal },
          );
          got = out.Messages ?? [];
        } catch (e) {
          if (done.signal.aborted) return;
          throw e;
        }
        for (const m of got) {
          const { g, i } = JSON.parse(m.Body ?? '') as { g: number; i: number };
          const h = holder.get(g);
          if (h !== undefined && h !== id) problems.push(`group ${g}: consumer ${id} got message ${i} while consumer ${h} holds the group`);
          holder.set(g, id);
          if (i !== (next.get(g) ?? 0)) problems.push(`group ${g}: message ${i} came when ${next.get(g) ?? 0} was due`);
          next.set(g, i + 1);
          const seq = BigInt(m.Attributes?.SequenceNumber ?? '0');
          if (seq <= (lastSequence.get(g) ?? 0n)) problems.push(`group ${g}: sequence number did not increase`);
          lastSequence.set(g, seq);
        }
        // Let the other consumers run while this one "works".
        await new Promise((r) => setImmediate(r));
        for (const m of got) holder.delete((JSON.parse(m.Body ?? '') as { g: number }).g);
        processed += got.length;
        byConsumer[id] = (byConsumer[id] as number) + got.length;
        if (got.length > 0) {
          const del = await c.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.map((m, k) => ({ Id: `m${k}`, ReceiptHandle: m.ReceiptHandle })) }));
          if ((del.Failed ?? []).length > 0) problems.push(`delete failed: ${JSON.stringify(del.Failed)}`);
        }
      }
      done.abort();
    };
    const started = Date.now();
    try {
      await Promise.all([0, 1, 2, 3].map(consume));
    } finally {
      for (const c of consumers.slice(2)) c.destroy();
    }
    assert.deepEqual(problems, []);
    assert.equal(processed, TOTAL);
    for (let g = 0; g < GROUPS; g++) assert.equal(next.get(g), PER_GROUP, `group ${g} complete`);
    assert.ok(byConsumer.filter((n) => n > 0).length >= 2, `consumers took turns: ${byConsumer.join(', ')}`);
    assert.deepEqual(await counts(url), [0, 0, 0]);
    assert.ok(Date.now() - started < 15_000, 'deletes wake the waiting consumers');
  });
});

// ---------------------------------------------------------------------------------------------
// Dead-letter queues and message move tasks
// ---------------------------------------------------------------------------------------------

describe('dead-letter queues and message move tasks', () => {
  it('moves a message to the DLQ after maxReceiveCount receives, and moves it back (§5.2, §6)', async () => {
    const dlq = await create('dl-dlq');
    const src = await create('dl-src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('dl-dlq'), maxReceiveCount: 2 }) });
    const other2 = await create('dl-src-2', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('dl-dlq'), maxReceiveCount: 5 }) });
    await create('dl-unrelated');

    const id = await send(src, 'poison', { MessageAttributes: { kind: string('bad') } });
    for (let n = 1; n <= 2; n++) {
      const m = await receiveOne(src, { VisibilityTimeout: 0, AttributeNames: LEGACY_RECEIVE_COUNT });
      assert.equal(m.Attributes?.ApproximateReceiveCount, String(n));
    }
    assert.deepEqual(await receive(src, { VisibilityTimeout: 0 }), [], 'the third receive moves it instead');
    assert.deepEqual(await counts(src), [0, 0, 0]);
    assert.deepEqual(await counts(dlq), [1, 0, 0]);
    const dead = await receiveOne(dlq, { VisibilityTimeout: 0, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] });
    assert.equal(dead.MessageId, id);
    assert.equal(dead.Body, 'poison');
    assert.deepEqual(dead.MessageAttributes, { kind: { DataType: 'String', StringValue: 'bad' } });
    assert.equal(dead.Attributes?.DeadLetterQueueSourceArn, arnOf('dl-src'));
    assert.equal(dead.Attributes?.ApproximateReceiveCount, '3', 'the receive count goes on');

    const sources = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    assert.deepEqual(sources.queueUrls, [src, other2]);
    const paged = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq, MaxResults: 1 }));
    assert.deepEqual(paged.queueUrls, [src]);
    assert.ok(paged.NextToken !== undefined);
    const rest = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq, MaxResults: 1, NextToken: paged.NextToken }));
    assert.deepEqual(rest.queueUrls, [other2]);
    assert.equal(rest.NextToken, undefined);
    assert.equal((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: src }))).queueUrls, undefined, 'none: {} (§4.4)');
    await fails(sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: `${server.url}/${ACCOUNT}/dl-none` })), noQueue);

    const startedAt = Date.now();
    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('dl-dlq') }));
    assert.ok(TaskHandle !== undefined);
    const decoded = JSON.parse(Buffer.from(TaskHandle, 'base64').toString('utf8')) as { taskId: string; sourceArn: string };
    assert.equal(decoded.sourceArn, arnOf('dl-dlq'), 'TaskHandle: base64 of {taskId, sourceArn} (§6)');
    const task = await until('the move task to complete', async () => {
      const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('dl-dlq') }));
      const t = out.Results?.[0];
      return t?.Status === 'COMPLETED' ? t : undefined;
    });
    assert.deepEqual({ ...task, StartedTimestamp: 'ts' }, {
      Status: 'COMPLETED',
      SourceArn: arnOf('dl-dlq'),
      ApproximateNumberOfMessagesMoved: 1,
      ApproximateNumberOfMessagesToMove: 1,
      StartedTimestamp: 'ts',
    });
    assert.ok((task.StartedTimestamp ?? 0) >= startedAt - 1000 && (task.StartedTimestamp ?? 0) <= Date.now(), 'StartedTimestamp in epoch ms');

    const back = await receiveOne(src, { MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] });
    assert.equal(back.MessageId, id);
    assert.equal(back.Body, 'poison');
    assert.deepEqual(back.MessageAttributes, { kind: { DataType: 'String', StringValue: 'bad' } });
    assert.equal(back.Attributes?.DeadLetterQueueSourceArn, undefined);
    assert.equal(back.Attributes?.ApproximateReceiveCount, '1');
    assert.deepEqual(await counts(dlq), [0, 0, 0]);

    // A finished task cannot be cancelled.
    await fails(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })), invalidParameter('Only tasks in RUNNING status can be cancelled.'));
  });

  it('moves to a given destination at a given rate; a running task can be cancelled (§6)', async () => {
    const dlq = await create('mv-dlq');
    await create('mv-src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('mv-dlq'), maxReceiveCount: 1 }) });
    const dest = await create('mv-dest');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlq, Entries: ['a', 'b', 'c', 'd'].map((b) => ({ Id: b, MessageBody: b })) }));

    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('mv-dlq'), DestinationArn: arnOf('mv-dest'), MaxNumberOfMessagesPerSecond: 1 }));
    assert.ok(TaskHandle !== undefined);
    const running = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mv-dlq') }))).Results?.[0];
    assert.equal(running?.Status, 'RUNNING');
    assert.equal(running?.TaskHandle, TaskHandle, 'TaskHandle listed while RUNNING');
    assert.equal(running?.DestinationArn, arnOf('mv-dest'));
    assert.equal(running?.MaxNumberOfMessagesPerSecond, 1);
    assert.equal(running?.ApproximateNumberOfMessagesToMove, 4);
    await fails(
      sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('mv-dlq') })),
      invalidParameter('There is already a task running. Only one active task is allowed for a source queue arn at a given time.'),
    );

    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    assert.ok((cancelled.ApproximateNumberOfMessagesMoved ?? -1) >= 0 && (cancelled.ApproximateNumberOfMessagesMoved ?? 9) <= 2);
    const final = await until('the task to be cancelled', async () => {
      const t = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mv-dlq') }))).Results?.[0];
      assert.ok(t?.Status === 'CANCELLING' || t?.Status === 'CANCELLED', String(t?.Status));
      return t?.Status === 'CANCELLED' ? t : undefined;
    });
    assert.equal(final.TaskHandle, undefined);
    const moved = final.ApproximateNumberOfMessagesMoved ?? -1;
    assert.ok(moved < 4, `the rate held it back (${moved} moved)`);
    const [destVisible] = await counts(dest);
    const [dlqVisible] = await counts(dlq);
    assert.equal(destVisible, moved);
    assert.equal(dlqVisible, 4 - moved);

    // A second task may start once the first is over; both are listed, newest first.
    const second = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('mv-dlq'), DestinationArn: arnOf('mv-dest') }));
    await until('the second task to complete', async () => {
      const t = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mv-dlq') }))).Results?.[0];
      return t?.Status === 'COMPLETED' ? t : undefined;
    });
    const both = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mv-dlq'), MaxResults: 10 }))).Results ?? [];
    assert.deepEqual(both.map((t) => t.Status), ['COMPLETED', 'CANCELLED']);
    assert.deepEqual(await counts(dest), [4, 0, 0]);
    assert.deepEqual(await counts(dlq), [0, 0, 0]);
    assert.ok(second.TaskHandle !== TaskHandle);
  });

  it('refuses bad move tasks (§2.8)', async () => {
    await create('mt-dlq');
    await create('mt-src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('mt-dlq'), maxReceiveCount: 3 }) });
    await create('mt-fifo.fifo', { FifoQueue: 'true' });
    const start = (input: { SourceArn: string; DestinationArn?: string; MaxNumberOfMessagesPerSecond?: number }): Promise<unknown> =>
      sqs.send(new StartMessageMoveTaskCommand(input));
    const notFound = (parameter: string): Expected => ({
      name: 'ResourceNotFoundException',
      status: 404,
      message: `The resource that you specified for the ${parameter} parameter doesn't exist.`,
    });
    await fails(start({ SourceArn: arnOf('mt-none') }), notFound('SourceArn'));
    await fails(start({ SourceArn: arnOf('mt-src') }), invalidParameter('Source queue must be configured as a Dead Letter Queue.'));
    await fails(start({ SourceArn: arnOf('mt-dlq'), DestinationArn: arnOf('mt-none') }), notFound('DestinationArn'));
    await fails(start({ SourceArn: arnOf('mt-dlq'), DestinationArn: arnOf('mt-dlq') }), invalidParameter('Source queue arn and destination queue arn cannot be the same.'));
    await fails(start({ SourceArn: arnOf('mt-dlq'), DestinationArn: arnOf('mt-fifo.fifo') }), invalidParameter('The source queue and destination queue must be of the same queue type.'));
    for (const rate of [0, 501]) {
      await fails(
        start({ SourceArn: arnOf('mt-dlq'), MaxNumberOfMessagesPerSecond: rate }),
        invalidParameter("Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and 500."),
      );
    }

    const cancel = (handle: string): Promise<unknown> => sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle }));
    const handle = (o: unknown): string => Buffer.from(JSON.stringify(o), 'utf8').toString('base64');
    await fails(cancel('not-a-handle'), invalidParameter('Value for parameter TaskHandle is invalid.'));
    await fails(cancel(handle({ taskId: 'x' })), invalidParameter('Value for parameter TaskHandle is invalid.'));
    await fails(cancel(handle({ taskId: '3f1f5a4e-0000-4000-8000-000000000000', sourceArn: arnOf('mt-none') })), notFound('SourceArn'));
    await fails(cancel(handle({ taskId: '3f1f5a4e-0000-4000-8000-000000000000', sourceArn: arnOf('mt-dlq') })), {
      name: 'ResourceNotFoundException',
      status: 404,
      message: 'Task does not exist.',
    });

    await fails(sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mt-none') })), notFound('SourceArn'));
    assert.deepEqual((await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mt-dlq') }))).Results, []);
    for (const n of [0, 11]) {
      await fails(
        sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mt-dlq'), MaxResults: n })),
        invalidParameter(`Value ${n} for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.`),
      );
    }
  });

  it('fails a move task whose destination is deleted (§6)', async () => {
    const dlq = await create('mf-dlq');
    await create('mf-src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('mf-dlq'), maxReceiveCount: 1 }) });
    const dest = await create('mf-dest');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlq, Entries: ['a', 'b', 'c'].map((b) => ({ Id: b, MessageBody: b })) }));
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('mf-dlq'), DestinationArn: arnOf('mf-dest'), MaxNumberOfMessagesPerSecond: 1 }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dest }));
    const failed = await until('the task to fail', async () => {
      const t = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('mf-dlq') }))).Results?.[0];
      return t?.Status === 'FAILED' ? t : undefined;
    });
    assert.equal(failed.FailureReason, 'AWS.SimpleQueueService.NonExistentQueue');
    const [left] = await counts(dlq);
    assert.ok(left >= 2, `the rest stayed in the DLQ (${left})`);
  });
});
