// SigV4 verification against requests signed by the AWS SDK v3's own signer (@smithy/signature-v4
// with @smithy/hash-node, as @aws-sdk/core uses them). Time is injected; nothing sleeps.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

import { MESSAGES, verifySigV4 } from '../src/http/sigv4.js';
import type { Credential, SignedRequest, VerifyResult } from '../src/http/sigv4.js';

const KEY = 'AKIDSWITCHYARD000001';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ACCOUNT = '123456789012';
const T0 = new Date('2026-01-01T00:00:00Z');
const BODY = '{"Entries":[{"Source":"app","DetailType":"t","Detail":"{\\"a\\":1}"}]}';
const KEYS = new Map<string, Credential>([[KEY, { secretAccessKey: SECRET, account: ACCOUNT }]]);
const lookup = (id: string): Credential | undefined => KEYS.get(id);

type Query = Record<string, string | string[]>;
interface SignOptions {
  secret?: string;
  accessKeyId?: string;
  sessionToken?: string;
  service?: string;
  region?: string;
  date?: Date;
  applyChecksum?: boolean;
  path?: string;
  query?: Query;
  body?: string;
  unsignable?: string[];
}

function signer(o: SignOptions): SignatureV4 {
  return new SignatureV4({
    service: o.service ?? 'events',
    region: o.region ?? 'us-east-1',
    credentials: {
      accessKeyId: o.accessKeyId ?? KEY,
      secretAccessKey: o.secret ?? SECRET,
      ...(o.sessionToken === undefined ? {} : { sessionToken: o.sessionToken }),
    },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: o.applyChecksum ?? true,
  });
}

function unsignedRequest(o: SignOptions): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 4010,
    path: o.path ?? '/',
    query: o.query ?? {},
    headers: { host: 'localhost:4010', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: o.body ?? BODY,
  });
}

/** The SDK's query serialisation (RFC 3986 escaping), as it goes on the wire. */
function wireQuery(query: Query): string {
  const esc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(query)
    .sort()
    .flatMap((k) => [query[k] ?? []].flat().map((v) => `${esc(k)}=${esc(v)}`))
    .join('&');
}

/** What node:http would hand the server for the signed request. */
function toWire(signed: { method: string; path: string; query: Query; headers: Record<string, string> }, body: string): SignedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return { method: signed.method, path: signed.path, query: wireQuery(signed.query), headers, body: Buffer.from(body) };
}

async function signed(o: SignOptions = {}): Promise<SignedRequest> {
  const request = await signer(o).sign(unsignedRequest(o), {
    signingDate: o.date ?? T0,
    ...(o.unsignable === undefined ? {} : { unsignableHeaders: new Set(o.unsignable) }),
  });
  return toWire(request as HttpRequest & { query: Query }, o.body ?? BODY);
}

function verify(req: SignedRequest, now = T0, extra: { service?: string; region?: string } = {}): VerifyResult {
  return verifySigV4(req, { lookup, service: extra.service ?? 'events', now, ...(extra.region === undefined ? {} : { region: extra.region }) });
}

function refused(result: VerifyResult, code: string, message?: string, status = 400): void {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) return;
  assert.equal(result.code, code);
  assert.equal(result.status, status);
  if (message !== undefined) assert.equal(result.message, message);
}

const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);

