/**
 * Connections and API destinations, in domain terms (EventBridge's own shapes where AWS has one).
 *
 *   arn:aws:events:us-east-1:123456789012:connection/orders-api/6f1c...-uuid
 *   arn:aws:events:us-east-1:123456789012:api-destination/orders-webhook/9a2e...-uuid
 *
 * A connection's credentials (Password, ApiKeyValue, ClientSecret, and the values of parameters
 * marked IsValueSecret) never appear in these objects in clear: `authParameters` is the view AWS's
 * DescribeConnection gives (secrets left out), and `sealedSecrets` is the full AuthParameters
 * encrypted by src/connections/secret-box.ts, opaque to everyone but src/connections/vault.ts.
 *
 * States (AWS's ConnectionState):
 *
 *   CreateConnection BASIC / API_KEY ----------> AUTHORIZED
 *   CreateConnection OAUTH_CLIENT_CREDENTIALS --> AUTHORIZING --(token obtained)--> AUTHORIZED
 *                                                             --(token refused)---> DEAUTHORIZED
 *   any --DeauthorizeConnection (secrets dropped)--> DEAUTHORIZED
 *   any --UpdateConnection with AuthParameters--> AUTHORIZED (AUTHORIZING for OAuth)
 *
 * An API destination is ACTIVE while its connection is AUTHORIZED, INACTIVE otherwise; the state
 * is derived when read, never stored.
 */
import type { Scope } from './model.js';

export type AuthorizationType = 'BASIC' | 'API_KEY' | 'OAUTH_CLIENT_CREDENTIALS';
export type ConnectionState = 'AUTHORIZED' | 'AUTHORIZING' | 'DEAUTHORIZED' | 'DEAUTHORIZING' | 'DELETING' | 'CREATING' | 'UPDATING';
export type ApiDestinationState = 'ACTIVE' | 'INACTIVE';

/** AWS's AuthParameters shape (Create/UpdateConnection, DescribeConnection), as JSON. */
export type AuthParameters = Readonly<Record<string, unknown>>;

export interface Connection extends Scope {
  readonly name: string;
  readonly arn: string;
  /** The ARN AWS would give the Secrets Manager secret holding the credentials (informational). */
  readonly secretArn: string;
  readonly description?: string;
  readonly authorizationType: AuthorizationType;
  readonly state: ConnectionState;
  readonly stateReason?: string;
  /** What DescribeConnection shows: AuthParameters without any secret. */
  readonly authParameters: AuthParameters;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly lastAuthorizedAt?: number;
  /** The full AuthParameters, sealed (secret-box.ts); absent once deauthorized. */
  readonly sealedSecrets?: string;
}

export interface ApiDestination extends Scope {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly connectionArn: string;
  readonly invocationEndpoint: string;
  readonly httpMethod: string;
  readonly invocationRateLimitPerSecond: number;
  readonly createdAt: number;
  readonly modifiedAt: number;
}

export function connectionArn(scope: Scope, name: string, uuid: string): string {
  return `arn:aws:events:${scope.region}:${scope.account}:connection/${name}/${uuid}`;
}

export function apiDestinationArn(scope: Scope, name: string, uuid: string): string {
  return `arn:aws:events:${scope.region}:${scope.account}:api-destination/${name}/${uuid}`;
}

/** AWS keeps a connection's credentials in a Secrets Manager secret named `events!connection/<name>/<uuid>`. */
export function connectionSecretArn(scope: Scope, name: string, uuid: string, suffix: string): string {
  return `arn:aws:secretsmanager:${scope.region}:${scope.account}:secret:events!connection/${name}/${uuid}-${suffix}`;
}

/** The parts of a connection ARN, or null when it is not one. */
export function parseConnectionArn(arn: string): (Scope & { name: string }) | null {
  const m = /^arn:aws[a-z-]*:events:([a-z0-9-]*):(\d{12})?:connection\/([.\-_A-Za-z0-9]+)\/[-A-Za-z0-9]+$/.exec(arn);
  if (m === null) return null;
  return { region: m[1] as string, account: m[2] ?? '', name: m[3] as string };
}

/** An API destination is usable while its connection is authorized. */
export function apiDestinationState(connection: Connection | undefined): ApiDestinationState {
  return connection?.state === 'AUTHORIZED' ? 'ACTIVE' : 'INACTIVE';
}
