// SSRF protection at the API (docs/ssrf.md): a server bound to a non-loopback address (here
// 0.0.0.0, with credentials, as SPEC.md requires) refuses to create or point an API destination
// at private, loopback, link-local, metadata or CGNAT addresses, in every IPv6 spelling of an
// IPv4 address; a public address is accepted. (Every send checks again: delivery-ssrf.test.ts.)
// A server bound to loopback, the development default, accepts them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CreateApiDestinationCommand, CreateConnectionCommand, EventBridgeClient, UpdateApiDestinationCommand } from '@aws-sdk/client-eventbridge';

import { rejects, stopAndCheck } from './helpers/aws.js';
import { removeDataDir, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const KEY = { accessKeyId: 'AKIDSSRF', secretAccessKey: 'ssrf-secret', account: '111111111111' } as const;

let exposed!: ServerProcess;
let local!: ServerProcess;
let onExposed!: EventBridgeClient;
let onLocal!: EventBridgeClient;

const client = (server: ServerProcess): EventBridgeClient =>
  new EventBridgeClient({
    // The server listens on every address; the test reaches it on loopback.
    endpoint: server.url.replace('0.0.0.0', '127.0.0.1'),
    region: 'us-east-1',
    credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secretAccessKey },
    maxAttempts: 1,
  });

async function connection(events: EventBridgeClient): Promise<string> {
  const c = await events.send(
    new CreateConnectionCommand({ Name: 'c', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: 'v' } } }),
  );
  return c.ConnectionArn as string;
}

before(async () => {
  const credentials = `${KEY.accessKeyId}:${KEY.secretAccessKey}:${KEY.account}`;
  [exposed, local] = await Promise.all([
    startServer({ args: ['--host', '0.0.0.0', '--credentials', credentials] }),
    startServer({ args: ['--credentials', credentials] }),
  ]);
  onExposed = client(exposed);
  onLocal = client(local);
});

after(async () => {
  onExposed?.destroy();
  onLocal?.destroy();
  if (local !== undefined) {
    assert.equal(await local.stop(), 0, 'graceful stop exits 0');
    removeDataDir(local.dataDir);
  }
  await stopAndCheck(exposed);
});

describe('API destinations and SSRF protection', () => {
  const refused = [
    'http://127.0.0.1/hook',
    'http://localhost:8080/hook',
    'http://10.1.2.3/hook',
    'http://172.16.0.1/hook',
    'http://192.168.1.1/*/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/hook',
    'http://0.0.0.0/hook',
  ];
  // IPv6 literals ([::1], [::ffff:127.0.0.1], ...) never get this far: AWS's model for
  // InvocationEndpoint has no brackets, so they are refused as a constraint failure, as on AWS.
  // A name resolving to them is refused at send (delivery-ssrf.test.ts).

  it('a server not bound to loopback refuses private and special addresses, at create and at update', async () => {
    const arn = await connection(onExposed);
    for (const [i, endpoint] of refused.entries()) {
      await rejects(
        onExposed.send(new CreateApiDestinationCommand({ Name: `d${i}`, ConnectionArn: arn, InvocationEndpoint: endpoint, HttpMethod: 'POST' })),
        'ValidationException',
        new RegExp(`^Invocation endpoint ${endpoint.replace(/[.*[\]]/g, '\\$&')} is not allowed: `),
      );
    }
    const ok = await onExposed.send(
      new CreateApiDestinationCommand({ Name: 'public', ConnectionArn: arn, InvocationEndpoint: 'https://93.184.216.34/hook', HttpMethod: 'POST' }),
    );
    assert.match(ok.ApiDestinationArn ?? '', /:api-destination\/public\//);
    await rejects(
      onExposed.send(new UpdateApiDestinationCommand({ Name: 'public', InvocationEndpoint: 'http://10.0.0.1/hook' })),
      'ValidationException',
      /^Invocation endpoint http:\/\/10\.0\.0\.1\/hook is not allowed: /,
    );
    await rejects(
      onExposed.send(new CreateApiDestinationCommand({ Name: 'v6', ConnectionArn: arn, InvocationEndpoint: 'http://[::ffff:127.0.0.1]/hook', HttpMethod: 'POST' })),
      'ValidationException',
      /failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
  });

  it('a server bound to loopback (development) accepts them', async () => {
    const arn = await connection(onLocal);
    for (const [i, endpoint] of refused.entries()) {
      const made = await onLocal.send(new CreateApiDestinationCommand({ Name: `d${i}`, ConnectionArn: arn, InvocationEndpoint: endpoint, HttpMethod: 'POST' }));
      assert.ok(made.ApiDestinationArn);
    }
  });
});
