/**
 * Connections: CreateConnection, DescribeConnection, ListConnections, UpdateConnection,
 * DeleteConnection, DeauthorizeConnection. Credentials go through the vault
 * (src/connections/vault.ts): sealed before the store sees them, and never in a response, where
 * AuthParameters is the public view AWS gives (no Password, ApiKeyValue, ClientSecret or value
 * marked IsValueSecret). States: src/domain/connections.ts. Messages: docs/notes/aws-eventbridge-api.md §10.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connectionArn, connectionSecretArn } from '../domain/connections.js';
import type { AuthorizationType, AuthParameters, Connection, ConnectionState } from '../domain/connections.js';
import { SwitchyardError } from '../domain/errors.js';
import type { Scope } from '../domain/model.js';
import type { Handler, RequestContext } from '../http/server.js';
import { publicAuthParameters } from '../connections/vault.js';
import type { Input } from './input.js';
import { decodeToken, definedOnly, epochSeconds, optNumber, optObject, optString, page, reqString } from './input.js';
import { EVENTS_MODEL } from './models/events.generated.js';
import { pruneToShape } from './prune.js';
import type { Services } from './services.js';

/** AWS's quota: connections per account per region. */
export const MAX_CONNECTIONS = 3000;

export const MESSAGES = {
  connectionNotFound: (name: string) => `Failed to describe the connection(s). Connection '${name}' does not exist.`,
  connectionExists: (name: string) => `Connection ${name} already exists.`,
  limitExceeded: 'The requested resource exceeds the maximum number allowed.',
  missingAuth: (member: string) => `Parameter(s) ${member} must be specified.`,
  inUse: (name: string) => `Connection '${name}' is in use by one or more API destinations.`,
};

/** The AuthParameters member each authorization type needs, with the members it must hold. */
const REQUIRED: Record<AuthorizationType, { member: string; fields: readonly string[] }> = {
  BASIC: { member: 'BasicAuthParameters', fields: ['Username', 'Password'] },
  API_KEY: { member: 'ApiKeyAuthParameters', fields: ['ApiKeyName', 'ApiKeyValue'] },
  OAUTH_CLIENT_CREDENTIALS: { member: 'OAuthParameters', fields: ['AuthorizationEndpoint', 'HttpMethod', 'ClientParameters'] },
};
const AUTH_MEMBERS = ['BasicAuthParameters', 'ApiKeyAuthParameters', 'OAuthParameters'] as const;

export async function requireConnection(s: Services, scope: Scope, name: string): Promise<Connection> {
  const connection = await s.store.getConnection(scope, name);
  if (connection === undefined) throw new SwitchyardError('ResourceNotFoundException', MESSAGES.connectionNotFound(name));
  return connection;
}

/** Secrets Manager ends a secret's ARN with 6 random letters and digits. */
function secretSuffix(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(6)].map((b) => chars[b % chars.length]).join('');
}

function initialState(type: AuthorizationType): ConnectionState {
  // An OAuth connection is authorized once a token is obtained from its endpoint (by delivery).
  return type === 'OAUTH_CLIENT_CREDENTIALS' ? 'AUTHORIZING' : 'AUTHORIZED';
}

/**
 * The full AuthParameters an authorization type uses, checked: the type's own member with its
 * credentials, the invocation parameters, nothing of another type.
 */
function forType(type: AuthorizationType, full: Record<string, unknown>): AuthParameters {
  const { member, fields } = REQUIRED[type];
  const own = full[member] as Record<string, unknown> | undefined;
  if (own === undefined) throw new SwitchyardError('ValidationException', MESSAGES.missingAuth(member));
  for (const f of fields) if (own[f] === undefined) throw new SwitchyardError('ValidationException', MESSAGES.missingAuth(`${member}.${f}`));
  if (type === 'OAUTH_CLIENT_CREDENTIALS') {
    const client = own.ClientParameters as Record<string, unknown>;
    for (const f of ['ClientID', 'ClientSecret']) {
      if (client[f] === undefined) throw new SwitchyardError('ValidationException', MESSAGES.missingAuth(`${member}.ClientParameters.${f}`));
    }
  }
  const out: Record<string, unknown> = { [member]: own };
  for (const k of ['InvocationHttpParameters', 'ConnectivityParameters']) if (full[k] !== undefined) out[k] = full[k];
  return out;
}

/** UpdateConnection's AuthParameters over the stored ones: members given replace, credentials merge. */
function merge(base: AuthParameters, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const member of AUTH_MEMBERS) {
    const g = given[member] as Record<string, unknown> | undefined;
    if (g === undefined) continue;
    const b = (base[member] ?? {}) as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...b, ...g };
    if (member === 'OAuthParameters' && g.ClientParameters !== undefined) {
      merged.ClientParameters = { ...((b.ClientParameters ?? {}) as object), ...(g.ClientParameters as object) };
    }
    out[member] = merged;
  }
  for (const k of ['InvocationHttpParameters', 'ConnectivityParameters']) if (given[k] !== undefined) out[k] = given[k];
  return out;
}

function times(c: Connection): Record<string, unknown> {
  return {
    CreationTime: epochSeconds(c.createdAt),
    LastModifiedTime: epochSeconds(c.modifiedAt),
    LastAuthorizedTime: c.lastAuthorizedAt === undefined ? undefined : epochSeconds(c.lastAuthorizedAt),
  };
}

function listed(c: Connection): Record<string, unknown> {
  return definedOnly({
    ConnectionArn: c.arn,
    Name: c.name,
    ConnectionState: c.state,
    StateReason: c.stateReason,
    AuthorizationType: c.authorizationType,
    ...times(c),
  });
}

