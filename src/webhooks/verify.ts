/**
 * Signed deliveries, as the Standard Webhooks specification defines them
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * the one implementation of the signature in Switchyard, used by delivery to sign
 * (src/delivery/http-target.ts) and exported as `switchyard/webhooks` for receivers to verify.
 * It depends on node:crypto only, so a receiver importing it loads nothing of the server.
 *
 *   secret            whsec_ + base64(key), the key 24 to 64 random bytes
 *   signed content    `${webhook-id}.${webhook-timestamp}.${body}`   (body: the exact bytes sent)
 *   signature         base64(HMAC-SHA256(key, signed content))
 *
 *   webhook-id: 0190b7e2-8d2c-7c4e-9f1a-3c5d6e7f8a9b                     (the event id)
 *   webhook-timestamp: 1764244800                                        (seconds since the epoch)
 *   webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,...   (one per secret)
 *
 * During a rotation a connection holds several secrets, newest first, and a request carries one
 * `v1,` signature per secret: a receiver that knows any one of them accepts it.
 *
 * Verifying: the three headers present; the timestamp an integer within `toleranceSeconds` (300)
 * of now, either way (an old request is a replay, a future one a clock to fix); then some `v1,`
 * signature equal, compared in constant time, to one computed with some secret the receiver
 * knows. Anything else throws WebhookVerificationError with a `code` saying what failed.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix of a signing secret. */
export const SECRET_PREFIX = 'whsec_';
/** The key sizes the specification recommends, in bytes. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;
/** How far a timestamp may be from now, by default: 5 minutes, the specification's example. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export const WEBHOOK_ID = 'webhook-id';
export const WEBHOOK_TIMESTAMP = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE = 'webhook-signature';

export type WebhookVerificationErrorCode =
  | 'invalid-secret'
  | 'missing-header'
  | 'invalid-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-too-new'
  | 'no-matching-signature';

/** Why a request does not verify. The message never holds a secret. */
export class WebhookVerificationError extends Error {
  readonly code: WebhookVerificationErrorCode;

  constructor(code: WebhookVerificationErrorCode, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.code = code;
  }
}

/** What a verified request says about itself. */
export interface VerifiedWebhook {
  /** webhook-id: Switchyard's event id, the same on every attempt (deduplicate on it). */
  readonly id: string;
  /** webhook-timestamp: when the attempt was signed, in seconds since the epoch. */
  readonly timestamp: number;
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, in seconds, either way. Default 300. */
  readonly toleranceSeconds?: number;
  /** The clock, in milliseconds since the epoch (Date.now's unit). Default Date.now. */
  readonly now?: () => number;
}

/** Request headers: Node's IncomingHttpHeaders (or any record; names compared case-insensitively) or fetch's Headers. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>> | Headers;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The key bytes of a signing secret: `whsec_` + base64 (standard alphabet, padded or not). A
 * secret without the prefix is read as the base64 alone, as the specification's libraries do.
 * Throws WebhookVerificationError('invalid-secret') when it is not base64 or its key is not
 * 24 to 64 bytes long.
 */
export function signingKey(secret: string): Buffer {
  if (typeof secret !== 'string') throw new WebhookVerificationError('invalid-secret', 'A signing secret must be a string');
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (b64.length === 0 || b64.length % 4 === 1 || !BASE64.test(b64)) {
    throw new WebhookVerificationError('invalid-secret', `A signing secret must be ${SECRET_PREFIX} followed by base64`);
  }
  const key = Buffer.from(b64, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new WebhookVerificationError('invalid-secret', `A signing secret's key must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, not ${key.length}`);
  }
  return key;
}

/** A new signing secret: `whsec_` + base64 of `bytes` (default 32) random bytes. */
export function generateSigningSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new RangeError(`a signing secret's key must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, not ${bytes}`);
  }
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

