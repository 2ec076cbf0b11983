/**
 * SigV4 (AWS4-HMAC-SHA256) request verification, as a pure function: no I/O, no clock of its own.
 *
 * `verifySigV4` checks one request and answers with the caller's account or with the error AWS
 * would send. The checks run in the order AWS's JSON ("Coral") front end runs them, as recorded
 * against DynamoDB by dynalite (mhart/dynalite `index.js` comments) and by
 * dacut/scratchstack-aws-signature; the first failing check decides the answer:
 *
 *  1. Some auth at all: an `Authorization` header starting with `AWS4-`, or `X-Amz-Algorithm` in
 *     the query (presigned URL; the header wins when both are present) -> MissingAuthenticationToken.
 *  2. Header parameters are `key=value` (split on commas and white space, as AWS does) and
 *     Credential, Signature, SignedHeaders and a date (`X-Amz-Date`, else `Date`) are all there;
 *     for a presigned URL, X-Amz-Credential, -Signature, -SignedHeaders and -Date -> IncompleteSignature.
 *  3. The date is ISO-8601 basic (`20260101T000000Z`, in `Date` too) -> IncompleteSignature; it
 *     lies within 5 minutes of `now` either way (a presigned URL instead lives `X-Amz-Expires`
 *     seconds, at most 7 days) -> InvalidSignature.
 *  4. `host` is among the signed headers -> InvalidSignature.
 *  5. The algorithm is exactly AWS4-HMAC-SHA256 -> IncompleteSignature.
 *  6. The credential has 5 slash-separated parts -> IncompleteSignature; its scope names the
 *     configured region (any region when none is configured), `opts.service`, `aws4_request` and
 *     the request's own day -> InvalidSignature, all scope complaints in one message.
 *  7. The access key is known to `opts.lookup` -> UnrecognizedClient.
 *  8. When `x-amz-content-sha256` is sent, it equals the SHA-256 of the body actually received ->
 *     InvalidSignature. (Services other than S3 hash the body themselves, so a tampered body
 *     fails there even when the header was signed; we check explicitly, then sign the same value.)
 *  9. The signature, recomputed over the canonical request, matches (timing-safe compare) ->
 *     InvalidSignature, with the canonical request and string to sign in the message as AWS does.
 *
 * A session token (`x-amz-security-token` / `X-Amz-Security-Token`) is signed like any header but
 * not validated: Switchyard has no STS, so static keys are the only credentials it can check.
 *
 * Canonicalisation follows the SigV4 spec for services other than S3, which is also what the AWS
 * SDK's signer (@smithy/signature-v4) does: the raw path is normalised (empty, `.` and `..`
 * segments removed) and URI-encoded once more, so `%` in a raw path becomes `%25`; query pairs are
 * decoded, re-encoded with RFC 3986 unreserved characters only (`+` is a literal plus), sorted by
 * name then value, with `X-Amz-Signature` left out; signed header values are trimmed with inner
 * runs of white space collapsed to one space, repeated values joined by `,` (pass node's
 * `headersDistinct` for exactness; node's own `, ` join of repeated headers cannot be undone).
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedRequest {
  method: string;
  /** Raw request path as sent, still percent-encoded, e.g. `/` or `/000000000000/q`. */
  path: string;
  /** Raw query string without the `?`, `''` when there is none. */
  query: string;
  /** As node:http gives them: lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Credential {
  secretAccessKey: string;
  account: string;
}

export type VerifyResult =
  | { ok: true; accessKeyId: string; account: string }
  | { ok: false; code: string; message: string; status: number };

export interface VerifyOptions {
  lookup(accessKeyId: string): Credential | undefined;
  /** Signing name the credential scope must carry: `events` or `sqs`. */
  service: string;
  now: Date;
  /** Region the credential scope must carry; when absent any region is accepted (local use). */
  region?: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';
const SKEW_MS = 5 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

/**
 * The four refusals, as EventBridge (awsJson1_1) names them and as SQS (awsJson1_0 with the
 * awsQueryCompatible trait, whose SDKs surface the query-protocol code) names them. Statuses: Coral
 * JSON services answer 400 to all four (dynalite; UnrecognizedClientException and
 * MissingAuthenticationTokenException seen as 400 in public reports); SQS answers 403 except for
 * IncompleteSignature (SQS "Common Errors"; SignatureDoesNotMatch/InvalidClientTokenId seen as 403).
 */
const CODES = {
  events: {
    missing: ['MissingAuthenticationTokenException', 400],
    incomplete: ['IncompleteSignatureException', 400],
    signature: ['InvalidSignatureException', 400],
    client: ['UnrecognizedClientException', 400],
  },
  sqs: {
    missing: ['MissingAuthenticationToken', 403],
    incomplete: ['IncompleteSignature', 400],
    signature: ['SignatureDoesNotMatch', 403],
    client: ['InvalidClientTokenId', 403],
  },
} as const satisfies Record<string, Record<Kind, readonly [string, number]>>;
type Kind = 'missing' | 'incomplete' | 'signature' | 'client';