function described(c: Connection): Record<string, unknown> {
  return definedOnly({
    ConnectionArn: c.arn,
    Name: c.name,
    Description: c.description,
    ConnectionState: c.state,
    StateReason: c.stateReason,
    AuthorizationType: c.authorizationType,
    SecretArn: c.sealedSecrets === undefined ? undefined : c.secretArn,
    AuthParameters: c.authParameters,
    ...times(c),
  });
}

export function connectionOperations(s: Services): Record<string, Handler> {
  const authInput = (input: Input, shape: string): Record<string, unknown> =>
    (pruneToShape(EVENTS_MODEL, shape, optObject(input, 'AuthParameters') ?? {}) ?? {}) as Record<string, unknown>;

  return {
    async CreateConnection(ctx: RequestContext, input) {
      const scope = ctx.caller;
      const name = reqString(input, 'Name');
      const type = reqString(input, 'AuthorizationType') as AuthorizationType;
      const full = forType(type, authInput(input, 'CreateConnectionAuthRequestParameters'));
      if ((await s.store.getConnection(scope, name)) !== undefined) {
        throw new SwitchyardError('ResourceAlreadyExistsException', MESSAGES.connectionExists(name));
      }
      if ((await s.store.listConnections(scope, { limit: MAX_CONNECTIONS })).length >= MAX_CONNECTIONS) {
        throw new SwitchyardError('LimitExceededException', MESSAGES.limitExceeded);
      }
      const uuid = randomUUID();
      const arn = connectionArn(scope, name, uuid);
      const now = s.now();
      const description = optString(input, 'Description');
      const connection: Connection = {
        account: scope.account,
        region: scope.region,
        name,
        arn,
        secretArn: connectionSecretArn(scope, name, randomUUID(), secretSuffix()),
        ...(description === undefined ? {} : { description }),
        authorizationType: type,
        state: initialState(type),
        authParameters: publicAuthParameters(full),
        createdAt: now,
        modifiedAt: now,
        lastAuthorizedAt: now,
        sealedSecrets: s.vault.seal(arn, full),
      };
      if (!(await s.store.insertConnection(connection))) {
        throw new SwitchyardError('ResourceAlreadyExistsException', MESSAGES.connectionExists(name));
      }
      return {
        ConnectionArn: arn,
        ConnectionState: connection.state,
        CreationTime: epochSeconds(now),
        LastModifiedTime: epochSeconds(now),
      };
    },

    async DescribeConnection(ctx, input) {
      return described(await requireConnection(s, ctx.caller, reqString(input, 'Name')));
    },

    async ListConnections(ctx, input) {
      const limit = optNumber(input, 'Limit') ?? 100;
      const after = decodeToken(optString(input, 'NextToken'));
      const prefix = optString(input, 'NamePrefix');
      const state = optString(input, 'ConnectionState');
      const found = await s.store.listConnections(ctx.caller, {
        limit: limit + 1,
        ...(after === undefined ? {} : { after }),
        ...(prefix === undefined ? {} : { namePrefix: prefix }),
        ...(state === undefined ? {} : { state }),
      });
      const { items, next } = page(found, limit, (c) => c.name);
      return { Connections: items.map(listed), ...(next === undefined ? {} : { NextToken: next }) };
    },

    async UpdateConnection(ctx, input) {
      const existing = await requireConnection(s, ctx.caller, reqString(input, 'Name'));
      const type = (optString(input, 'AuthorizationType') as AuthorizationType | undefined) ?? existing.authorizationType;
      const given = optObject(input, 'AuthParameters') === undefined ? undefined : authInput(input, 'UpdateConnectionAuthRequestParameters');
      const description = optString(input, 'Description');
      const now = s.now();
      let updated: Connection = { ...existing, ...(description === undefined ? {} : { description }), modifiedAt: now };
      if (given !== undefined || type !== existing.authorizationType) {
        // New credentials: merged over the stored ones (of the same type), checked, sealed again.
        const base = type === existing.authorizationType ? s.vault.unseal(existing) : {};
        const full = forType(type, merge(base, given ?? {}));
        const { stateReason: _reason, ...rest } = updated;
        updated = {
          ...rest,
          authorizationType: type,
          state: initialState(type),
          authParameters: publicAuthParameters(full),
          lastAuthorizedAt: now,
          // The signing secrets (Switchyard's, docs/signed-deliveries.md) stay with new credentials.
          sealedSecrets: s.vault.seal(existing.arn, full, s.vault.signingSecrets(existing)),
        };
      }
      await s.store.updateConnection(updated);
      s.vault.forget(existing.arn);
      return definedOnly({ ConnectionArn: updated.arn, ConnectionState: updated.state, ...times(updated) });
    },

    async DeleteConnection(ctx, input) {
      const connection = await requireConnection(s, ctx.caller, reqString(input, 'Name'));
      if ((await s.store.listApiDestinations(ctx.caller, { limit: 1, connectionArn: connection.arn })).length > 0) {
        throw new SwitchyardError('ValidationException', MESSAGES.inUse(connection.name));
      }
      await s.store.deleteConnection(ctx.caller, connection.name);
      s.vault.forget(connection.arn);
      return definedOnly({ ConnectionArn: connection.arn, ConnectionState: 'DELETING', ...times(connection) });
    },

    async DeauthorizeConnection(ctx, input) {
      const connection = await requireConnection(s, ctx.caller, reqString(input, 'Name'));
      const { sealedSecrets: _dropped, stateReason: _reason, ...rest } = connection;
      const updated: Connection = { ...rest, state: 'DEAUTHORIZED', modifiedAt: s.now() };
      await s.store.updateConnection(updated);
      s.vault.forget(connection.arn);
      return definedOnly({ ConnectionArn: updated.arn, ConnectionState: 'DEAUTHORIZING', ...times(updated) });
    },
  };
}
