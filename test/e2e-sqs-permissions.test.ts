// End to end: queue permissions (AddPermission, RemovePermission) and what they let another
// account do, with the official SQS SDK and two accounts on one server process. The Policy
// AddPermission writes, and the errors, are SQS's (docs/notes/aws-sqs-api.md §2.7, "[snapshot]"
// marks what was captured from SQS itself); the access checks follow IAM's policy evaluation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  AddPermissionCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  RemovePermissionCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

import { fails, stopAndCheck } from './helpers/aws.js';
import { startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const A = { accessKeyId: 'AKIDSQSA', secretAccessKey: 'secretA', account: '111111111111' } as const;
const B = { accessKeyId: 'AKIDSQSB', secretAccessKey: 'secretB', account: '222222222222' } as const;

let server!: ServerProcess;
let a!: SQSClient;
let b!: SQSClient;

before(async () => {
  server = await startServer({
    args: ['--credentials', `${A.accessKeyId}:${A.secretAccessKey}:${A.account},${B.accessKeyId}:${B.secretAccessKey}:${B.account}`],
  });
  const client = (who: typeof A | typeof B): SQSClient =>
    new SQSClient({ endpoint: server.url, region: REGION, credentials: { accessKeyId: who.accessKeyId, secretAccessKey: who.secretAccessKey }, maxAttempts: 1 });
  a = client(A);
  b = client(B);
});

after(async () => {
  a?.destroy();
  b?.destroy();
  await stopAndCheck(server);
});

const arnOf = (name: string): string => `arn:aws:sqs:${REGION}:${A.account}:${name}`;

async function policyOf(url: string): Promise<unknown> {
  const out = await a.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }));
  const text = out.Attributes?.Policy;
  return text === undefined ? undefined : JSON.parse(text);
}

const denied = (url: string) => ({ name: 'AccessDenied', message: `Access to the resource ${url} is denied.`, status: 403 });

describe('queue permissions', () => {
  it('AddPermission writes SQS’s policy statement; RemovePermission takes it out, and the last one the Policy', async () => {
    const url = (await a.send(new CreateQueueCommand({ QueueName: 'shared' }))).QueueUrl as string;
    await a.send(new AddPermissionCommand({ QueueUrl: url, Label: 'one', AWSAccountIds: [B.account], Actions: ['SendMessage'] }));
    await a.send(
      new AddPermissionCommand({ QueueUrl: url, Label: 'two', AWSAccountIds: [B.account, '333333333333'], Actions: ['ReceiveMessage', 'DeleteMessage'] }),
    );
    assert.deepEqual(await policyOf(url), {
      Version: '2008-10-17',
      Id: `${arnOf('shared')}/SQSDefaultPolicy`,
      Statement: [
        { Sid: 'one', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B.account}:root` }, Action: 'SQS:SendMessage', Resource: arnOf('shared') },
        {
          Sid: 'two',
          Effect: 'Allow',
          Principal: { AWS: [`arn:aws:iam::${B.account}:root`, 'arn:aws:iam::333333333333:root'] },
          Action: ['SQS:ReceiveMessage', 'SQS:DeleteMessage'],
          Resource: arnOf('shared'),
        },
      ],
    });
    await a.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'one' }));
    assert.deepEqual(((await policyOf(url)) as { Statement: { Sid: string }[] }).Statement.map((st) => st.Sid), ['two']);
    await a.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'two' }));
    assert.equal(await policyOf(url), undefined, 'no statement left: no Policy');
  });

  it('refuses what SQS refuses, with its codes and messages', async () => {
    const url = (await a.send(new CreateQueueCommand({ QueueName: 'checked' }))).QueueUrl as string;
    await a.send(new AddPermissionCommand({ QueueUrl: url, Label: 'taken', AWSAccountIds: [B.account], Actions: ['SendMessage'] }));
    await fails(a.send(new AddPermissionCommand({ QueueUrl: url, Label: 'taken', AWSAccountIds: [B.account], Actions: ['SendMessage'] })), {
      name: 'InvalidParameterValue',
      message: 'Value taken for parameter Label is invalid. Reason: Already exists.',
    });
    await fails(a.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'nope' })), {
      name: 'InvalidParameterValue',
      message: "Value nope for parameter Label is invalid. Reason: can't find label.",
    });
    await fails(a.send(new AddPermissionCommand({ QueueUrl: url, Label: 'odd', AWSAccountIds: [B.account], Actions: ['Fly'] })), {
      name: 'InvalidParameterValue',
      message: 'Value SQS:Fly for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. ',
    });
    const eight = ['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl', 'PurgeQueue', 'TagQueue'];
    await fails(a.send(new AddPermissionCommand({ QueueUrl: url, Label: 'many', AWSAccountIds: [B.account], Actions: eight })), {
      name: 'OverLimit',
      message: '8 Actions were found, maximum allowed is 7.',
      status: 403,
    });
    await fails(a.send(new AddPermissionCommand({ QueueUrl: url, Label: 'nobody', AWSAccountIds: [], Actions: ['SendMessage'] })), {
      name: 'MissingParameter',
      message: 'The request must contain the parameter AWSAccountIds.',
    });
  });

  it('another account may do what the policy allows it, and only that', async () => {
    const url = (await a.send(new CreateQueueCommand({ QueueName: 'inbox' }))).QueueUrl as string;
    await fails(b.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'early' })), denied(url));
    await fails(b.send(new GetQueueUrlCommand({ QueueName: 'inbox', QueueOwnerAWSAccountId: A.account })), denied(url));

    await a.send(new AddPermissionCommand({ QueueUrl: url, Label: 'b-sends', AWSAccountIds: [B.account], Actions: ['SendMessage', 'GetQueueUrl'] }));
    assert.equal((await b.send(new GetQueueUrlCommand({ QueueName: 'inbox', QueueOwnerAWSAccountId: A.account }))).QueueUrl, url);
    await b.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'from b' }));
    // "Specifying SendMessage ... also grants permissions for the corresponding batch versions."
    const batch = await b.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', MessageBody: 'batched' }] }));
    assert.equal(batch.Successful?.length, 1);
    await fails(b.send(new ReceiveMessageCommand({ QueueUrl: url })), denied(url));
    const got = await a.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['SenderId'] }));
    assert.deepEqual(got.Messages?.map((m) => m.Body).sort(), ['batched', 'from b']);

    await a.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'b-sends' }));
    await fails(b.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' })), denied(url));
    // A queue that does not exist is just that, whoever asks.
    await fails(b.send(new SendMessageCommand({ QueueUrl: `${server.url}/${A.account}/ghost`, MessageBody: 'x' })), {
      name: 'QueueDoesNotExist',
      message: 'The specified queue does not exist.',
      code: 'AWS.SimpleQueueService.NonExistentQueue',
    });
  });
});
