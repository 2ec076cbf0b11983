/**
 * API destinations: CreateApiDestination, DescribeApiDestination, ListApiDestinations,
 * UpdateApiDestination, DeleteApiDestination. An API destination names an HTTPS endpoint and the
 * connection that authorizes requests to it; its state is ACTIVE while that connection is
 * AUTHORIZED (src/domain/connections.ts). Delivery to it is the dispatcher's.
 */
import { randomUUID } from 'node:crypto';
import { apiDestinationArn, apiDestinationState, parseConnectionArn } from '../domain/connections.js';
import type { ApiDestination, Connection } from '../domain/connections.js';
import { checkUrl, ssrfPolicy } from '../delivery/ssrf.js';
import { SwitchyardError } from '../domain/errors.js';
import type { Scope } from '../domain/model.js';
import type { Handler } from '../http/server.js';
import { MESSAGES as CONNECTION_MESSAGES } from './connections.js';
import { decodeToken, definedOnly, epochSeconds, optNumber, optString, page, reqString } from './input.js';
import type { Services } from './services.js';

/** AWS's quota: API destinations per account per region. */
export const MAX_API_DESTINATIONS = 3000;
/** InvocationRateLimitPerSecond when none is given (AWS's default). */
export const DEFAULT_RATE_LIMIT = 300;

export const MESSAGES = {
  notFound: (name: string) => `Failed to describe the api-destination(s). An api-destination '${name}' does not exist.`,
  exists: (name: string) => `An api-destination '${name}' already exists.`,
  /** Switchyard's own (AWS has no such check): SSRF protection, docs/ssrf.md. */
  endpointRefused: (endpoint: string, why: string) => `Invocation endpoint ${endpoint} is not allowed: ${why}`,
};

/** The connection an ARN names, which must be the caller's and exist (with that very ARN). */
async function connectionFor(s: Services, scope: Scope, arn: string): Promise<Connection> {
  const ref = parseConnectionArn(arn);
  const name = ref?.name ?? arn;
  const connection = ref === null || ref.account !== scope.account || ref.region !== scope.region ? undefined : await s.store.getConnection(scope, name);
  if (connection === undefined || connection.arn !== arn) {
    throw new SwitchyardError('ResourceNotFoundException', CONNECTION_MESSAGES.connectionNotFound(name));
  }
  return connection;
}

async function requireDestination(s: Services, scope: Scope, name: string): Promise<ApiDestination> {
  const destination = await s.store.getApiDestination(scope, name);
  if (destination === undefined) throw new SwitchyardError('ResourceNotFoundException', MESSAGES.notFound(name));
  return destination;
}

async function stateOf(s: Services, d: ApiDestination): Promise<string> {
  return apiDestinationState(await s.store.getConnectionByArn(d.connectionArn));
}

async function listed(s: Services, d: ApiDestination): Promise<Record<string, unknown>> {
  return {
    ApiDestinationArn: d.arn,
    Name: d.name,
    ApiDestinationState: await stateOf(s, d),
    ConnectionArn: d.connectionArn,
    InvocationEndpoint: d.invocationEndpoint,
    HttpMethod: d.httpMethod,
    InvocationRateLimitPerSecond: d.invocationRateLimitPerSecond,
    CreationTime: epochSeconds(d.createdAt),
    LastModifiedTime: epochSeconds(d.modifiedAt),
  };
}

async function written(s: Services, d: ApiDestination): Promise<Record<string, unknown>> {
  return {
    ApiDestinationArn: d.arn,
    ApiDestinationState: await stateOf(s, d),
    CreationTime: epochSeconds(d.createdAt),
    LastModifiedTime: epochSeconds(d.modifiedAt),
  };
}

/**
 * Refuse an endpoint SSRF protection would refuse at every send (src/delivery/ssrf.ts), at once:
 * when the server is not bound to loopback, a private, loopback, link-local, metadata or CGNAT
 * address (literal, or what the name resolves to now) is a ValidationException. A name that does
 * not resolve yet is accepted; sends check again.
 */
async function checkEndpoint(s: Services, endpoint: string): Promise<void> {
  const policy = ssrfPolicy(s.options.host);
  if (!policy.enabled) return;
  const verdict = await checkUrl(endpoint.replaceAll('*', 'x'), policy);
  if (!verdict.ok && verdict.reason !== 'dns-failure') {
    throw new SwitchyardError('ValidationException', MESSAGES.endpointRefused(endpoint, verdict.message));
  }
}

