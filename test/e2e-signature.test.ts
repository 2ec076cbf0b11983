// End to end: SigV4 on the wire. Raw requests are signed with the AWS SDK's own signer
// (@smithy/signature-v4) and sent with fetch, to a server started with credentials (every request
// must be signed by a configured key) and to one without (the loopback development rule of
// ../shared/SPEC.md: any signature, or none, acts in the default account). The server uses the
// real clock, so the expired signature is made with a date 6 minutes in the past.
//
// Codes and messages: EventBridge is an AWS JSON 1.1 ("Coral") service; its signature errors are
// the ones its SDK models as client errors (InvalidSignatureException, UnrecognizedClientException,
// MissingAuthenticationTokenException, IncompleteSignatureException), each with HTTP 400. The texts
// follow AWS's as recorded by dynalite against DynamoDB, another Coral service (see src/http/sigv4.ts).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

import { assertNoServersLeft, removeDataDir, startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const REGION = 'us-east-1';
const A = { accessKeyId: 'AKIDA', secretAccessKey: 'secretA', account: '111111111111' } as const;
const B = { accessKeyId: 'AKIDB', secretAccessKey: 'secretB', account: '222222222222' } as const;
const DEFAULT_ACCOUNT = '000000000000';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
  'and signing method. Consult the service documentation for details.';

let secured!: ServerProcess;
let open!: ServerProcess;

before(async () => {
  [secured, open] = await Promise.all([
    startServer({ args: ['--credentials', `${A.accessKeyId}:${A.secretAccessKey}:${A.account},${B.accessKeyId}:${B.secretAccessKey}:${B.account}`] }),
    startServer(),
  ]);
});

after(async () => {
  try {
    for (const server of [secured, open]) {
      if (server === undefined) continue;
      assert.equal(await server.stop(), 0, 'graceful stop exits 0');
      removeDataDir(server.dataDir);
    }
  } finally {
    assertNoServersLeft();
  }
});

interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  service?: string;
  date?: Date;
  target?: string;
  body?: string;
  /** Also sign x-amz-content-sha256 (the signer's default; off here, so the body is covered only through the canonical request). */
  applyChecksum?: boolean;
}

interface Signed {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A POST / signed as the SDK signs it (host, content-type, x-amz-date, x-amz-target signed). */
async function sign(server: ServerProcess, o: SignOptions = {}): Promise<Signed> {
  const url = new URL(server.url);
  const signer = new SignatureV4({
    service: o.service ?? 'events',
    region: REGION,
    credentials: { accessKeyId: o.accessKeyId ?? A.accessKeyId, secretAccessKey: o.secretAccessKey ?? A.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: o.applyChecksum ?? false,
  });
  const body = o.body ?? '{}';
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': o.target ?? 'AWSEvents.ListEventBuses' },
    body,
  });
  const signed = await signer.sign(request, o.date === undefined ? {} : { signingDate: o.date });
  // fetch sets Host itself, from the URL: the same value that was signed.
  const { host: _host, ...headers } = signed.headers;
  return { headers, body };
}

interface Answer {
  readonly status: number;
  readonly errorType: string | null;
  readonly body: Record<string, unknown>;
}

async function send(server: ServerProcess, req: Signed, change: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const res = await fetch(`${server.url}/`, { method: 'POST', headers: { ...req.headers, ...change.headers }, body: change.body ?? req.body });
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> };
}

/** A 400 with this code in the body and in X-Amzn-ErrorType; the message. */
function refusedWith(answer: Answer, code: string): string {
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.equal(answer.body.__type, code, JSON.stringify(answer.body));
  assert.equal(answer.errorType, code);
  assert.equal(typeof answer.body.message, 'string');
  return answer.body.message as string;
}

