// The query-protocol codec (src/http/query.ts) with SQS's facts (src/http/sqs-query.ts): form
// parameters decoded into the JSON-shaped inputs the handlers take, outputs and errors encoded as
// SQS's XML. Pure functions, tested without a server; test/e2e-sqs-protocols.test.ts drives the
// same code through real clients.
//
// Where the expected forms come from: the parameter names are botocore's QuerySerializer output
// for SQS's last query model (docs/notes/aws-sqs-api.md §1.5); the XML shapes are AWS's documented
// samples and real answers quoted in the same notes (§1.6, §1.7). The names table itself is
// checked against AWS's current Smithy model as shipped in @aws-sdk/client-sqs (last block).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import * as sqsClient from '@aws-sdk/client-sqs';

import { SQS_MODEL } from '../src/api/models/sqs.generated.js';
import { validateInput } from '../src/api/validate.js';
import type { ServiceModel } from '../src/api/validate.js';
import { decodeQueryInput, encodeQueryError, encodeQueryResponse, parseQueryParams, xmlText } from '../src/http/query.js';
import type { QueryProtocol } from '../src/http/query.js';
import { SQS_QUERY, SQS_QUERY_NAMES } from '../src/http/sqs-query.js';

const NS = 'http://queue.amazonaws.com/doc/2012-11-05/';
const QUEUE_URL = 'http://127.0.0.1:4010/000000000000/orders';
const RID = '9f0c8a46-3c5d-4b1e-8a9e-2f4a6b1c0d7e';

/** Decode a form body for an SQS operation, as the edge does. */
function decode(operation: string, form: string, resourceUrl?: string): Record<string, unknown> {
  const input = decodeQueryInput(SQS_QUERY, operation, parseQueryParams(form), resourceUrl);
  // Whatever the codec produces must be what the JSON protocol would carry: it passes the same validation.
  assert.equal(validateInput(SQS_MODEL, operation, input), null, `${operation} input does not validate: ${JSON.stringify(input)}`);
  return input;
}

function form(pairs: Record<string, string>): string {
  return new URLSearchParams({ Version: '2012-11-05', ...pairs }).toString();
}

