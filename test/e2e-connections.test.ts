// End to end: connections and API destinations through the official AWS SDK against a real
// server process, and the promise that goes with them: no API response, log line, database file
// or WAL holds a connection secret in clear. Expected codes and messages are AWS's where recorded
// (docs/notes/aws-eventbridge-api.md §10; "AWS:" marks a LocalStack snapshot recorded against AWS).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeauthorizeConnectionCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  EventBridgeClient,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';

import { rejects, stopAndCheck } from './helpers/aws.js';
import { startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/** Every secret the tests send: none may come back, be logged, or be stored in clear. */
const SECRETS = {
  password: 'pw-Zq81-basic-SECRET',
  apiKey: 'ak-Xv42-apikey-SECRET',
  clientSecret: 'cs-Lm73-oauth-SECRET',
  header: 'hv-Rt55-header-SECRET',
  query: 'qv-Pp19-query-SECRET',
  body: 'bv-Kk07-body-SECRET',
  updated: 'pw-Nn66-updated-SECRET',
};

const CONNECTION_ARN = new RegExp(`^arn:aws:events:${REGION}:${ACCOUNT}:connection/([^/]+)/[0-9a-f-]{36}$`);
const DESTINATION_ARN = new RegExp(`^arn:aws:events:${REGION}:${ACCOUNT}:api-destination/([^/]+)/[0-9a-f-]{36}$`);

let server!: ServerProcess;
let eb!: EventBridgeClient;
/** Every response body the SDK received, as JSON text. */
const responses: string[] = [];

before(async () => {
  server = await startServer();
  eb = new EventBridgeClient({
    endpoint: server.url,
    region: REGION,
    credentials: { accessKeyId: 'AKIDE2ELOCAL', secretAccessKey: 'any-secret' },
    maxAttempts: 1,
  });
  eb.middlewareStack.add(
    (next) => async (args) => {
      try {
        const out = await next(args);
        responses.push(JSON.stringify(out.output) ?? '');
        return out;
      } catch (e) {
        responses.push(JSON.stringify({ message: (e as Error).message, ...(e as object) }));
        throw e;
      }
    },
    { step: 'deserialize', name: 'recordResponses' },
  );
});

after(async () => {
  eb?.destroy();
  await stopAndCheck(server);
});

async function call<O extends { $metadata: unknown }>(p: Promise<O>): Promise<Omit<O, '$metadata'>> {
  const { $metadata: _m, ...rest } = await p;
  return rest;
}

const basic = (name: string) =>
  new CreateConnectionCommand({
    Name: name,
    AuthorizationType: 'BASIC',
    AuthParameters: {
      BasicAuthParameters: { Username: 'user', Password: SECRETS.password },
      InvocationHttpParameters: {
        HeaderParameters: [
          { Key: 'x-secret', Value: SECRETS.header, IsValueSecret: true },
          { Key: 'x-plain', Value: 'plain', IsValueSecret: false },
        ],
        QueryStringParameters: [{ Key: 'token', Value: SECRETS.query, IsValueSecret: true }],
        BodyParameters: [{ Key: 'b', Value: SECRETS.body, IsValueSecret: true }],
      },
    },
  });

describe('connections', () => {
  it('creates a BASIC connection, AUTHORIZED, and describes it without secrets', async () => {
    const created = await call(eb.send(basic('basic-conn')));
    assert.match(created.ConnectionArn ?? '', CONNECTION_ARN);
    assert.equal(created.ConnectionState, 'AUTHORIZED'); // AWS: create-connection-auth[auth_params0]
    assert.ok(created.CreationTime instanceof Date && created.LastModifiedTime instanceof Date);
    assert.deepEqual(Object.keys(created).sort(), ['ConnectionArn', 'ConnectionState', 'CreationTime', 'LastModifiedTime']);

    const d = await call(eb.send(new DescribeConnectionCommand({ Name: 'basic-conn' })));
    assert.equal(d.ConnectionArn, created.ConnectionArn);
    assert.equal(d.Name, 'basic-conn');
    assert.equal(d.AuthorizationType, 'BASIC');
    assert.equal(d.ConnectionState, 'AUTHORIZED');
    assert.match(d.SecretArn ?? '', new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:events!connection/basic-conn/[0-9a-f-]{36}-\\w{6}$`));
    assert.ok(d.LastAuthorizedTime instanceof Date);
    assert.deepEqual(d.AuthParameters, {
      BasicAuthParameters: { Username: 'user' },
      InvocationHttpParameters: {
        HeaderParameters: [
          { Key: 'x-secret', IsValueSecret: true },
          { Key: 'x-plain', Value: 'plain', IsValueSecret: false },
        ],
        QueryStringParameters: [{ Key: 'token', IsValueSecret: true }],
        BodyParameters: [{ Key: 'b', IsValueSecret: true }],
      },
    });
  });

  it('creates an API_KEY connection, AUTHORIZED, showing ApiKeyName only', async () => {
    const created = await call(
      eb.send(new CreateConnectionCommand({
        Name: 'key-conn',
        Description: 'api key',
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: SECRETS.apiKey } },
      })),
    );
    assert.equal(created.ConnectionState, 'AUTHORIZED'); // AWS: create-connection-auth[auth_params1]
    const d = await call(eb.send(new DescribeConnectionCommand({ Name: 'key-conn' })));
    assert.deepEqual(d.AuthParameters, { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key' } });
    assert.equal(d.Description, 'api key');
  });

  it('creates an OAUTH_CLIENT_CREDENTIALS connection, AUTHORIZING, showing ClientID only', async () => {
    const created = await call(
      eb.send(new CreateConnectionCommand({
        Name: 'oauth-conn',
        AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
        AuthParameters: {
          OAuthParameters: {
            AuthorizationEndpoint: 'https://auth.example.com/token',
            HttpMethod: 'POST',
            ClientParameters: { ClientID: 'client-1', ClientSecret: SECRETS.clientSecret },
            OAuthHttpParameters: { BodyParameters: [{ Key: 'scope', Value: 'events', IsValueSecret: false }] },
          },
        },
      })),
    );
    assert.equal(created.ConnectionState, 'AUTHORIZING'); // AWS: create-connection-auth[auth_params2]
    const d = await call(eb.send(new DescribeConnectionCommand({ Name: 'oauth-conn' })));
    assert.deepEqual(d.AuthParameters, {
      OAuthParameters: {
        ClientParameters: { ClientID: 'client-1' },
        AuthorizationEndpoint: 'https://auth.example.com/token',
        HttpMethod: 'POST',
        OAuthHttpParameters: { BodyParameters: [{ Key: 'scope', Value: 'events', IsValueSecret: false }] },
      },
    });
  });

  it('lists connections by prefix and state, a page at a time', async () => {
    const all = await call(eb.send(new ListConnectionsCommand({})));
    assert.deepEqual(all.Connections?.map((c) => c.Name), ['basic-conn', 'key-conn', 'oauth-conn']);
    const first = all.Connections?.[0] ?? {};
    assert.deepEqual(Object.keys(first).sort(), [
      'AuthorizationType', 'ConnectionArn', 'ConnectionState', 'CreationTime', 'LastAuthorizedTime', 'LastModifiedTime', 'Name',
    ]); // AWS: list-connections
    const authorizing = await call(eb.send(new ListConnectionsCommand({ ConnectionState: 'AUTHORIZING' })));
    assert.deepEqual(authorizing.Connections?.map((c) => c.Name), ['oauth-conn']);
    const prefixed = await call(eb.send(new ListConnectionsCommand({ NamePrefix: 'key' })));
    assert.deepEqual(prefixed.Connections?.map((c) => c.Name), ['key-conn']);
    const page1 = await call(eb.send(new ListConnectionsCommand({ Limit: 2 })));
    assert.equal(page1.Connections?.length, 2);
    const page2 = await call(eb.send(new ListConnectionsCommand({ Limit: 2, NextToken: page1.NextToken })));
    assert.deepEqual(page2.Connections?.map((c) => c.Name), ['oauth-conn']);
    assert.equal(page2.NextToken, undefined);
  });

  it('updates credentials (merged over the stored ones) and the description', async () => {
    const updated = await call(
      eb.send(new UpdateConnectionCommand({
        Name: 'basic-conn',
        Description: 'rotated',
        AuthParameters: { BasicAuthParameters: { Password: SECRETS.updated } },
      })),
    );
    assert.equal(updated.ConnectionState, 'AUTHORIZED'); // AWS: update-connection
    assert.ok(updated.LastAuthorizedTime instanceof Date);
    const d = await call(eb.send(new DescribeConnectionCommand({ Name: 'basic-conn' })));
    assert.equal(d.Description, 'rotated');
    assert.deepEqual(d.AuthParameters?.BasicAuthParameters, { Username: 'user' });
    assert.equal(d.AuthParameters?.InvocationHttpParameters?.HeaderParameters?.length, 2, 'invocation parameters kept');
  });

  it('deauthorizes a connection: DEAUTHORIZED, credentials dropped', async () => {
    const r = await call(eb.send(new DeauthorizeConnectionCommand({ Name: 'key-conn' })));
    assert.equal(r.ConnectionState, 'DEAUTHORIZING');
    const d = await call(eb.send(new DescribeConnectionCommand({ Name: 'key-conn' })));
    assert.equal(d.ConnectionState, 'DEAUTHORIZED');
    assert.equal(d.SecretArn, undefined);
    const listed = await call(eb.send(new ListConnectionsCommand({ ConnectionState: 'DEAUTHORIZED' })));
    assert.deepEqual(listed.Connections?.map((c) => c.Name), ['key-conn']);
    // New credentials authorize it again.
    await rejects(
      eb.send(new UpdateConnectionCommand({ Name: 'key-conn', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key' } } })),
      'ValidationException',
      'Parameter(s) ApiKeyAuthParameters.ApiKeyValue must be specified.',
    );
    const again = await call(
      eb.send(new UpdateConnectionCommand({
        Name: 'key-conn',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: SECRETS.apiKey } },
      })),
    );
    assert.equal(again.ConnectionState, 'AUTHORIZED');
  });

  it('refuses what AWS refuses', async () => {
    await rejects(
      eb.send(new DescribeConnectionCommand({ Name: 'nope' })),
      'ResourceNotFoundException',
      "Failed to describe the connection(s). Connection 'nope' does not exist.", // AWS: describe-deleted-connection
    );
    await rejects(eb.send(basic('basic-conn')), 'ResourceAlreadyExistsException', 'Connection basic-conn already exists.');
    await rejects(
      eb.send(new CreateConnectionCommand({ Name: 'x', AuthorizationType: 'INVALID_AUTH_TYPE' as 'BASIC', AuthParameters: {} })),
      'ValidationException',
      "1 validation error detected: Value 'INVALID_AUTH_TYPE' at 'authorizationType' failed to satisfy constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]", // AWS
    );
    await rejects(
      eb.send(new CreateConnectionCommand({
        Name: 'Invalid Name With Spaces!',
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'ApiKey', ApiKeyValue: 'secret' } },
      })),
      'ValidationException',
      "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", // AWS
    );
    await rejects(
      eb.send(new CreateConnectionCommand({ Name: 'x', AuthorizationType: 'BASIC', AuthParameters: {} })),
      'ValidationException',
      'Parameter(s) BasicAuthParameters must be specified.',
    );
    for (const op of [new UpdateConnectionCommand({ Name: 'nope' }), new DeleteConnectionCommand({ Name: 'nope' }), new DeauthorizeConnectionCommand({ Name: 'nope' })]) {
      await rejects(eb.send(op as DescribeConnectionCommand), 'ResourceNotFoundException', "Failed to describe the connection(s). Connection 'nope' does not exist.");
    }
  });
});

describe('API destinations', () => {
  let basicArn = '';
  let oauthArn = '';
  before(async () => {
    basicArn = (await eb.send(new DescribeConnectionCommand({ Name: 'basic-conn' }))).ConnectionArn ?? '';
    oauthArn = (await eb.send(new DescribeConnectionCommand({ Name: 'oauth-conn' }))).ConnectionArn ?? '';
  });

  it('creates, describes, lists, updates and deletes one', async () => {
    const created = await call(
      eb.send(new CreateApiDestinationCommand({
        Name: 'hook',
        Description: 'Test API destination',
        ConnectionArn: basicArn,
        InvocationEndpoint: 'https://example.com/api',
        HttpMethod: 'POST',
      })),
    );
    assert.match(created.ApiDestinationArn ?? '', DESTINATION_ARN);
    assert.equal(created.ApiDestinationState, 'ACTIVE'); // AWS: create-api-destination[auth0]
    assert.deepEqual(Object.keys(created).sort(), ['ApiDestinationArn', 'ApiDestinationState', 'CreationTime', 'LastModifiedTime']);

    const d = await call(eb.send(new DescribeApiDestinationCommand({ Name: 'hook' })));
    assert.deepEqual(
      { ...d, CreationTime: undefined, LastModifiedTime: undefined },
      {
        ApiDestinationArn: created.ApiDestinationArn,
        Name: 'hook',
        Description: 'Test API destination',
        ApiDestinationState: 'ACTIVE',
        ConnectionArn: basicArn,
        InvocationEndpoint: 'https://example.com/api',
        HttpMethod: 'POST',
        InvocationRateLimitPerSecond: 300, // AWS: the default
        CreationTime: undefined,
        LastModifiedTime: undefined,
      },
    );
    const listed = await call(eb.send(new ListApiDestinationsCommand({ NamePrefix: 'ho' })));
    assert.equal(listed.ApiDestinations?.length, 1);
    assert.equal((listed.ApiDestinations?.[0] as Record<string, unknown> | undefined)?.Description, undefined, 'AWS lists no Description');

    const updated = await call(
      eb.send(new UpdateApiDestinationCommand({
        Name: 'hook',
        HttpMethod: 'PUT',
        InvocationEndpoint: 'https://example.com/api/v2',
        InvocationRateLimitPerSecond: 10,
        Description: 'Updated API destination',
      })),
    );
    assert.equal(updated.ApiDestinationState, 'ACTIVE');
    const after = await call(eb.send(new DescribeApiDestinationCommand({ Name: 'hook' })));
    assert.equal(after.HttpMethod, 'PUT');
    assert.equal(after.InvocationEndpoint, 'https://example.com/api/v2');
    assert.equal(after.InvocationRateLimitPerSecond, 10);
    assert.equal(after.Description, 'Updated API destination');

    // The connection is in use while the destination exists.
    await rejects(eb.send(new DeleteConnectionCommand({ Name: 'basic-conn' })), 'ValidationException', "Connection 'basic-conn' is in use by one or more API destinations.");

    assert.deepEqual(await call(eb.send(new DeleteApiDestinationCommand({ Name: 'hook' }))), {});
    await rejects(
      eb.send(new DescribeApiDestinationCommand({ Name: 'hook' })),
      'ResourceNotFoundException',
      "Failed to describe the api-destination(s). An api-destination 'hook' does not exist.", // AWS
    );
  });

  it('is INACTIVE while its connection is not authorized', async () => {
    const created = await call(
      eb.send(new CreateApiDestinationCommand({ Name: 'oauth-hook', ConnectionArn: oauthArn, InvocationEndpoint: 'https://example.com/api', HttpMethod: 'POST' })),
    );
    assert.equal(created.ApiDestinationState, 'INACTIVE'); // AWS: create-api-destination[auth2]
    const byConnection = await call(eb.send(new ListApiDestinationsCommand({ ConnectionArn: oauthArn })));
    assert.deepEqual(byConnection.ApiDestinations?.map((d) => d.Name), ['oauth-hook']);
    const none = await call(eb.send(new ListApiDestinationsCommand({ ConnectionArn: basicArn })));
    assert.deepEqual(none.ApiDestinations, []);
  });

  it('refuses what AWS refuses', async () => {
    await rejects(
      eb.send(new CreateApiDestinationCommand({ Name: 'oauth-hook', ConnectionArn: oauthArn, InvocationEndpoint: 'https://example.com', HttpMethod: 'POST' })),
      'ResourceAlreadyExistsException',
      "An api-destination 'oauth-hook' already exists.",
    );
    const missing = `arn:aws:events:${REGION}:${ACCOUNT}:connection/ghost/00000000-0000-0000-0000-000000000000`;
    await rejects(
      eb.send(new CreateApiDestinationCommand({ Name: 'x', ConnectionArn: missing, InvocationEndpoint: 'https://example.com', HttpMethod: 'POST' })),
      'ResourceNotFoundException',
      "Failed to describe the connection(s). Connection 'ghost' does not exist.",
    );
    await rejects(
      eb.send(new CreateApiDestinationCommand({ Name: 'x', ConnectionArn: 'invalid-connection-arn', InvocationEndpoint: 'invalid-endpoint', HttpMethod: 'INVALID_METHOD' as 'POST' })),
      'ValidationException',
      /^2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' failed to satisfy constraint: Member must satisfy regular expression pattern: .*; Value 'INVALID_METHOD' at 'httpMethod' failed to satisfy constraint: Member must satisfy enum value set: \[/, // AWS
    );
    await rejects(
      eb.send(new UpdateApiDestinationCommand({ Name: 'oauth-hook', ConnectionArn: missing })),
      'ResourceNotFoundException',
      "Failed to describe the connection(s). Connection 'ghost' does not exist.",
    );
    await rejects(
      eb.send(new DeleteApiDestinationCommand({ Name: 'nope' })),
      'ResourceNotFoundException',
      "Failed to describe the api-destination(s). An api-destination 'nope' does not exist.",
    );
  });

  it('deletes an unused connection: DELETING, then gone', async () => {
    await eb.send(new DeleteApiDestinationCommand({ Name: 'oauth-hook' }));
    const r = await call(eb.send(new DeleteConnectionCommand({ Name: 'oauth-conn' })));
    assert.equal(r.ConnectionState, 'DELETING'); // AWS: delete-connection
    assert.equal(r.ConnectionArn, oauthArn);
    await rejects(eb.send(new DescribeConnectionCommand({ Name: 'oauth-conn' })), 'ResourceNotFoundException', "Failed to describe the connection(s). Connection 'oauth-conn' does not exist.");
  });
});

describe('secrets stay secret', () => {
  it('never appear in an API response', () => {
    assert.ok(responses.length > 20, `recorded ${responses.length} responses`);
    for (const body of responses) for (const secret of Object.values(SECRETS)) assert.ok(!body.includes(secret), `a response holds ${secret}: ${body}`);
  });

  it('never appear in the log', () => {
    const log = server.stderr();
    for (const secret of Object.values(SECRETS)) assert.ok(!log.includes(secret), `the log holds ${secret}`);
  });

  it('never appear in the database file or its WAL, which hold them sealed', () => {
    const files = readdirSync(server.dataDir).filter((f) => f.startsWith('switchyard.db'));
    assert.ok(files.includes('switchyard.db'));
    let sealed = 0;
    for (const f of files) {
      const bytes = readFileSync(join(server.dataDir, f));
      for (const secret of Object.values(SECRETS)) {
        for (const form of [secret, Buffer.from(secret, 'utf16le').toString('latin1')]) {
          assert.equal(bytes.indexOf(Buffer.from(form, 'latin1')), -1, `${f} holds ${secret}`);
        }
      }
      sealed += bytes.toString('latin1').split('v1.').length - 1;
    }
    assert.ok(sealed > 0, 'sealed secrets are stored');
  });

  it('keeps the key outside the database, readable by the owner only', () => {
    const key = join(server.dataDir, 'secret.key');
    assert.ok(existsSync(key));
    assert.equal(statSync(key).mode & 0o777, 0o600);
  });
});