/** The accounts of the buses a ListEventBuses answer shows. */
function accountsIn(answer: Answer): string[] {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const buses = answer.body.EventBuses as { Arn: string }[];
  return [...new Set(buses.map((bus) => bus.Arn.split(':')[4] ?? ''))];
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('a server with credentials checks every signature', () => {
  it('a good signature is accepted, and the request acts in its key\'s account', async () => {
    assert.deepEqual(accountsIn(await send(secured, await sign(secured))), [A.account]);
    assert.deepEqual(
      accountsIn(await send(secured, await sign(secured, { accessKeyId: B.accessKeyId, secretAccessKey: B.secretAccessKey }))),
      [B.account],
    );
    // The SDK itself, with the same keys.
    const sdk = new EventBridgeClient({ endpoint: secured.url, region: REGION, credentials: A, maxAttempts: 1 });
    try {
      const out = await sdk.send(new ListEventBusesCommand({}));
      assert.deepEqual(out.EventBuses?.map((bus) => bus.Arn), [`arn:aws:events:${REGION}:${A.account}:event-bus/default`]);
    } finally {
      sdk.destroy();
    }
  });

  it('a wrong secret: InvalidSignatureException, with the canonical request in the message', async () => {
    const message = refusedWith(await send(secured, await sign(secured, { secretAccessKey: 'not-the-secret' })), 'InvalidSignatureException');
    assert.ok(message.startsWith(`${MISMATCH}\n\nThe Canonical String for this request should have been\n'POST\n/\n\n`), message);
    assert.match(message, /\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/events\/aws4_request\n[0-9a-f]{64}'\n$/);
    // The SDK surfaces the same error.
    const sdk = new EventBridgeClient({ endpoint: secured.url, region: REGION, credentials: { ...A, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    try {
      await assert.rejects(sdk.send(new ListEventBusesCommand({})), (e: Error) => e.name === 'InvalidSignatureException' && e.message.startsWith(MISMATCH));
    } finally {
      sdk.destroy();
    }
  });

  it('an unknown access key: UnrecognizedClientException', async () => {
    const message = refusedWith(await send(secured, await sign(secured, { accessKeyId: 'AKIDNOBODY' })), 'UnrecognizedClientException');
    assert.equal(message, 'The security token included in the request is invalid.');
  });

  it('a body changed after signing is refused, and nothing is done', async () => {
    const signed = await sign(secured, { target: 'AWSEvents.CreateEventBus', body: '{"Name":"signed-bus"}' });
    const tampered = '{"Name":"tampered-bus"}';
    const message = refusedWith(await send(secured, signed, { body: tampered }), 'InvalidSignatureException');
    assert.ok(message.startsWith(MISMATCH), message);
    // The canonical request AWS would have signed ends with the hash of the body it received.
    assert.ok(message.includes(`\n${sha256(tampered)}'\n\nThe String-to-Sign`), message);
    // The same with x-amz-content-sha256 signed: the declared hash no longer fits the body received.
    const checked = await sign(secured, { target: 'AWSEvents.CreateEventBus', body: '{"Name":"signed-bus"}', applyChecksum: true });
    assert.equal(checked.headers['x-amz-content-sha256'], sha256('{"Name":"signed-bus"}'));
    assert.ok(refusedWith(await send(secured, checked, { body: tampered }), 'InvalidSignatureException').startsWith(MISMATCH));

    const buses = await send(secured, await sign(secured));
    const names = (buses.body.EventBuses as { Name: string }[]).map((bus) => bus.Name);
    assert.deepEqual(names, ['default'], 'neither bus was created');
  });

  it('a signed header changed after signing is refused', async () => {
    const signed = await sign(secured, { target: 'AWSEvents.ListRules' });
    assert.match(signed.headers.authorization ?? '', /SignedHeaders=content-type;host;x-amz-date;x-amz-target,/);
    const message = refusedWith(await send(secured, signed, { headers: { 'x-amz-target': 'AWSEvents.ListEventBuses' } }), 'InvalidSignatureException');
    assert.ok(message.startsWith(MISMATCH), message);
    assert.ok(message.includes('\nx-amz-target:AWSEvents.ListEventBuses\n'), 'the canonical request shows the header as received');
  });

  it('a date 6 minutes old: "Signature expired"', async () => {
    const signedAt = new Date(Date.now() - 6 * 60 * 1000);
    const sentAt = Date.now();
    const message = refusedWith(await send(secured, await sign(secured, { date: signedAt })), 'InvalidSignatureException');
    const answeredAt = Date.now();
    // AWS: "Signature expired: 20130524T000000Z is now earlier than 20130524T000500Z (20130524T001000Z - 5 min.)"
    const m = /^Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 5 min\.\)$/.exec(message);
    assert.ok(m !== null, message);
    const basic = (d: Date | number): string => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const parse = (s: string): number => Date.parse(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 11)}:${s.slice(11, 13)}:${s.slice(13)}`);
    assert.equal(m[1], basic(signedAt), 'the signing date, as signed');
    const now = parse(m[3] ?? '');
    assert.ok(now >= sentAt - 1000 && now <= answeredAt + 1000, `the server's now (${m[3]}) is the real clock`);
    assert.equal(parse(m[2] ?? ''), now - 5 * 60 * 1000, 'the earliest accepted time is now - 5 min.');
    // Four minutes old is still fine.
    assert.deepEqual(accountsIn(await send(secured, await sign(secured, { date: new Date(Date.now() - 4 * 60 * 1000) }))), [A.account]);
  });

  it("a credential scoped to another service ('sqs')", async () => {
    const message = refusedWith(await send(secured, await sign(secured, { service: 'sqs' })), 'InvalidSignatureException');
    assert.equal(message, "Credential should be scoped to correct service: 'events'. ");
  });

  it('an unsigned request: MissingAuthenticationTokenException', async () => {
    const res = await fetch(`${secured.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.ListEventBuses' },
      body: '{}',
    });
    const answer = { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> };
    assert.equal(refusedWith(answer, 'MissingAuthenticationTokenException'), 'Request is missing Authentication Token');
  });
});

describe('a loopback server without credentials (local development)', () => {
  it('accepts unsigned requests, into the default account', async () => {
    const res = await fetch(`${open.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.ListEventBuses' },
      body: '{}',
    });
    const answer = { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, unknown> };
    assert.deepEqual(accountsIn(answer), [DEFAULT_ACCOUNT]);
  });

  it('accepts any signature, good or not, into the default account', async () => {
    const variants: SignOptions[] = [
      {},
      { accessKeyId: 'AKIDANYONE', secretAccessKey: 'whatever' },
      { secretAccessKey: 'wrong' },
      { date: new Date(Date.now() - 6 * 60 * 1000) },
      { service: 'sqs' },
    ];
    for (const variant of variants) {
      assert.deepEqual(accountsIn(await send(open, await sign(open, variant))), [DEFAULT_ACCOUNT], JSON.stringify(variant));
    }
    const signed = await sign(open, { target: 'AWSEvents.ListEventBuses' });
    assert.deepEqual(accountsIn(await send(open, signed, { body: '{"Limit":5}' })), [DEFAULT_ACCOUNT], 'a changed body too');
    // And the SDK with made-up keys.
    const sdk = new EventBridgeClient({ endpoint: open.url, region: REGION, credentials: { accessKeyId: 'made', secretAccessKey: 'up' }, maxAttempts: 1 });
    try {
      const out = await sdk.send(new ListEventBusesCommand({}));
      assert.deepEqual(out.EventBuses?.map((bus) => bus.Arn), [`arn:aws:events:${REGION}:${DEFAULT_ACCOUNT}:event-bus/default`]);
    } finally {
      sdk.destroy();
    }
  });
});