/** The XML answer of an operation, with its `<OpResult>` contents given. */
function answer(operation: string, result: string | null): string {
  const inner = result === null ? '' : result === '' ? `<${operation}Result/>` : `<${operation}Result>${result}</${operation}Result>`;
  return (
    `<?xml version="1.0"?><${operation}Response xmlns="${NS}">${inner}` +
    `<ResponseMetadata><RequestId>${RID}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

function encode(operation: string, output: unknown): string {
  return encodeQueryResponse(SQS_QUERY, operation, output, RID);
}

describe('query parameters', () => {
  it('are form-decoded: + is a space, %XX is UTF-8, the first of a repeated name wins', () => {
    const params = parseQueryParams('Action=SendMessage&MessageBody=a+b%20c%26d%3D%F0%9F%98%80%C3%A9&Action=DeleteQueue');
    assert.equal(params.get('Action'), 'SendMessage');
    assert.equal(params.get('MessageBody'), 'a b c&d=😀é');
    // A second source (the body after the query string) does not override the first.
    parseQueryParams('Action=ListQueues&QueueUrl=x', params);
    assert.equal(params.get('Action'), 'SendMessage');
    assert.equal(params.get('QueueUrl'), 'x');
  });
});

describe('query request -> JSON-shaped input', () => {
  it('SendMessage: scalars, integers as numbers, message attributes of each type, system attributes', () => {
    const input = decode(
      'SendMessage',
      form({
        Action: 'SendMessage',
        QueueUrl: QUEUE_URL,
        MessageBody: 'hello\r\nworld',
        DelaySeconds: '5',
        'MessageAttribute.1.Name': 'colour',
        'MessageAttribute.1.Value.DataType': 'String',
        'MessageAttribute.1.Value.StringValue': 'blue',
        'MessageAttribute.2.Name': 'blob',
        'MessageAttribute.2.Value.DataType': 'Binary',
        'MessageAttribute.2.Value.BinaryValue': 'AAEC/w==',
        'MessageAttribute.3.Name': 'n',
        'MessageAttribute.3.Value.DataType': 'Number.int',
        'MessageAttribute.3.Value.StringValue': '42',
        'MessageSystemAttribute.1.Name': 'AWSTraceHeader',
        'MessageSystemAttribute.1.Value.DataType': 'String',
        'MessageSystemAttribute.1.Value.StringValue': 'Root=1-5759e988-bd862e3fe1be46a994272793',
        MessageGroupId: 'g1',
        MessageDeduplicationId: 'd1',
      }),
    );
    assert.deepEqual(input, {
      QueueUrl: QUEUE_URL,
      MessageBody: 'hello\r\nworld',
      DelaySeconds: 5,
      MessageAttributes: {
        colour: { DataType: 'String', StringValue: 'blue' },
        blob: { DataType: 'Binary', BinaryValue: 'AAEC/w==' },
        n: { DataType: 'Number.int', StringValue: '42' },
      },
      MessageSystemAttributes: {
        AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' },
      },
      MessageGroupId: 'g1',
      MessageDeduplicationId: 'd1',
    });
  });

  it('SendMessage: list values of a message attribute (StringListValue.N, BinaryListValue.N)', () => {
    const input = decode(
      'SendMessage',
      form({
        QueueUrl: QUEUE_URL,
        MessageBody: 'x',
        'MessageAttribute.1.Name': 'l',
        'MessageAttribute.1.Value.DataType': 'String',
        'MessageAttribute.1.Value.StringListValue.2': 'b',
        'MessageAttribute.1.Value.StringListValue.1': 'a',
        'MessageAttribute.1.Value.BinaryListValue.1': 'AA==',
      }),
    );
    assert.deepEqual(input.MessageAttributes, { l: { DataType: 'String', StringListValues: ['a', 'b'], BinaryListValues: ['AA=='] } });
  });

  it('ReceiveMessage: AttributeName.N (AttributeNames), MessageAttributeName.N, integers', () => {
    const input = decode(
      'ReceiveMessage',
      form({
        QueueUrl: QUEUE_URL,
        'AttributeName.1': 'SentTimestamp',
        'AttributeName.2': 'ApproximateReceiveCount',
        'MessageAttributeName.1': 'All',
        MaxNumberOfMessages: '10',
        VisibilityTimeout: '0',
        WaitTimeSeconds: '20',
        ReceiveRequestAttemptId: 'attempt-1',
      }),
    );
    // MessageSystemAttributeNames has the same query name (Smithy xmlName AttributeName): the
    // first member in model order, AttributeNames, takes the values.
    assert.deepEqual(input, {
      QueueUrl: QUEUE_URL,
      AttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      MessageAttributeNames: ['All'],
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      WaitTimeSeconds: 20,
      ReceiveRequestAttemptId: 'attempt-1',
    });
  });

  it('lists: indexes in ascending order with gaps skipped; bare Name=v is [v]; bare Name= is []', () => {
    const params = { QueueUrl: QUEUE_URL, 'AttributeName.10': 'c', 'AttributeName.2': 'b', 'AttributeName.1': 'a' };
    assert.deepEqual(decode('GetQueueAttributes', form(params)).AttributeNames, ['a', 'b', 'c']);
    // SQS's own documentation writes `AttributeName=All` without an index.
    assert.deepEqual(decode('ReceiveMessage', form({ QueueUrl: QUEUE_URL, AttributeName: 'All' })).AttributeNames, ['All']);
    // botocore sends an empty list as the bare name with an empty value.
    assert.deepEqual(decode('GetQueueAttributes', form({ QueueUrl: QUEUE_URL, AttributeName: '' })).AttributeNames, []);
    // Index 0, signs and other junk are not indexes.
    const junk = { QueueUrl: QUEUE_URL, 'AttributeName.0': 'x', 'AttributeName.-1': 'y', 'AttributeName.01': 'z', 'AttributeName.a': 'w' };
    assert.equal(decode('GetQueueAttributes', form(junk)).AttributeNames, undefined);
  });

  it('CreateQueue: Attribute.N.Name/Value and Tag.N.Key/Value (the lower-case `tags` member)', () => {
    const input = decode(
      'CreateQueue',
      form({
        QueueName: 'orders.fifo',
        'Attribute.1.Name': 'FifoQueue',
        'Attribute.1.Value': 'true',
        'Attribute.2.Name': 'VisibilityTimeout',
        'Attribute.2.Value': '60',
        'Attribute.3.Name': 'RedrivePolicy',
        'Attribute.3.Value': '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"5"}',
        'Tag.1.Key': 'team',
        'Tag.1.Value': 'payments',
        'Tag.2.Key': 'empty',
        'Tag.2.Value': '',
      }),
    );
    assert.deepEqual(input, {
      QueueName: 'orders.fifo',
      Attributes: {
        FifoQueue: 'true',
        VisibilityTimeout: '60',
        RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"5"}',
      },
      tags: { team: 'payments', empty: '' },
    });
  });

  it('maps: an entry without its name or its value is left out; the first of a repeated name wins', () => {
    const input = decode(
      'SetQueueAttributes',
      form({
        QueueUrl: QUEUE_URL,
        'Attribute.1.Name': 'DelaySeconds',
        'Attribute.1.Value': '5',
        'Attribute.2.Value': 'orphan',
        'Attribute.3.Name': 'NoValue',
        'Attribute.4.Name': 'DelaySeconds',
        'Attribute.4.Value': '9',
      }),
    );
    assert.deepEqual(input.Attributes, { DelaySeconds: '5' });
  });

  it('TagQueue, UntagQueue, GetQueueAttributes, AddPermission, RemovePermission', () => {
    assert.deepEqual(decode('TagQueue', form({ QueueUrl: QUEUE_URL, 'Tag.1.Key': 'a', 'Tag.1.Value': '1' })), {
      QueueUrl: QUEUE_URL,
      Tags: { a: '1' },
    });
    assert.deepEqual(decode('UntagQueue', form({ QueueUrl: QUEUE_URL, 'TagKey.1': 'a', 'TagKey.2': 'b' })), {
      QueueUrl: QUEUE_URL,
      TagKeys: ['a', 'b'],
    });
    assert.deepEqual(decode('GetQueueAttributes', form({ QueueUrl: QUEUE_URL, 'AttributeName.1': 'All' })), {
      QueueUrl: QUEUE_URL,
      AttributeNames: ['All'],
    });
    const permission = form({
      QueueUrl: QUEUE_URL,
      Label: 'p1',
      'AWSAccountId.1': '111111111111',
      'AWSAccountId.2': '222222222222',
      'ActionName.1': 'SendMessage',
      'ActionName.2': 'ReceiveMessage',
    });
    assert.deepEqual(decode('AddPermission', permission), {
      QueueUrl: QUEUE_URL,
      Label: 'p1',
      AWSAccountIds: ['111111111111', '222222222222'],
      Actions: ['SendMessage', 'ReceiveMessage'],
    });
    assert.deepEqual(decode('RemovePermission', form({ QueueUrl: QUEUE_URL, Label: 'p1' })), { QueueUrl: QUEUE_URL, Label: 'p1' });
  });

  it('SendMessageBatch: SendMessageBatchRequestEntry.N with nested message attributes', () => {
    const input = decode(
      'SendMessageBatch',
      form({
        QueueUrl: QUEUE_URL,
        'SendMessageBatchRequestEntry.1.Id': 'a',
        'SendMessageBatchRequestEntry.1.MessageBody': 'first',
        'SendMessageBatchRequestEntry.1.DelaySeconds': '3',
        'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'k',
        'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'String',
        'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': 'v',
        'SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Name': 'AWSTraceHeader',
        'SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.DataType': 'String',
        'SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.StringValue': 'Root=1-a-b',
        'SendMessageBatchRequestEntry.2.Id': 'b',
        'SendMessageBatchRequestEntry.2.MessageBody': 'second',
        'SendMessageBatchRequestEntry.2.MessageGroupId': 'g',
        'SendMessageBatchRequestEntry.2.MessageDeduplicationId': 'd',
      }),
    );
    assert.deepEqual(input, {
      QueueUrl: QUEUE_URL,
      Entries: [
        {
          Id: 'a',
          MessageBody: 'first',
          DelaySeconds: 3,
          MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
          MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-a-b' } },
        },
        { Id: 'b', MessageBody: 'second', MessageGroupId: 'g', MessageDeduplicationId: 'd' },
      ],
    });
    // An empty batch as botocore sends it reaches the handler as [] (which answers EmptyBatchRequest).
    assert.deepEqual(decode('SendMessageBatch', form({ QueueUrl: QUEUE_URL, SendMessageBatchRequestEntry: '' })).Entries, []);
  });

  it('DeleteMessageBatch and ChangeMessageVisibilityBatch entries', () => {
    assert.deepEqual(
      decode(
        'DeleteMessageBatch',
        form({
          QueueUrl: QUEUE_URL,
          'DeleteMessageBatchRequestEntry.1.Id': 'x',
          'DeleteMessageBatchRequestEntry.1.ReceiptHandle': 'rh+/=1',
          'DeleteMessageBatchRequestEntry.2.Id': 'y',
          'DeleteMessageBatchRequestEntry.2.ReceiptHandle': 'rh2',
        }),
      ).Entries,
      [
        { Id: 'x', ReceiptHandle: 'rh+/=1' },
        { Id: 'y', ReceiptHandle: 'rh2' },
      ],
    );
    assert.deepEqual(
      decode(
        'ChangeMessageVisibilityBatch',
        form({
          QueueUrl: QUEUE_URL,
          'ChangeMessageVisibilityBatchRequestEntry.1.Id': 'x',
          'ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle': 'rh1',
          'ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout': '30',
        }),
      ).Entries,
      [{ Id: 'x', ReceiptHandle: 'rh1', VisibilityTimeout: 30 }],
    );
  });

  it('the remaining operations: scalars only', () => {
    assert.deepEqual(decode('ListQueues', form({ QueueNamePrefix: 'ord', MaxResults: '50', NextToken: 't' })), {
      QueueNamePrefix: 'ord',
      MaxResults: 50,
      NextToken: 't',
    });
    assert.deepEqual(decode('GetQueueUrl', form({ QueueName: 'orders', QueueOwnerAWSAccountId: '000000000000' })), {
      QueueName: 'orders',
      QueueOwnerAWSAccountId: '000000000000',
    });
    assert.deepEqual(decode('ChangeMessageVisibility', form({ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh', VisibilityTimeout: '60' })), {
      QueueUrl: QUEUE_URL,
      ReceiptHandle: 'rh',
      VisibilityTimeout: 60,
    });
    assert.deepEqual(decode('DeleteMessage', form({ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh' })), { QueueUrl: QUEUE_URL, ReceiptHandle: 'rh' });
    assert.deepEqual(decode('PurgeQueue', form({ QueueUrl: QUEUE_URL })), { QueueUrl: QUEUE_URL });
    assert.deepEqual(decode('ListDeadLetterSourceQueues', form({ QueueUrl: QUEUE_URL, MaxResults: '5' })), { QueueUrl: QUEUE_URL, MaxResults: 5 });
    const arn = 'arn:aws:sqs:us-east-1:000000000000:dlq';
    assert.deepEqual(decode('StartMessageMoveTask', form({ SourceArn: arn, MaxNumberOfMessagesPerSecond: '10' })), {
      SourceArn: arn,
      MaxNumberOfMessagesPerSecond: 10,
    });
    assert.deepEqual(decode('ListMessageMoveTasks', form({ SourceArn: arn, MaxResults: '1' })), { SourceArn: arn, MaxResults: 1 });
    assert.deepEqual(decode('CancelMessageMoveTask', form({ TaskHandle: 'h' })), { TaskHandle: 'h' });
  });

  it('ignores parameters the input does not have (Action, Version, presigning, misspellings)', () => {
    const input = decode(
      'DeleteQueue',
      'Action=DeleteQueue&Version=2012-11-05&QueueUrl=q&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc&QueueURL=other&Queueurl=x',
    );
    assert.deepEqual(input, { QueueUrl: 'q' });
  });

  it('takes QueueUrl from the queue URL the request was sent to, unless the form gives it', () => {
    assert.deepEqual(decode('SendMessage', form({ MessageBody: 'm' }), QUEUE_URL), { MessageBody: 'm', QueueUrl: QUEUE_URL });
    assert.equal(decode('SendMessage', form({ MessageBody: 'm', QueueUrl: 'given' }), QUEUE_URL).QueueUrl, 'given');
    // An operation without a QueueUrl member does not get one.
    assert.deepEqual(decode('ListQueues', form({}), QUEUE_URL), {});
  });

  it('leaves a malformed number as text, for validation to refuse as on JSON', () => {
    const input = decodeQueryInput(SQS_QUERY, 'ReceiveMessage', parseQueryParams(form({ QueueUrl: 'q', MaxNumberOfMessages: 'ten' })));
    assert.equal(input.MaxNumberOfMessages, 'ten');
    assert.deepEqual(validateInput(SQS_MODEL, 'ReceiveMessage', input), {
      code: 'SerializationException',
      message: 'STRING_VALUE can not be converted to an Integer',
    });
    const huge = decodeQueryInput(SQS_QUERY, 'ReceiveMessage', parseQueryParams(form({ QueueUrl: 'q', MaxNumberOfMessages: '99999999999999999999' })));
    assert.equal(huge.MaxNumberOfMessages, '99999999999999999999');
  });

  it('refuses an operation the model does not have', () => {
    assert.throws(() => decodeQueryInput(SQS_QUERY, 'Nope', new Map()), RangeError);
    assert.throws(() => decodeQueryInput(SQS_QUERY, 'constructor', new Map()), RangeError);
    assert.throws(() => encodeQueryResponse(SQS_QUERY, 'toString', {}, RID), RangeError);
  });

  it('does not index parameter names longer than any member path (a name of many dots costs nothing)', () => {
    const params = parseQueryParams(`${form({ QueueUrl: QUEUE_URL, 'AttributeName.1': 'All' })}&${'AttributeName.1.'.repeat(100_000)}=x`);
    assert.deepEqual(decodeQueryInput(SQS_QUERY, 'GetQueueAttributes', params), { QueueUrl: QUEUE_URL, AttributeNames: ['All'] });
  });

  it('keeps a map key such as __proto__ an ordinary key, as JSON.parse does', () => {
    const input = decode(
      'SendMessage',
      form({
        QueueUrl: QUEUE_URL,
        MessageBody: 'm',
        'MessageAttribute.1.Name': '__proto__',
        'MessageAttribute.1.Value.DataType': 'String',
        'MessageAttribute.1.Value.StringValue': 'x',
      }),
    );
    const attributes = input.MessageAttributes as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
    assert.deepEqual(Object.keys(attributes), ['__proto__']);
    assert.deepEqual(input, JSON.parse(JSON.stringify(input)));
  });
});

describe('output -> XML', () => {
  it('SendMessage: the members present, in model order', () => {
    const out = { MessageId: 'm-1', MD5OfMessageBody: 'aa', MD5OfMessageAttributes: 'bb', SequenceNumber: undefined };
    assert.equal(
      encode('SendMessage', out),
      answer('SendMessage', '<MD5OfMessageBody>aa</MD5OfMessageBody><MD5OfMessageAttributes>bb</MD5OfMessageAttributes><MessageId>m-1</MessageId>'),
    );
  });

  it('ReceiveMessage: <Message> repeated, <Attribute> and <MessageAttribute> entries, binary as base64', () => {
    const out = {
      Messages: [
        {
          MessageId: 'm-1',
          ReceiptHandle: 'rh-1',
          MD5OfBody: 'md5',
          Body: 'plain',
          Attributes: { SenderId: '000000000000', SentTimestamp: '1700000000000' },
          MD5OfMessageAttributes: 'md5a',
          MessageAttributes: {
            colour: { StringValue: 'blue', DataType: 'String' },
            blob: { BinaryValue: 'AAEC/w==', DataType: 'Binary' },
          },
        },
        { MessageId: 'm-2', ReceiptHandle: 'rh-2', MD5OfBody: 'md5b', Body: 'two' },
      ],
    };
    assert.equal(
      encode('ReceiveMessage', out),
      answer(
        'ReceiveMessage',
        '<Message><MessageId>m-1</MessageId><ReceiptHandle>rh-1</ReceiptHandle><MD5OfBody>md5</MD5OfBody><Body>plain</Body>' +
          '<Attribute><Name>SenderId</Name><Value>000000000000</Value></Attribute>' +
          '<Attribute><Name>SentTimestamp</Name><Value>1700000000000</Value></Attribute>' +
          '<MD5OfMessageAttributes>md5a</MD5OfMessageAttributes>' +
          '<MessageAttribute><Name>colour</Name><Value><StringValue>blue</StringValue><DataType>String</DataType></Value></MessageAttribute>' +
          '<MessageAttribute><Name>blob</Name><Value><BinaryValue>AAEC/w==</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>' +
          '</Message>' +
          '<Message><MessageId>m-2</MessageId><ReceiptHandle>rh-2</ReceiptHandle><MD5OfBody>md5b</MD5OfBody><Body>two</Body></Message>',
      ),
    );
  });

  it('escapes text: & < > " as entities, CR as &#xD;, characters outside the BMP kept, XML-illegal ones replaced', () => {
    const body = 'a&b<c>d"e\'f\r\n\tg 😀 \uE000\uFFFD';
    const xml = encode('ReceiveMessage', { Messages: [{ MessageId: 'm', Body: body }] });
    assert.ok(xml.includes('<Body>a&amp;b&lt;c&gt;d&quot;e\'f&#xD;\n\tg 😀 \uE000\uFFFD</Body>'), xml);
    assert.equal(xmlText('\u0001\u0008\u000B\u001F\uFFFE\uFFFF'), '\uFFFD'.repeat(6));
    // Lone surrogates cannot be written in UTF-8: replaced. A pair is one character and stays.
    assert.equal(xmlText('x\uD800y\uDC00z\uD83D\uDE00'), 'x\uFFFDy\uFFFDz😀');
    assert.equal(xmlText('no escapes needed'), 'no escapes needed');
  });

  it('an empty result is <OpResult/>; an operation without output has only ResponseMetadata', () => {
    assert.equal(encode('ReceiveMessage', {}), answer('ReceiveMessage', ''));
    assert.equal(encode('ReceiveMessage', { Messages: [] }), answer('ReceiveMessage', ''));
    assert.equal(encode('ListQueues', undefined), answer('ListQueues', ''));
    assert.equal(encode('DeleteMessage', {}), answer('DeleteMessage', null));
    assert.equal(encode('DeleteQueue', undefined), answer('DeleteQueue', null));
  });

  it('CreateQueue, GetQueueUrl: <QueueUrl>; ListQueues and ListDeadLetterSourceQueues: <QueueUrl> repeated', () => {
    assert.equal(encode('CreateQueue', { QueueUrl: QUEUE_URL }), answer('CreateQueue', `<QueueUrl>${QUEUE_URL}</QueueUrl>`));
    assert.equal(encode('GetQueueUrl', { QueueUrl: QUEUE_URL }), answer('GetQueueUrl', `<QueueUrl>${QUEUE_URL}</QueueUrl>`));
    assert.equal(
      encode('ListQueues', { QueueUrls: ['u1', 'u2'], NextToken: 'next' }),
      answer('ListQueues', '<QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl><NextToken>next</NextToken>'),
    );
    assert.equal(
      encode('ListDeadLetterSourceQueues', { queueUrls: ['s1', 's2'] }),
      answer('ListDeadLetterSourceQueues', '<QueueUrl>s1</QueueUrl><QueueUrl>s2</QueueUrl>'),
    );
  });

  it('GetQueueAttributes: <Attribute><Name/><Value/></Attribute>; ListQueueTags: <Tag><Key/><Value/></Tag>', () => {
    assert.equal(
      encode('GetQueueAttributes', { Attributes: { VisibilityTimeout: '30', Policy: '{"Version":"2012-10-17"}' } }),
      answer(
        'GetQueueAttributes',
        '<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>' +
          '<Attribute><Name>Policy</Name><Value>{&quot;Version&quot;:&quot;2012-10-17&quot;}</Value></Attribute>',
      ),
    );
    assert.equal(encode('GetQueueAttributes', { Attributes: {} }), answer('GetQueueAttributes', ''));
    assert.equal(
      encode('ListQueueTags', { Tags: { team: 'payments', 'a<b': '' } }),
      answer('ListQueueTags', '<Tag><Key>team</Key><Value>payments</Value></Tag><Tag><Key>a&lt;b</Key><Value></Value></Tag>'),
    );
  });

  it('batch results: <…ResultEntry> repeated, then <BatchResultErrorEntry> with SenderFault as true/false', () => {
    const failed = [{ Id: 'bad', SenderFault: true, Code: 'InvalidParameterValue', Message: 'nope' }];
    const error = '<BatchResultErrorEntry><Id>bad</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code><Message>nope</Message></BatchResultErrorEntry>';
    assert.equal(
      encode('SendMessageBatch', {
        Successful: [{ Id: 'a', MessageId: 'm-a', MD5OfMessageBody: 'x', SequenceNumber: '1' }],
        Failed: failed,
      }),
      answer(
        'SendMessageBatch',
        '<SendMessageBatchResultEntry><Id>a</Id><MessageId>m-a</MessageId><MD5OfMessageBody>x</MD5OfMessageBody><SequenceNumber>1</SequenceNumber></SendMessageBatchResultEntry>' +
          error,
      ),
    );
    assert.equal(
      encode('DeleteMessageBatch', { Successful: [{ Id: 'a' }, { Id: 'b' }], Failed: [] }),
      answer('DeleteMessageBatch', '<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry><DeleteMessageBatchResultEntry><Id>b</Id></DeleteMessageBatchResultEntry>'),
    );
    assert.equal(
      encode('ChangeMessageVisibilityBatch', { Successful: [], Failed: [{ ...failed[0], SenderFault: false }] }),
      answer('ChangeMessageVisibilityBatch', error.replace('<SenderFault>true', '<SenderFault>false')),
    );
  });

  it('message move tasks: numbers as text', () => {
    assert.equal(encode('StartMessageMoveTask', { TaskHandle: 'h' }), answer('StartMessageMoveTask', '<TaskHandle>h</TaskHandle>'));
    assert.equal(
      encode('CancelMessageMoveTask', { ApproximateNumberOfMessagesMoved: 12 }),
      answer('CancelMessageMoveTask', '<ApproximateNumberOfMessagesMoved>12</ApproximateNumberOfMessagesMoved>'),
    );
    assert.equal(
      encode('ListMessageMoveTasks', {
        Results: [{ Status: 'COMPLETED', SourceArn: 'arn:s', ApproximateNumberOfMessagesMoved: 3, StartedTimestamp: 1700000000000 }],
      }),
      answer(
        'ListMessageMoveTasks',
        '<ListMessageMoveTasksResultEntry><Status>COMPLETED</Status><SourceArn>arn:s</SourceArn>' +
          '<ApproximateNumberOfMessagesMoved>3</ApproximateNumberOfMessagesMoved><StartedTimestamp>1700000000000</StartedTimestamp>' +
          '</ListMessageMoveTasksResultEntry>',
      ),
    );
  });

  it('leaves out members the model does not have, and null ones', () => {
    assert.equal(encode('CreateQueue', { QueueUrl: 'u', Extra: 'x', Other: null }), answer('CreateQueue', '<QueueUrl>u</QueueUrl>'));
    assert.equal(encode('GetQueueUrl', { QueueUrl: null }), answer('GetQueueUrl', ''));
  });
});

describe('errors -> XML', () => {
  it('<ErrorResponse> with Type Sender, the query code, the message, <Detail/> and the request id', () => {
    assert.equal(
      encodeQueryError(SQS_QUERY, 'TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10. You have sent 11.', RID),
      `<?xml version="1.0"?><ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type>` +
        '<Code>AWS.SimpleQueueService.TooManyEntriesInBatchRequest</Code>' +
        '<Message>Maximum number of entries per request are 10. You have sent 11.</Message><Detail/></Error>' +
        `<RequestId>${RID}</RequestId></ErrorResponse>`,
    );
  });

  it('words QueueDoesNotExist as SQS does on this protocol', () => {
    const xml = encodeQueryError(SQS_QUERY, 'QueueDoesNotExist', 'The specified queue does not exist.', RID);
    assert.ok(xml.includes('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>'), xml);
    assert.ok(xml.includes('<Message>The specified queue does not exist for this wsdl version.</Message>'), xml);
  });

  it('Type Receiver for a server fault; the message escaped', () => {
    const xml = encodeQueryError(SQS_QUERY, 'InternalException', 'a < b & "c"', RID);
    assert.ok(xml.includes('<Type>Receiver</Type><Code>InternalException</Code><Message>a &lt; b &amp; &quot;c&quot;</Message>'), xml);
    const action = encodeQueryError(SQS_QUERY, 'InvalidAction', 'The action Nope is not valid for this web service.', RID);
    assert.ok(action.includes('<Type>Sender</Type><Code>InvalidAction</Code><Message>The action Nope is not valid for this web service.</Message>'), action);
  });
});

// A small model of the forms SQS never uses (unflattened lists and maps, booleans, timestamps),
// so that the codec's general rules are pinned too.
const OTHER: QueryProtocol = {
  model: {
    metadata: { apiVersion: '2020-01-01', protocol: 'query', serviceId: 'Other' },
    operations: { Op: { input: 'OpInput', output: 'OpOutput' } },
    shapes: {
      OpInput: {
        type: 'structure',
        members: [
          { name: 'Flag', shape: 'Boolean' },
          { name: 'Ratio', shape: 'Double' },
          { name: 'Names', shape: 'Names' },
          { name: 'Labels', shape: 'Labels' },
          { name: 'Inner', shape: 'Inner' },
        ],
      },
      OpOutput: {
        type: 'structure',
        members: [
          { name: 'Flag', shape: 'Boolean' },
          { name: 'When', shape: 'Time' },
          { name: 'Names', shape: 'Names' },
          { name: 'Labels', shape: 'Labels' },
          { name: 'Inner', shape: 'Inner' },
          { name: 'Data', shape: 'Blob' },
        ],
      },
      Inner: { type: 'structure', members: [{ name: 'Value', shape: 'String' }] },
      Names: { type: 'list', member: 'String' },
      Labels: { type: 'map', key: 'String', value: 'String' },
      Boolean: { type: 'boolean' },
      Double: { type: 'double' },
      Time: { type: 'timestamp' },
      Blob: { type: 'blob' },
      String: { type: 'string' },
    },
  } satisfies ServiceModel,
  names: { members: {}, maps: {}, lists: {} },
  xmlNamespace: 'urn:other',
};

describe('the general rules, on forms SQS does not use', () => {
  it('decodes `Name.member.N` lists, `Name.entry.N.key/value` maps, booleans, doubles, nested structures', () => {
    const params = parseQueryParams(
      'Flag=TRUE&Ratio=0.25&Names.member.2=b&Names.member.1=a&Labels.entry.1.key=k&Labels.entry.1.value=v&Inner.Value=x',
    );
    assert.deepEqual(decodeQueryInput(OTHER, 'Op', params), {
      Flag: true,
      Ratio: 0.25,
      Names: ['a', 'b'],
      Labels: { k: 'v' },
      Inner: { Value: 'x' },
    });
    assert.deepEqual(decodeQueryInput(OTHER, 'Op', parseQueryParams('Flag=maybe&Ratio=1e3')), { Flag: 'maybe', Ratio: 1000 });
  });

  it('encodes wrapped lists and maps, booleans, timestamps (ISO 8601) and blobs (base64)', () => {
    const xml = encodeQueryResponse(
      OTHER,
      'Op',
      { Flag: false, When: 1700000000, Names: ['a'], Labels: { k: 'v' }, Inner: { Value: 'x' }, Data: new Uint8Array([0, 1, 255]) },
      RID,
    );
    assert.equal(
      xml,
      '<?xml version="1.0"?><OpResponse xmlns="urn:other"><OpResult><Flag>false</Flag><When>2023-11-14T22:13:20.000Z</When>' +
        '<Names><member>a</member></Names><Labels><entry><key>k</key><value>v</value></entry></Labels>' +
        `<Inner><Value>x</Value></Inner><Data>AAH/</Data></OpResult><ResponseMetadata><RequestId>${RID}</RequestId></ResponseMetadata></OpResponse>`,
    );
  });
});

// ------------------------------------------------------------------------------------------------
// The names table against AWS's model
// ------------------------------------------------------------------------------------------------

/** A Smithy schema as @aws-sdk/client-sqs exports it: [kind, namespace, name, traits, ...]. */
type Schema = readonly unknown[];
type Traits = { readonly xmlName?: string; readonly xmlFlattened?: number };

function deref(s: unknown): unknown {
  return typeof s === 'function' ? (s as () => unknown)() : s;
}

/** A member schema [target, traits] or a bare target; its traits, if any. */
function traitsOf(member: unknown): Traits {
  if (Array.isArray(member) && member.length === 2 && typeof member[1] === 'object' && member[1] !== null) return member[1] as Traits;
  return {};
}

function targetOf(member: unknown): unknown {
  return deref(Array.isArray(member) && member.length === 2 && typeof member[1] === 'object' ? member[0] : member);
}

/** Every structure, list and map reachable from the client's exported schemas, with its XML names. */
function smithyNames(): { members: Record<string, string>; flattened: Set<string>; maps: Record<string, { key: string; value: string }>; lists: Record<string, string> } {
  const members: Record<string, string> = {};
  const flattened = new Set<string>();
  const maps: Record<string, { key: string; value: string }> = {};
  const lists: Record<string, string> = {};
  const seen = new Set<string>();
  const visit = (raw: unknown): void => {
    const s = deref(raw);
    if (!Array.isArray(s)) return;
    const [kind, , name] = s as Schema;
    if (typeof name !== 'string' || seen.has(name)) return;
    seen.add(name);
    if (kind === 3) {
      const names = s[4] as string[];
      const schemas = s[5] as unknown[];
      names.forEach((member, i) => {
        const traits = traitsOf(schemas[i]);
        if (traits.xmlName !== undefined) members[`${name}.${member}`] = traits.xmlName;
        if (traits.xmlFlattened === 1) flattened.add(`${name}.${member}`);
        visit(targetOf(schemas[i]));
      });
    } else if (kind === 1) {
      const element = traitsOf(s[4]).xmlName;
      if (element !== undefined) lists[name] = element;
      visit(targetOf(s[4]));
    } else if (kind === 2) {
      const key = traitsOf(s[4]).xmlName;
      const value = traitsOf(s[5]).xmlName;
      if (key !== undefined || value !== undefined) maps[name] = { key: key ?? 'key', value: value ?? 'value' };
      visit(targetOf(s[5]));
    }
  };
  for (const [exported, schema] of Object.entries(sqsClient)) {
    if (exported.endsWith('$') && Array.isArray(schema) && schema[0] === 3) visit(schema);
  }
  return { members, flattened, maps, lists };
}

describe('the SQS query names', () => {
  it('are the xmlName traits of AWS’s Smithy model, as @aws-sdk/client-sqs ships it', () => {
    const smithy = smithyNames();
    assert.ok(Object.keys(smithy.members).length > 30, 'the client exports its schemas');
    assert.deepEqual(sorted(SQS_QUERY_NAMES.members), sorted(smithy.members));
    assert.deepEqual(sorted(SQS_QUERY_NAMES.maps), sorted(smithy.maps));
    assert.deepEqual(sorted(SQS_QUERY_NAMES.lists), sorted(smithy.lists));
  });

  it('flatten exactly what the generated model (botocore) flattens, as Smithy does', () => {
    const smithy = smithyNames();
    const model = new Set<string>();
    for (const [shapeName, shape] of Object.entries(SQS_MODEL.shapes)) {
      for (const m of shape.members ?? []) {
        if (m.flattened === true || SQS_MODEL.shapes[m.shape]?.flattened === true) model.add(`${shapeName}.${m.name}`);
      }
    }
    assert.deepEqual([...model].sort(), [...smithy.flattened].sort());
    // Every table entry names a member the model has.
    for (const key of Object.keys(SQS_QUERY_NAMES.members)) {
      const [shape, member] = key.split('.');
      assert.ok(SQS_MODEL.shapes[shape as string]?.members?.some((m) => m.name === member), `${key} is not in the model`);
    }
  });

  // botocore's last query-protocol SQS model, where the machine has one (Debian 12's awscli package
  // bundles it; SQS_QUERY_MODEL may point at any copy): its locationNames agree with the table.
  const queryModelPath = [
    process.env.SQS_QUERY_MODEL,
    '/usr/lib/python3/dist-packages/awscli/botocore/data/sqs/2012-11-05/service-2.json',
  ].find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  it('agree with botocore’s query-protocol model', { skip: queryModelPath === undefined ? 'no query-protocol SQS model on this machine' : false }, () => {
    interface Ref {
      shape: string;
      locationName?: string;
    }
    const old = JSON.parse(readFileSync(queryModelPath as string, 'utf8')) as {
      metadata: { protocol: string; xmlNamespace: string };
      shapes: Record<string, { type: string; members?: Record<string, Ref>; member?: Ref; key?: Ref; value?: Ref; locationName?: string; flattened?: boolean }>;
    };
    assert.equal(old.metadata.protocol, 'query');
    assert.equal(old.metadata.xmlNamespace, SQS_QUERY.xmlNamespace);
    for (const [shapeName, shape] of Object.entries(old.shapes)) {
      if (shape.type === 'map' && shape.key?.locationName !== undefined) {
        assert.deepEqual(SQS_QUERY_NAMES.maps[shapeName], { key: shape.key.locationName, value: shape.value?.locationName }, shapeName);
      }
      for (const [memberName, ref] of Object.entries(shape.members ?? {})) {
        const target = old.shapes[ref.shape];
        // The query name: the member's own locationName, else (flattened list) its element's, else the map's.
        const name = ref.locationName ?? (target?.flattened === true ? (target.member?.locationName ?? target.locationName) : undefined);
        if (name !== undefined) assert.equal(SQS_QUERY_NAMES.members[`${shapeName}.${memberName}`], name, `${shapeName}.${memberName}`);
      }
    }
  });
});

function sorted<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