describe('SigV4: requests the AWS SDK signs are accepted', () => {
  it('POST with a JSON body and x-amz-content-sha256', async () => {
    const req = await signed();
    assert.equal(req.headers['x-amz-content-sha256'], createHash('sha256').update(BODY).digest('hex'));
    assert.deepEqual(verify(req), { ok: true, accessKeyId: KEY, account: ACCOUNT });
  });

  it('POST without x-amz-content-sha256 (the body is hashed)', async () => {
    const req = await signed({ applyChecksum: false });
    assert.equal(req.headers['x-amz-content-sha256'], undefined);
    assert.deepEqual(verify(req), { ok: true, accessKeyId: KEY, account: ACCOUNT });
  });

  it('with a query string and a path that needs encoding', async () => {
    const query = { b: 'x y', a: ['2', '1'], 'c~': 'é+/=&', empty: '' };
    const req = await signed({ path: '/000000000000/my%20queue/./x/../q', query });
    assert.match(req.query, /^a=2&a=1&b=x%20y/, 'repeated values stay in wire order; the verifier sorts them');
    assert.deepEqual(verify(req), { ok: true, accessKeyId: KEY, account: ACCOUNT });
  });

  it('with a signed session token (x-amz-security-token)', async () => {
    const req = await signed({ sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN//+=' });
    assert.equal(req.headers['x-amz-security-token'], 'FwoGZXIvYXdzEXAMPLETOKEN//+=');
    assert.match(String(req.headers.authorization), /SignedHeaders=[^,]*x-amz-security-token/);
    assert.deepEqual(verify(req), { ok: true, accessKeyId: KEY, account: ACCOUNT });
  });

  it('with an extra header that was not signed', async () => {
    const req = await signed();
    req.headers['user-agent'] = 'curl/8';
    req.headers['x-forwarded-for'] = '10.0.0.1';
    assert.equal(verify(req).ok, true);
  });

  it('with the date exactly 5 minutes off either way', async () => {
    assert.equal(verify(await signed(), minutes(5)).ok, true);
    assert.equal(verify(await signed({ date: minutes(5) }), T0).ok, true);
  });

  it('presigned (query-string auth), within X-Amz-Expires', async () => {
    const request = await signer({}).presign(unsignedRequest({}), { signingDate: T0, expiresIn: 900 });
    const req = toWire(request as HttpRequest & { query: Query }, BODY);
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(verify(req, minutes(14)), { ok: true, accessKeyId: KEY, account: ACCOUNT });
    refused(verify(req, minutes(16)), 'InvalidSignatureException', 'Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z (20260101T001600Z - 900 sec.)');
    refused(verify({ ...req, body: Buffer.from('{}') }, minutes(1)), 'InvalidSignatureException');
  });
});

describe('SigV4: refusals, with AWS codes and messages', () => {
  it('a wrong secret', async () => {
    const result = verify(await signed({ secret: 'not-the-secret' }));
    refused(result, 'InvalidSignatureException');
    assert.ok(!result.ok && result.message.startsWith(`${MESSAGES.mismatch}\n\nThe Canonical String for this request should have been\n'POST\n/\n\n`));
    assert.ok(!result.ok && result.message.includes("The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/events/aws4_request\n"));
  });

  it('an unknown access key', async () => {
    refused(verify(await signed({ accessKeyId: 'AKIDUNKNOWN' })), 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  });

  it('a tampered body, also when x-amz-content-sha256 was signed', async () => {
    for (const applyChecksum of [true, false]) {
      const req = await signed({ applyChecksum });
      refused(verify({ ...req, body: Buffer.from(BODY.replace('"a\\":1', '"a\\":2')) }), 'InvalidSignatureException');
    }
  });

  it('an x-amz-content-sha256 that does not match the body, even unsigned', async () => {
    const req = await signed({ applyChecksum: false });
    req.headers['x-amz-content-sha256'] = createHash('sha256').update('other').digest('hex');
    refused(verify(req), 'InvalidSignatureException');
  });

  it('a tampered signed header', async () => {
    const req = await signed();
    req.headers['x-amz-target'] = 'AWSEvents.DeleteRule';
    refused(verify(req), 'InvalidSignatureException');
  });

  it('a tampered path or query', async () => {
    const req = await signed({ path: '/000000000000/q', query: { a: '1' } });
    refused(verify({ ...req, path: '/000000000000/r' }), 'InvalidSignatureException');
    refused(verify({ ...req, query: 'a=2' }), 'InvalidSignatureException');
  });

  it('a date 6 minutes old, and 6 minutes ahead', async () => {
    refused(
      verify(await signed(), minutes(6)),
      'InvalidSignatureException',
      'Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z (20260101T000600Z - 5 min.)',
    );
    refused(
      verify(await signed({ date: minutes(6) }), T0),
      'InvalidSignatureException',
      'Signature not yet current: 20260101T000600Z is still later than 20260101T000500Z (20260101T000000Z + 5 min.)',
    );
  });

  it('a credential scoped to another service or region', async () => {
    refused(verify(await signed({ service: 'sqs' })), 'InvalidSignatureException', "Credential should be scoped to correct service: 'events'. ");
    refused(
      verify(await signed({ region: 'eu-west-1' }), T0, { region: 'us-east-1' }),
      'InvalidSignatureException',
      "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    );
    assert.equal(verify(await signed({ region: 'eu-west-1' })).ok, true, 'any region when none is configured');
  });

  it('SQS gets the query-compatible codes', async () => {
    refused(verify(await signed({ service: 'events' }), T0, { service: 'sqs' }), 'SignatureDoesNotMatch', "Credential should be scoped to correct service: 'sqs'. ", 403);
    refused(verify(await signed({ service: 'sqs', accessKeyId: 'AKIDX' }), T0, { service: 'sqs' }), 'InvalidClientTokenId', undefined, 403);
    assert.equal(verify(await signed({ service: 'sqs' }), T0, { service: 'sqs' }).ok, true);
  });

  it('host not among the signed headers', async () => {
    refused(verify(await signed({ unsignable: ['host'] })), 'InvalidSignatureException', MESSAGES.hostUnsigned);
  });
});

describe('SigV4: missing and malformed Authorization', () => {
  const base = async (authorization: string | undefined, extra: Record<string, string | undefined> = {}): Promise<VerifyResult> => {
    const req = await signed();
    return verify({ ...req, headers: { ...req.headers, authorization, ...extra } });
  };
  const good = async (): Promise<string> => String((await signed()).headers.authorization);

  it('no Authorization header, or not an AWS4 one', async () => {
    refused(await base(undefined), 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
    refused(await base('Bearer abc.def'), 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
  });

  it('the bare algorithm with no date lists everything missing', async () => {
    refused(
      await base('AWS4-HMAC-SHA256', { 'x-amz-date': undefined }),
      'IncompleteSignatureException',
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
        "'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256",
    );
    const noSignature = (await good()).replace(/, Signature=\w+/, '');
    refused(await base(noSignature), 'IncompleteSignatureException', `Authorization header requires 'Signature' parameter. Authorization=${noSignature}`);
  });

  it('a parameter without an equal sign', async () => {
    const auth = (await good()).replace(`Credential=${KEY}/`, `Credential= ${KEY}/`);
    refused(
      await base(auth),
      'IncompleteSignatureException',
      `'${KEY}/20260101/us-east-1/events/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '${auth}'.`,
    );
  });

  it('a date not in ISO-8601 basic format', async () => {
    refused(
      await base(await good(), { 'x-amz-date': '2026-01-01T00:00:00Z' }),
      'IncompleteSignatureException',
      "Date must be in ISO-8601 'basic format'. Got '2026-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    );
  });

  it('another algorithm', async () => {
    refused(
      await base((await good()).replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA512')),
      'IncompleteSignatureException',
      "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
    );
  });

  it('a credential without 5 parts, and a scope with every part wrong', async () => {
    refused(
      await base((await good()).replace(/Credential=[^,]+/, `Credential=${KEY}/20260101/us-east-1/events`)),
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${KEY}/20260101/us-east-1/events'`,
    );
    refused(
      await base((await good()).replace(/Credential=[^,]+/, `Credential=${KEY}/20251231/us-east-1/sns/aws5_request`)),
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'events'. Credential should be scoped with a valid terminator: " +
        "'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of " +
        "date from HTTP: '20251231' != '20260101', from '20260101T000000Z'. ",
    );
  });

  it('a signature of the wrong length', async () => {
    refused(await base((await good()).replace(/Signature=\w+/, 'Signature=abc')), 'InvalidSignatureException');
  });
});

describe('SigV4: AWS published example (IAM ListUsers, SigV4 docs)', () => {
  it('verifies the signature from the documentation', () => {
    const req: SignedRequest = {
      method: 'GET',
      path: '/',
      query: 'Action=ListUsers&Version=2010-05-08',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        host: 'iam.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, ' +
          'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
      },
      body: Buffer.alloc(0),
    };
    const docs = (id: string): Credential | undefined =>
      id === 'AKIDEXAMPLE' ? { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', account: ACCOUNT } : undefined;
    const result = verifySigV4(req, { lookup: docs, service: 'iam', now: new Date('2015-08-30T12:38:00Z') });
    assert.deepEqual(result, { ok: true, accessKeyId: 'AKIDEXAMPLE', account: ACCOUNT });
  });
});