/** The code a refusal of `kind` has for a signing name (`sqs`, else EventBridge's codes). */
export function refusalCode(service: string, kind: Kind): string {
  return (service === 'sqs' ? CODES.sqs : CODES.events)[kind][0];
}

export const MESSAGES = {
  missing: 'Request is missing Authentication Token',
  unknownKey: 'The security token included in the request is invalid.',
  hostUnsigned: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
  mismatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS ' +
    'Secret Access Key and signing method. Consult the service documentation for details.',
} as const;

export function verifySigV4(req: SignedRequest, opts: VerifyOptions): VerifyResult {
  const codes = opts.service === 'sqs' ? CODES.sqs : CODES.events;
  const fail = (kind: Kind, message: string): VerifyResult => ({ ok: false, code: codes[kind][0], message, status: codes[kind][1] });

  // 1. Which kind of auth, if any.
  const authHeader = header(req.headers, 'authorization');
  const query = parseQuery(req.query);
  const queryParam = (name: string): string | undefined => query.find(([k]) => k === name)?.[1];
  const presigned = authHeader === undefined && queryParam('X-Amz-Algorithm') !== undefined;
  if (!presigned && (authHeader === undefined || !authHeader.trim().startsWith('AWS4-'))) {
    return fail('missing', MESSAGES.missing);
  }

  // 2. The parts of the signature.
  const parts = presigned ? queryParts(queryParam) : headerParts(authHeader ?? '', req.headers);
  if ('missing' in parts) return fail(parts.missing ? 'missing' : 'incomplete', parts.message);
  const { algorithm, credential, signature, signedList, dateText, expiresText } = parts;

  // 3. The date and the clock.
  const date = parseDate(dateText);
  if (date === undefined) {
    return fail('incomplete', `Date must be in ISO-8601 'basic format'. Got '${dateText}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  const now = opts.now.getTime();
  let earliest = now - SKEW_MS;
  let span = '5 min.';
  if (expiresText !== undefined) {
    const seconds = Number(expiresText);
    if (!/^\d+$/.test(expiresText) || seconds > MAX_PRESIGN_SECONDS) {
      // Our choice of text: AWS's wording for non-S3 services is not documented.
      return fail('incomplete', `X-Amz-Expires must be an integer number of seconds from 0 to ${MAX_PRESIGN_SECONDS}. Got '${expiresText}'.`);
    }
    earliest = now - seconds * 1000;
    span = `${seconds} sec.`; // our choice: AWS prints "N min." for its own window
  }
  if (date.getTime() < earliest) {
    return fail('signature', `Signature expired: ${iso(date)} is now earlier than ${iso(new Date(earliest))} (${iso(opts.now)} - ${span})`);
  }
  if (date.getTime() > now + SKEW_MS) {
    return fail('signature', `Signature not yet current: ${iso(date)} is still later than ${iso(new Date(now + SKEW_MS))} (${iso(opts.now)} + 5 min.)`);
  }

  // 4. Host must be signed.
  const signedHeaders = [...new Set(signedList.split(';').map((name) => name.trim().toLowerCase()))].filter((n) => n !== '').sort();
  if (!signedHeaders.includes('host')) return fail('signature', MESSAGES.hostUnsigned);

  // 5. The algorithm.
  if (algorithm !== ALGORITHM) {
    return fail('incomplete', `Unsupported AWS 'algorithm': '${algorithm}' (only AWS4-HMAC-SHA256 for now). `);
  }

  // 6. The credential scope (trailing slashes are ignored, as AWS does).
  const scope = credential.replace(/\/+$/, '').split('/');
  const [accessKeyId = '', scopeDay = '', region = '', service = '', terminator = ''] = scope;
  if (scope.length !== 5) {
    return fail('incomplete', `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const day = iso(date).slice(0, 8);
  let scopeErrors = '';
  if (opts.region !== undefined ? region !== opts.region : region === '') {
    scopeErrors += `Credential should be scoped to a valid region, not '${region}'. `;
  }
  if (service !== opts.service) scopeErrors += `Credential should be scoped to correct service: '${opts.service}'. `;
  if (terminator !== 'aws4_request') {
    scopeErrors += `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `;
  }
  if (scopeDay !== day) {
    scopeErrors += `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDay}' != '${day}', from '${iso(date)}'. `;
  }
  if (scopeErrors !== '') return fail('signature', scopeErrors);

  // 7. The key.
  const found = opts.lookup(accessKeyId);
  if (found === undefined) return fail('client', MESSAGES.unknownKey);

  // 8 and 9. The body and the signature.
  const bodyHash = sha256Hex(req.body);
  const canonical = [
    req.method.toUpperCase(),
    canonicalPath(req.path),
    canonicalQuery(query),
    ...signedHeaders.flatMap((name) => {
      const value = req.headers[name]; // a signed header that is absent gets no line
      const values = value === undefined ? [] : [value].flat().map((v) => v.replace(/[ \t\r\n]+/g, ' ').replace(/^ | $/g, ''));
      return value === undefined ? [] : [`${name}:${values.join(',')}`];
    }),
    '',
    signedHeaders.join(';'),
    bodyHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, iso(date), `${scopeDay}/${region}/${service}/${terminator}`, sha256Hex(canonical)].join('\n');
  const mismatch = fail(
    'signature',
    `${MESSAGES.mismatch}\n\nThe Canonical String for this request should have been\n'${canonical}'\n\n` +
      `The String-to-Sign should have been\n'${stringToSign}'\n`,
  );
  const declaredHash = header(req.headers, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash.trim() !== bodyHash) return mismatch;

  let key: Buffer = hmac(`AWS4${found.secretAccessKey}`, scopeDay);
  for (const part of [region, service, terminator]) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return mismatch;
  return { ok: true, accessKeyId, account: found.account };
}

interface AuthParts {
  algorithm: string;
  credential: string;
  signature: string;
  signedList: string;
  dateText: string;
  expiresText?: string;
}
type PartsOrError = AuthParts | { missing: boolean; message: string };

function headerParts(authHeader: string, headers: SignedRequest['headers']): PartsOrError {
  const auth = authHeader.trim();
  const [algorithm = '', ...tokens] = auth.split(/[\s,]+/).filter((token) => token !== '');
  const params = new Map<string, string>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq < 0) {
      return { missing: false, message: `'${token}' not a valid key=value pair (missing equal-sign) in Authorization header: '${auth}'.` };
    }
    params.set(token.slice(0, eq), token.slice(eq + 1));
  }
  // An empty value counts as missing (dynalite).
  const [credential = '', signature = '', signedList = ''] = ['Credential', 'Signature', 'SignedHeaders'].map((n) => params.get(n) ?? '');
  const dateText = header(headers, 'x-amz-date') ?? header(headers, 'date');
  let missing = ['Credential', 'Signature', 'SignedHeaders']
    .filter((_, i) => [credential, signature, signedList][i] === '')
    .map((name) => `Authorization header requires '${name}' parameter. `)
    .join('');
  if (dateText === undefined) missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  // Public reports end the message with `Authorization=` and the header as sent.
  if (missing !== '') return { missing: false, message: `${missing}Authorization=${authHeader}` };
  return { algorithm, credential, signature, signedList, dateText: dateText ?? '' };
}