export function apiDestinationOperations(s: Services): Record<string, Handler> {
  return {
    async CreateApiDestination(ctx, input) {
      const scope = ctx.caller;
      const name = reqString(input, 'Name');
      if ((await s.store.getApiDestination(scope, name)) !== undefined) throw new SwitchyardError('ResourceAlreadyExistsException', MESSAGES.exists(name));
      const connection = await connectionFor(s, scope, reqString(input, 'ConnectionArn'));
      await checkEndpoint(s, reqString(input, 'InvocationEndpoint'));
      if ((await s.store.listApiDestinations(scope, { limit: MAX_API_DESTINATIONS })).length >= MAX_API_DESTINATIONS) {
        throw new SwitchyardError('LimitExceededException', CONNECTION_MESSAGES.limitExceeded);
      }
      const now = s.now();
      const description = optString(input, 'Description');
      const destination: ApiDestination = {
        account: scope.account,
        region: scope.region,
        name,
        arn: apiDestinationArn(scope, name, randomUUID()),
        ...(description === undefined ? {} : { description }),
        connectionArn: connection.arn,
        invocationEndpoint: reqString(input, 'InvocationEndpoint'),
        httpMethod: reqString(input, 'HttpMethod'),
        invocationRateLimitPerSecond: optNumber(input, 'InvocationRateLimitPerSecond') ?? DEFAULT_RATE_LIMIT,
        createdAt: now,
        modifiedAt: now,
      };
      if (!(await s.store.insertApiDestination(destination))) throw new SwitchyardError('ResourceAlreadyExistsException', MESSAGES.exists(name));
      return written(s, destination);
    },

    async DescribeApiDestination(ctx, input) {
      const d = await requireDestination(s, ctx.caller, reqString(input, 'Name'));
      const { ApiDestinationArn, Name, ...rest } = await listed(s, d);
      return definedOnly({ ApiDestinationArn, Name, Description: d.description, ...rest });
    },

    async ListApiDestinations(ctx, input) {
      const limit = optNumber(input, 'Limit') ?? 100;
      const after = decodeToken(optString(input, 'NextToken'));
      const prefix = optString(input, 'NamePrefix');
      const connectionArn = optString(input, 'ConnectionArn');
      const found = await s.store.listApiDestinations(ctx.caller, {
        limit: limit + 1,
        ...(after === undefined ? {} : { after }),
        ...(prefix === undefined ? {} : { namePrefix: prefix }),
        ...(connectionArn === undefined ? {} : { connectionArn }),
      });
      const { items, next } = page(found, limit, (d) => d.name);
      const listedItems = [];
      for (const d of items) listedItems.push(await listed(s, d));
      return { ApiDestinations: listedItems, ...(next === undefined ? {} : { NextToken: next }) };
    },

    async UpdateApiDestination(ctx, input) {
      const existing = await requireDestination(s, ctx.caller, reqString(input, 'Name'));
      const arn = optString(input, 'ConnectionArn');
      const connection = arn === undefined ? undefined : await connectionFor(s, ctx.caller, arn);
      const description = optString(input, 'Description');
      const endpoint = optString(input, 'InvocationEndpoint');
      if (endpoint !== undefined) await checkEndpoint(s, endpoint);
      const method = optString(input, 'HttpMethod');
      const rate = optNumber(input, 'InvocationRateLimitPerSecond');
      const updated: ApiDestination = {
        ...existing,
        ...(description === undefined ? {} : { description }),
        ...(connection === undefined ? {} : { connectionArn: connection.arn }),
        ...(endpoint === undefined ? {} : { invocationEndpoint: endpoint }),
        ...(method === undefined ? {} : { httpMethod: method }),
        ...(rate === undefined ? {} : { invocationRateLimitPerSecond: rate }),
        modifiedAt: s.now(),
      };
      await s.store.updateApiDestination(updated);
      return written(s, updated);
    },

    async DeleteApiDestination(ctx, input) {
      const d = await requireDestination(s, ctx.caller, reqString(input, 'Name'));
      await s.store.deleteApiDestination(ctx.caller, d.name);
      return {};
    },
  };
}
