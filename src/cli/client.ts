/**
 * A small client for the CLI commands that talk to a running server: one AWS JSON 1.1 call
 * (`X-Amz-Target: <prefix>.<Operation>`), signed with SigV4 (service `events`) when credentials
 * are in the usual AWS environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN; region from AWS_REGION or AWS_DEFAULT_REGION, else us-east-1), unsigned
 * otherwise: a server bound to loopback without credentials accepts that, in its default account
 * and region. The signature is computed here with node:crypto, so the CLI needs no AWS SDK.
 */
import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4010';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** An error answer of the server, in AWS's shape. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/**
 * For a command that talks to a server: report `e` on stderr as `<command>: ...` and give the
 * exit code 1 when it is the server's refusal or an unreachable server; undefined for anything
 * else (a bug, to be rethrown).
 */
export function failedCall(command: string, e: unknown): number | undefined {
  if (e instanceof ApiError) {
    process.stderr.write(`${command}: ${e.code}: ${e.message}\n`);
    return 1;
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    process.stderr.write(`${command}: cannot reach the server: ${(e as Error).message}\n`);
    return 1;
  }
  return undefined;
}

export interface CallOptions {
  readonly endpoint: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The signature's time (tests). */
  readonly now?: Date;
}

/** Credentials and region from the environment; credentials undefined when not both keys are set. */
export function fromEnv(env: NodeJS.ProcessEnv): { credentials?: Credentials; region: string } {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return { region };
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { region, credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * SigV4 headers for a POST of `body` to `path` on `host`: the headers given (names lower case)
 * plus x-amz-date, x-amz-security-token when there is one, and authorization.
 */
export function signedHeaders(
  host: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  credentials: Credentials,
  region: string,
  service: string,
  now: Date,
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const all: Record<string, string> = {
    ...headers,
    host,
    'x-amz-date': amzDate,
    ...(credentials.sessionToken === undefined ? {} : { 'x-amz-security-token': credentials.sessionToken }),
  };
  const names = Object.keys(all).sort();
  const canonical = [
    'POST',
    path,
    '',
    ...names.map((n) => `${n}:${(all[n] as string).trim().replace(/\s+/g, ' ')}`),
    '',
    names.join(';'),
    sha256(body),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...all,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** Call `<target>` (e.g. 'Switchyard.ListDroppedDeliveries') with `input`; its output, or an ApiError. */
export async function call(target: string, input: Record<string, unknown>, opts: CallOptions): Promise<Record<string, unknown>> {
  const url = new URL(opts.endpoint);
  const body = JSON.stringify(input);
  const base = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target };
  const { credentials, region } = fromEnv(opts.env ?? process.env);
  const path = url.pathname === '' ? '/' : url.pathname;
  const headers =
    credentials === undefined
      ? base
      : signedHeaders(url.host, path, base, body, credentials, region, 'events', opts.now ?? new Date());
  const { status, text } = await post(url, path, headers, body);
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    throw new ApiError('InvalidResponse', `the server answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`, status);
  }
  if (status !== 200) {
    const type = typeof parsed.__type === 'string' ? parsed.__type : `HTTP${status}`;
    const code = type.slice(type.lastIndexOf('#') + 1);
    throw new ApiError(code, typeof parsed.message === 'string' ? parsed.message : '', status);
  }
  return parsed;
}

function post(url: URL, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: 'POST',
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        path,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