function queryParts(param: (name: string) => string | undefined): PartsOrError {
  // scratchstack: an unknown query algorithm reads as no auth at all.
  if (param('X-Amz-Algorithm') !== ALGORITHM) return { missing: true, message: MESSAGES.missing };
  const [credential, signature, signedList, dateText] = ['Credential', 'Signature', 'SignedHeaders', 'Date'].map((n) => param(`X-Amz-${n}`));
  if (credential === undefined || signature === undefined || signedList === undefined || dateText === undefined) {
    const missing = ['Credential', 'Signature', 'SignedHeaders', 'Date']
      .filter((_, i) => [credential, signature, signedList, dateText][i] === undefined)
      .map((name) => `AWS query-string parameters must include 'X-Amz-${name}'. `);
    return { missing: false, message: `${missing.join('')}Re-examine the query-string parameters.` };
  }
  const expiresText = param('X-Amz-Expires');
  return { algorithm: ALGORITHM, credential, signature, signedList, dateText, ...(expiresText === undefined ? {} : { expiresText }) };
}

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `YYYYMMDDTHHMMSSZ` only; `20260231T000000Z` and the like are refused. */
function parseDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  const date = m === null ? undefined : new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return date !== undefined && !Number.isNaN(date.getTime()) && iso(date) === text ? date : undefined;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** RFC 3986 encoding: everything but `A-Za-z0-9-_.~` is percent-encoded (upper-case hex). */
function escape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // malformed escapes are signed as sent; the signature will then not match
  }
}

/** `a=1&b` -> [['a', '1'], ['b', '']], decoded, in wire order. */
function parseQuery(raw: string): [string, string][] {
  return raw.split('&').filter((pair) => pair !== '').map((pair) => {
    const eq = pair.indexOf('=') < 0 ? pair.length : pair.indexOf('=');
    return [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
  });
}

function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .filter(([name]) => name.toLowerCase() !== 'x-amz-signature')
    .map(([name, value]) => [escape(name), escape(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Non-S3 rule: drop empty, `.` and `..` segments, then encode the (already encoded) path again. */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escape(normalized).replace(/%2F/g, '/');
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