function signature(key: Buffer, id: string, timestamp: string, body: string | Uint8Array): Buffer {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8');
  if (typeof body === 'string') mac.update(body, 'utf8');
  else mac.update(body);
  return mac.digest();
}

/**
 * The `v1,<base64>` signature of a request: `id` is its webhook-id, `timestampSeconds` its
 * webhook-timestamp, `body` the exact body sent (a string is signed as its UTF-8 bytes).
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Uint8Array): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new RangeError(`the timestamp must be whole seconds, got ${timestampSeconds}`);
  return `v1,${signature(signingKey(secret), id, String(timestampSeconds), body).toString('base64')}`;
}

/**
 * The three Standard Webhooks headers of a request, names in lower case: webhook-id,
 * webhook-timestamp and webhook-signature holding one `v1,` signature per secret (the order of
 * `secrets`, newest first).
 */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string | Uint8Array): Record<string, string> {
  return {
    [WEBHOOK_ID]: id,
    [WEBHOOK_TIMESTAMP]: String(timestampSeconds),
    [WEBHOOK_SIGNATURE]: secrets.map((s) => signWebhook(s, id, timestampSeconds, body)).join(' '),
  };
}

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let value = record[name];
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  // A header sent more than once: its values joined as one (as fetch's Headers does).
  return Array.isArray(value) ? value.join(', ') : (value as string | undefined);
}

/**
 * Verify a signed request. `secrets`: the receiver's signing secret, or several (accepted if any
 * one of them signed it: keep the old one until the sender has moved to the new one). `headers`:
 * the request's headers. `body`: the raw body as received, before any JSON parsing (a parsed and
 * re-serialised body may differ by a byte and will not verify); a string is taken as UTF-8.
 * Returns the request's id and timestamp; throws WebhookVerificationError otherwise.
 */
export function verifyWebhook(
  secrets: string | readonly string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyOptions = {},
): VerifiedWebhook {
  const keys = (typeof secrets === 'string' ? [secrets] : [...secrets]).map(signingKey);
  if (keys.length === 0) throw new WebhookVerificationError('invalid-secret', 'No signing secret was given');
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!(tolerance >= 0)) throw new RangeError(`toleranceSeconds must be >= 0, got ${tolerance}`);

  const id = headerOf(headers, WEBHOOK_ID);
  const stamp = headerOf(headers, WEBHOOK_TIMESTAMP);
  const signatures = headerOf(headers, WEBHOOK_SIGNATURE);
  const missing = [[WEBHOOK_ID, id], [WEBHOOK_TIMESTAMP, stamp], [WEBHOOK_SIGNATURE, signatures]].filter(([, v]) => v === undefined || v === '').map(([n]) => n);
  if (missing.length > 0 || id === undefined || stamp === undefined || signatures === undefined) {
    throw new WebhookVerificationError('missing-header', `Missing required header(s): ${missing.join(', ')}`);
  }

  if (!/^\d{1,15}$/.test(stamp)) throw new WebhookVerificationError('invalid-timestamp', `The ${WEBHOOK_TIMESTAMP} header is not whole seconds since the epoch`);
  const timestamp = Number(stamp);
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  if (timestamp < now - tolerance) {
    throw new WebhookVerificationError('timestamp-too-old', `The ${WEBHOOK_TIMESTAMP} is ${now - timestamp} s old, more than the ${tolerance} s allowed`);
  }
  if (timestamp > now + tolerance) {
    throw new WebhookVerificationError('timestamp-too-new', `The ${WEBHOOK_TIMESTAMP} is ${timestamp - now} s in the future, more than the ${tolerance} s allowed`);
  }

  // Sign what was received (the header's text, not the number: "0123" must not pass as "123").
  const given = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const key of keys) {
    const expected = signature(key, id, stamp, body);
    for (const candidate of given) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { id, timestamp };
    }
  }
  throw new WebhookVerificationError('no-matching-signature', 'No signature in the webhook-signature header matches the body with the signing secret(s) given');
}
