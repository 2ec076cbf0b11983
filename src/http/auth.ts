/**
 * Who is calling: the authentication rule of ../shared/SPEC.md.
 *
 * - Credentials configured: every request must carry a valid SigV4 signature (sigv4.ts) by a
 *   configured access key; it acts in that key's account.
 * - No credentials, bound to loopback (local development) or started with --insecure-no-auth:
 *   any well-formed signature, or none, is accepted, and the request acts in the default account.
 *
 * The region is the one the signature's credential scope names (the SDK signs with the client's
 * region), else the default region.
 */
import type { IncomingMessage } from 'node:http';
import { SwitchyardError } from '../domain/errors.js';
import type { ErrorCode } from '../domain/errors.js';
import type { Caller } from './server.js';
import { refusalCode, verifySigV4 } from './sigv4.js';
import type { Credential } from './sigv4.js';

export interface AuthPolicy {
  /** Access key -> secret and account; empty when no credentials are configured. */
  readonly credentials: ReadonlyMap<string, Credential>;
  readonly defaultAccount: string;
  readonly defaultRegion: string;
  readonly now: () => Date;
}

const SCOPE = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

export function authenticate(req: IncomingMessage, body: Buffer, service: string, policy: AuthPolicy): Caller {
  const authorization = req.headers.authorization;
  const scope = authorization === undefined ? null : SCOPE.exec(authorization);
  const region = scope?.[3] ?? policy.defaultRegion;
  if (policy.credentials.size === 0) {
    if (authorization !== undefined && scope === null) {
      throw new SwitchyardError(
        refusalCode(service, 'incomplete') as ErrorCode,
        `Authorization header requires 'Credential' parameter. Authorization=${authorization}`,
      );
    }
    return { account: policy.defaultAccount, region };
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const result = verifySigV4(
    {
      method: req.method ?? 'POST',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: req.headersDistinct as Record<string, string[] | undefined>,
      body,
    },
    { lookup: (id) => policy.credentials.get(id), service, now: policy.now() },
  );
  if (!result.ok) throw new SwitchyardError(result.code as ErrorCode, result.message);
  return { account: result.account, region, accessKeyId: result.accessKeyId };
}
