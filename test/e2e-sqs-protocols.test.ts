// End to end: SQS's two wire protocols on a real server process, with the clients users have.
//
//   AWS JSON 1.0   @aws-sdk/client-sqs, plus raw requests for the error headers
//   query          raw form POSTs and GETs signed with the SDK's signer (@smithy/signature-v4);
//                  the tours with Debian 12's AWS CLI v2 (query) are in e2e-sqs-cli.test.ts
//
// Expected wire forms: docs/notes/aws-sqs-api.md §1 (AWS's documented samples and recorded answers):
// JSON errors `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does
// not exist."}` with `x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender`; query
// errors `<ErrorResponse>` with the query code and, for a missing queue, "…for this wsdl version.";
// signature refusals on SQS are 403 SignatureDoesNotMatch / InvalidClientTokenId (src/http/sigv4.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

import { rejects } from './helpers/aws.js';
import { assertNoServersLeft, removeDataDir, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const NS = 'http://queue.amazonaws.com/doc/2012-11-05/';
const KEY = { accessKeyId: 'AKIDSQS', secretAccessKey: 'sqs-secret', account: '111111111111' } as const;
/** A body with what XML makes hard: markup characters, CR LF, a tab, a character outside the BMP. */
const AWKWARD = 'a & b < c > d "e" \'f\'\r\nline two\twith 😀 and é';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

let open!: ServerProcess;
let secured!: ServerProcess;

before(async () => {
  [open, secured] = await Promise.all([startServer(), startServer({ args: ['--credentials', `${KEY.accessKeyId}:${KEY.secretAccessKey}:${KEY.account}`] })]);
});

after(async () => {
  try {
    for (const server of [open, secured]) {
      if (server === undefined) continue;
      assert.equal(await server.stop(), 0, 'graceful stop exits 0');
      removeDataDir(server.dataDir);
    }
  } finally {
    assertNoServersLeft();
  }
});

function sqsClient(server: ServerProcess, credentials: { accessKeyId: string; secretAccessKey: string } = { accessKeyId: 'test', secretAccessKey: 'test' }): SQSClient {
  return new SQSClient({ endpoint: server.url, region: REGION, credentials, maxAttempts: 1 });
}


// ------------------------------------------------------------------------------------------------
// Raw requests
// ------------------------------------------------------------------------------------------------

interface Raw {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

interface RawOptions {
  readonly method?: 'GET' | 'POST';
  readonly path?: string;
  readonly headers?: Record<string, string>;
  /** Form fields: the body of a POST, the query string of a GET. */
  readonly form?: Record<string, string>;
  readonly body?: string;
  /** Sign with these credentials (service `sqs`); unsigned when absent. */
  readonly sign?: { accessKeyId: string; secretAccessKey: string };
}

async function raw(server: ServerProcess, o: RawOptions): Promise<Raw> {
  const url = new URL(server.url);
  const method = o.method ?? 'POST';
  const formText = o.form === undefined ? undefined : new URLSearchParams({ Version: '2012-11-05', ...o.form }).toString();
  const body = method === 'GET' ? undefined : (o.body ?? formText ?? '');
  const headers: Record<string, string> = {
    host: url.host,
    ...(method === 'POST' && o.form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } : {}),
    ...o.headers,
  };
  const query: Record<string, string> = method === 'GET' ? Object.fromEntries(new URLSearchParams(formText ?? '')) : {};
  let request = new HttpRequest({ method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: o.path ?? '/', headers, query, ...(body === undefined ? {} : { body }) });
  if (o.sign !== undefined) {
    const signer = new SignatureV4({ service: 'sqs', region: REGION, credentials: o.sign, sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
    request = (await signer.sign(request)) as HttpRequest;
  }
  const { host: _host, ...sent } = request.headers;
  const qs = new URLSearchParams(request.query as Record<string, string>).toString().replace(/\+/g, '%20');
  const res = await fetch(`${server.url}${request.path}${qs === '' ? '' : `?${qs}`}`, { method, headers: sent, ...(body === undefined ? {} : { body }) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The XML error answer: status, `<Type>`, `<Code>`, `<Message>`, and the request id in body and header agree. */
function xmlError(r: Raw, status: number, code: string): string {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type'), 'text/xml');
  const id = r.headers.get('x-amzn-requestid') ?? '';
  const m = new RegExp(
    `^<\\?xml version="1\\.0"\\?><ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code.replace(/\./g, '\\.')}</Code>` +
      `<Message>(.*)</Message><Detail/></Error><RequestId>${id}</RequestId></ErrorResponse>$`,
    's',
  ).exec(r.text);
  assert.ok(m !== null && id !== '', r.text);
  return m[1] as string;
}

/** The `<OpResult>` contents of a successful XML answer. */
function xmlResult(r: Raw, operation: string): string {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'text/xml');
  const id = r.headers.get('x-amzn-requestid') ?? '';
  const m = new RegExp(
    `^<\\?xml version="1\\.0"\\?><${operation}Response xmlns="${NS}">(?:<${operation}Result>(.*)</${operation}Result>|<${operation}Result/>)?` +
      `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${operation}Response>$`,
    's',
  ).exec(r.text);
  assert.ok(m !== null && id !== '', r.text);
  return m[1] ?? '';
}

function xmlEscaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#xD;');
}

// ------------------------------------------------------------------------------------------------

describe('EventBridge keeps its AWS JSON 1.1 errors', () => {
  it('bare __type, no x-amzn-query-error', async () => {
    const r = await raw(open, { headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.DescribeEventBus' }, body: '{"Name":"nope"}' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('content-type'), 'application/x-amz-json-1.1');
    assert.equal(r.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    assert.equal(r.headers.get('x-amzn-query-error'), null);
    assert.deepEqual(JSON.parse(r.text), { __type: 'ResourceNotFoundException', message: 'Event bus nope does not exist.' });
  });
});

describe('SQS on AWS JSON 1.0 (@aws-sdk/client-sqs)', () => {
  it('CreateQueue, GetQueueUrl, SendMessage and ReceiveMessage round-trip an awkward body and attributes', async () => {
    const sqs = sqsClient(open);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'json-orders' }));
      assert.equal(QueueUrl, `${open.url}/${ACCOUNT}/json-orders`);
      assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'json-orders' }))).QueueUrl, QueueUrl);
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: AWKWARD,
          MessageAttributes: {
            colour: { DataType: 'String', StringValue: 'blue & <green>' },
            count: { DataType: 'Number', StringValue: '42' },
            bytes: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
          },
        }),
      );
      // The SDK checks MD5OfMessageBody and MD5OfMessageAttributes itself; check the body's too.
      assert.equal(sent.MD5OfMessageBody, md5(AWKWARD));
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['SenderId'] }));
      assert.equal(got.Messages?.length, 1);
      const m = got.Messages?.[0];
      assert.equal(m?.Body, AWKWARD);
      assert.equal(m?.MessageId, sent.MessageId);
      assert.equal(m?.MessageAttributes?.colour?.StringValue, 'blue & <green>');
      assert.deepEqual([...(m?.MessageAttributes?.bytes?.BinaryValue ?? [])], [0, 1, 2, 255]);
      assert.equal(typeof m?.Attributes?.SenderId, 'string');
      const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
      assert.equal(attributes.Attributes?.VisibilityTimeout, '30');
      assert.equal(attributes.Attributes?.QueueArn, `arn:aws:sqs:${REGION}:${ACCOUNT}:json-orders`);
    } finally {
      sqs.destroy();
    }
  });

  it('an unknown queue: QueueDoesNotExist, reported with the query code the header carries', async () => {
    const sqs = sqsClient(open);
    try {
      await rejects(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })), 'QueueDoesNotExist', 'The specified queue does not exist.');
      const e = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })).catch((err: unknown) => err)) as { Code?: string; Type?: string };
      assert.equal(e.Code, 'AWS.SimpleQueueService.NonExistentQueue');
      assert.equal(e.Type, 'Sender');
    } finally {
      sqs.destroy();
    }
    // On the wire: AWS's documented sample (sqs-json-api-responses.html).
    const r = await raw(open, { headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' }, body: '{"QueueName":"no-such-queue"}' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('content-type'), 'application/x-amz-json-1.0');
    assert.equal(r.headers.get('x-amzn-query-error'), 'AWS.SimpleQueueService.NonExistentQueue;Sender');
    assert.equal(r.headers.get('x-amzn-errortype'), 'com.amazonaws.sqs#QueueDoesNotExist');
    assert.ok((r.headers.get('x-amzn-requestid') ?? '') !== '');
    assert.deepEqual(JSON.parse(r.text), { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
  });

  // Needs the catalogue (src/domain/errors.ts) to give UnknownOperationException SQS's JSON type
  // and query code: json 'com.amazon.coral.service#UnknownOperationException', query 'InvalidAction'.
  it('a missing parameter and an unknown operation: Coral types, query codes in the header', async () => {
    const missing = await raw(open, { headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' }, body: '{"QueueUrl":"q"}' });
    assert.equal(missing.status, 400);
    assert.equal(missing.headers.get('x-amzn-query-error'), 'MissingParameter;Sender');
    assert.deepEqual(JSON.parse(missing.text), {
      __type: 'com.amazon.coral.service#MissingRequiredParameterException',
      message: 'The request must contain the parameter MessageBody.',
    });
    // AWS: com.amazon.coral.service#UnknownOperationException, query code InvalidAction (notes §1.4).
    const unknown = await raw(open, { headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.NoSuchOperation' }, body: '{}' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers.get('x-amzn-query-error'), 'InvalidAction;Sender');
    assert.deepEqual(JSON.parse(unknown.text), { __type: 'com.amazon.coral.service#UnknownOperationException' });
  });
});

describe('SQS on the query protocol (signed form requests)', () => {
  it('CreateQueue with attributes and tags; SendMessage to the queue URL; ReceiveMessage by GET', async () => {
    const created = xmlResult(
      await raw(open, {
        form: {
          Action: 'CreateQueue',
          QueueName: 'query-orders',
          'Attribute.1.Name': 'VisibilityTimeout',
          'Attribute.1.Value': '45',
          'Tag.1.Key': 'team',
          'Tag.1.Value': 'payments',
        },
        sign: KEY,
      }),
      'CreateQueue',
    );
    const queueUrl = `${open.url}/${ACCOUNT}/query-orders`;
    assert.equal(created, `<QueueUrl>${queueUrl}</QueueUrl>`);

    // Older SDKs POST to the queue URL and leave QueueUrl out of the form.
    const sent = xmlResult(
      await raw(open, {
        path: `/${ACCOUNT}/query-orders`,
        form: {
          Action: 'SendMessage',
          MessageBody: AWKWARD,
          'MessageAttribute.1.Name': 'colour',
          'MessageAttribute.1.Value.DataType': 'String',
          'MessageAttribute.1.Value.StringValue': 'blue',
          'MessageAttribute.2.Name': 'bytes',
          'MessageAttribute.2.Value.DataType': 'Binary',
          'MessageAttribute.2.Value.BinaryValue': Buffer.from([0, 1, 2, 255]).toString('base64'),
        },
        sign: KEY,
      }),
      'SendMessage',
    );
    assert.match(sent, new RegExp(`^<MD5OfMessageBody>${md5(AWKWARD)}</MD5OfMessageBody><MD5OfMessageAttributes>[0-9a-f]{32}</MD5OfMessageAttributes><MessageId>[^<]+</MessageId>$`));

    const received = xmlResult(
      await raw(open, {
        method: 'GET',
        path: `/${ACCOUNT}/query-orders`,
        form: { Action: 'ReceiveMessage', AttributeName: 'All', 'MessageAttributeName.1': 'All', MaxNumberOfMessages: '10' },
        sign: KEY,
      }),
      'ReceiveMessage',
    );
    assert.ok(received.startsWith('<Message><MessageId>'), received);
    assert.ok(received.includes(`<MD5OfBody>${md5(AWKWARD)}</MD5OfBody><Body>${xmlEscaped(AWKWARD)}</Body>`), received);
    assert.match(received, /<Attribute><Name>SenderId<\/Name><Value>[^<]+<\/Value><\/Attribute>/);
    assert.ok(received.includes('<MessageAttribute><Name>colour</Name><Value><StringValue>blue</StringValue><DataType>String</DataType></Value></MessageAttribute>'), received);
    assert.ok(received.includes('<MessageAttribute><Name>bytes</Name><Value><BinaryValue>AAEC/w==</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>'), received);

    const attributes = xmlResult(
      await raw(open, { form: { Action: 'GetQueueAttributes', QueueUrl: queueUrl, 'AttributeName.1': 'VisibilityTimeout', 'AttributeName.2': 'QueueArn' }, sign: KEY }),
      'GetQueueAttributes',
    );
    assert.ok(attributes.includes('<Attribute><Name>VisibilityTimeout</Name><Value>45</Value></Attribute>'), attributes);
    assert.ok(attributes.includes(`<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:${REGION}:${ACCOUNT}:query-orders</Value></Attribute>`), attributes);
    const tags = xmlResult(await raw(open, { form: { Action: 'ListQueueTags', QueueUrl: queueUrl }, sign: KEY }), 'ListQueueTags');
    assert.equal(tags, '<Tag><Key>team</Key><Value>payments</Value></Tag>');
    const queues = xmlResult(await raw(open, { form: { Action: 'ListQueues', QueueNamePrefix: 'query-' }, sign: KEY }), 'ListQueues');
    assert.equal(queues, `<QueueUrl>${queueUrl}</QueueUrl>`);
  });

  it('batches: SendMessageBatch and DeleteMessageBatch entries and results', async () => {
    xmlResult(await raw(open, { form: { Action: 'CreateQueue', QueueName: 'query-batch' } }), 'CreateQueue');
    const queueUrl = `${open.url}/${ACCOUNT}/query-batch`;
    const sent = xmlResult(
      await raw(open, {
        form: {
          Action: 'SendMessageBatch',
          QueueUrl: queueUrl,
          'SendMessageBatchRequestEntry.1.Id': 'one',
          'SendMessageBatchRequestEntry.1.MessageBody': 'first',
          'SendMessageBatchRequestEntry.2.Id': 'two',
          'SendMessageBatchRequestEntry.2.MessageBody': 'second',
          'SendMessageBatchRequestEntry.2.DelaySeconds': '0',
        },
      }),
      'SendMessageBatch',
    );
    assert.match(
      sent,
      new RegExp(
        `^<SendMessageBatchResultEntry><Id>one</Id><MessageId>[^<]+</MessageId><MD5OfMessageBody>${md5('first')}</MD5OfMessageBody></SendMessageBatchResultEntry>` +
          `<SendMessageBatchResultEntry><Id>two</Id><MessageId>[^<]+</MessageId><MD5OfMessageBody>${md5('second')}</MD5OfMessageBody></SendMessageBatchResultEntry>$`,
      ),
    );
    const received = xmlResult(await raw(open, { form: { Action: 'ReceiveMessage', QueueUrl: queueUrl, MaxNumberOfMessages: '10' } }), 'ReceiveMessage');
    const handles = [...received.matchAll(/<ReceiptHandle>([^<]+)<\/ReceiptHandle>/g)].map((m) => m[1] as string);
    assert.equal(handles.length, 2, received);
    const form: Record<string, string> = { Action: 'DeleteMessageBatch', QueueUrl: queueUrl };
    handles.forEach((h, i) => {
      form[`DeleteMessageBatchRequestEntry.${i + 1}.Id`] = `d${i}`;
      // Handles come back XML-escaped; these are base64, with nothing to unescape.
      form[`DeleteMessageBatchRequestEntry.${i + 1}.ReceiptHandle`] = h;
    });
    assert.equal(
      xmlResult(await raw(open, { form }), 'DeleteMessageBatch'),
      '<DeleteMessageBatchResultEntry><Id>d0</Id></DeleteMessageBatchResultEntry><DeleteMessageBatchResultEntry><Id>d1</Id></DeleteMessageBatchResultEntry>',
    );
    // An empty batch as botocore sends it: the bare name.
    const empty = await raw(open, { form: { Action: 'DeleteMessageBatch', QueueUrl: queueUrl, DeleteMessageBatchRequestEntry: '' } });
    assert.equal(xmlError(empty, 400, 'AWS.SimpleQueueService.EmptyBatchRequest'), 'There should be at least one DeleteMessageBatchRequestEntry in the request.');
  });

  it('errors: an unknown queue, an unknown Action', async () => {
    const queue = await raw(open, { form: { Action: 'GetQueueUrl', QueueName: 'no-such-queue' }, sign: KEY });
    // AWS: query-protocol wording of QueueDoesNotExist (LocalStack snapshot test_non_existent_queue).
    assert.equal(xmlError(queue, 400, 'AWS.SimpleQueueService.NonExistentQueue'), 'The specified queue does not exist for this wsdl version.');
    const action = await raw(open, { form: { Action: 'SendMessages' }, sign: KEY });
    assert.equal(xmlError(action, 400, 'InvalidAction'), 'The action SendMessages is not valid for this web service.');
    const inherited = await raw(open, { method: 'GET', form: { Action: 'constructor' } });
    assert.equal(xmlError(inherited, 400, 'InvalidAction'), 'The action constructor is not valid for this web service.');
  });

  // Needs SQS's four signature refusals in the catalogue (src/domain/errors.ts), as src/http/sigv4.ts
  // names them: MissingAuthenticationToken 403, IncompleteSignature 400, SignatureDoesNotMatch 403,
  // InvalidClientTokenId 403. Without them a refusal is a 500 InternalException.
  it('signatures: a wrong secret or an unknown key is refused in XML with 403, a malformed header with 400', async () => {
    const good = await raw(secured, { form: { Action: 'ListQueues' }, sign: KEY });
    xmlResult(good, 'ListQueues');
    const wrong = await raw(secured, { form: { Action: 'ListQueues' }, sign: { ...KEY, secretAccessKey: 'wrong' } });
    assert.ok(xmlError(wrong, 403, 'SignatureDoesNotMatch').startsWith('The request signature we calculated does not match the signature you provided.'));
    const unknown = await raw(secured, { form: { Action: 'ListQueues' }, sign: { accessKeyId: 'AKIDNOBODY', secretAccessKey: 'x' } });
    assert.equal(xmlError(unknown, 403, 'InvalidClientTokenId'), 'The security token included in the request is invalid.');
    const malformed = await raw(secured, { form: { Action: 'ListQueues' }, headers: { authorization: 'AWS4-HMAC-SHA256 garbage', 'x-amz-date': '20260101T000000Z' } });
    xmlError(malformed, 400, 'IncompleteSignature');
    const unsigned = await raw(secured, { form: { Action: 'ListQueues' } });
    assert.equal(xmlError(unsigned, 403, 'MissingAuthenticationToken'), 'Request is missing Authentication Token');
    // The same refusal on JSON: the SDK reports the query code.
    const sqs = sqsClient(secured, { ...KEY, secretAccessKey: 'wrong' });
    try {
      await assert.rejects(sqs.send(new ListQueuesCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, 'SignatureDoesNotMatch');
        assert.equal(e.$metadata?.httpStatusCode, 403);
        return true;
      });
    } finally {
      sqs.destroy();
    }
  });
});
