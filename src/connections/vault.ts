/**
 * The one place connection secrets are handled in clear. The API seals a connection's full
 * AuthParameters here before the store sees them and gets back the public view AWS's
 * DescribeConnection shows; delivery (the dispatcher's api-destination target) asks
 * `connectionSecrets(arn)` for the decrypted parameters when it builds a request.
 *
 * Decrypted parameters are cached in memory by connection ARN and modification time, and the
 * object handed out redacts itself when serialised or inspected, so a careless log line prints
 * `[ConnectionSecrets <arn>]`, never a credential.
 *
 * The sealed value also holds the connection's signing secrets (docs/signed-deliveries.md), a
 * Switchyard addition AWS's AuthParameters has no member for: the sealed JSON is AuthParameters
 * plus `SwitchyardSigningSecrets` (whsec_ secrets, newest first) when there are any. It is split
 * here and nowhere else: `unseal` gives AuthParameters alone, `signingSecrets` the secrets, and
 * ConnectionSecrets both. DeauthorizeConnection drops them with the credentials (the sealed value
 * goes); UpdateConnection keeps them (it passes them to `seal`).
 */
import { inspect } from 'node:util';
import type { AuthParameters, Connection, ConnectionState } from '../domain/connections.js';
import type { Store } from '../store/port.js';
import type { SecretBox } from './secret-box.js';

/** An HTTP parameter of a connection (HeaderParameters, QueryStringParameters, BodyParameters). */
export interface HttpParameter {
  readonly Key?: string;
  readonly Value?: string;
  readonly IsValueSecret?: boolean;
}

export interface HttpParameters {
  readonly HeaderParameters?: readonly HttpParameter[];
  readonly QueryStringParameters?: readonly HttpParameter[];
  readonly BodyParameters?: readonly HttpParameter[];
}

/** What delivery needs to authorize a request through a connection, secrets included. */
export class ConnectionSecrets {
  readonly connectionArn: string;
  readonly authorizationType: Connection['authorizationType'];
  readonly state: ConnectionState;
  /** AWS's AuthParameters shape, every value in clear. */
  readonly authParameters: {
    readonly BasicAuthParameters?: { readonly Username: string; readonly Password: string };
    readonly ApiKeyAuthParameters?: { readonly ApiKeyName: string; readonly ApiKeyValue: string };
    readonly OAuthParameters?: {
      readonly AuthorizationEndpoint: string;
      readonly HttpMethod: string;
      readonly ClientParameters: { readonly ClientID: string; readonly ClientSecret: string };
      readonly OAuthHttpParameters?: HttpParameters;
    };
    readonly InvocationHttpParameters?: HttpParameters;
  };

  /**
   * The connection's signing secrets (`whsec_` + base64), newest first; empty when requests are
   * not signed. Each makes one `v1,` signature in webhook-signature (src/webhooks/verify.ts).
   */
  readonly signingSecrets: readonly string[];

  constructor(connection: Connection, authParameters: ConnectionSecrets['authParameters'], signingSecrets: readonly string[] = []) {
    this.connectionArn = connection.arn;
    this.authorizationType = connection.authorizationType;
    this.state = connection.state;
    this.authParameters = authParameters;
    this.signingSecrets = signingSecrets;
  }

  toJSON(): string {
    return `[ConnectionSecrets ${this.connectionArn}]`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** The member of the sealed JSON that holds the signing secrets (never one of AWS's AuthParameters). */
const SIGNING_MEMBER = 'SwitchyardSigningSecrets';

const HTTP_PARAMETER_LISTS = ['HeaderParameters', 'QueryStringParameters', 'BodyParameters'] as const;

/** HTTP parameters without the values marked secret (the Key and IsValueSecret stay). */
function publicHttpParameters(given: unknown): HttpParameters {
  const out: Record<string, HttpParameter[]> = {};
  const params = (given ?? {}) as Record<string, unknown>;
  for (const list of HTTP_PARAMETER_LISTS) {
    const items = params[list];
    if (!Array.isArray(items)) continue;
    out[list] = (items as HttpParameter[]).map((p) => {
      if (p.IsValueSecret !== true) return p;
      const { Value: _secret, ...rest } = p;
      return rest;
    });
  }
  return out;
}

/**
 * The view of AuthParameters that DescribeConnection gives: Username, ApiKeyName, ClientID,
 * AuthorizationEndpoint, HttpMethod and parameters, but no Password, ApiKeyValue, ClientSecret or
 * value marked IsValueSecret.
 */
export function publicAuthParameters(full: AuthParameters): AuthParameters {
  const out: Record<string, unknown> = {};
  const basic = full.BasicAuthParameters as Record<string, unknown> | undefined;
  if (basic !== undefined) out.BasicAuthParameters = definedOnly({ Username: basic.Username });
  const apiKey = full.ApiKeyAuthParameters as Record<string, unknown> | undefined;
  if (apiKey !== undefined) out.ApiKeyAuthParameters = definedOnly({ ApiKeyName: apiKey.ApiKeyName });
  const oauth = full.OAuthParameters as Record<string, unknown> | undefined;
  if (oauth !== undefined) {
    const client = (oauth.ClientParameters ?? {}) as Record<string, unknown>;
    out.OAuthParameters = definedOnly({
      ClientParameters: definedOnly({ ClientID: client.ClientID }),
      AuthorizationEndpoint: oauth.AuthorizationEndpoint,
      HttpMethod: oauth.HttpMethod,
      OAuthHttpParameters: oauth.OAuthHttpParameters === undefined ? undefined : publicHttpParameters(oauth.OAuthHttpParameters),
    });
  }
  if (full.InvocationHttpParameters !== undefined) out.InvocationHttpParameters = publicHttpParameters(full.InvocationHttpParameters);
  if (full.ConnectivityParameters !== undefined) out.ConnectivityParameters = full.ConnectivityParameters;
  return out;
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export class ConnectionVault {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #cache = new Map<string, { modifiedAt: number; secrets: ConnectionSecrets | undefined }>();

  constructor(store: Store, box: SecretBox) {
    this.#store = store;
    this.#box = box;
  }

  /**
   * Seal a connection's full AuthParameters, and its signing secrets when it has any, bound to
   * its ARN. UpdateConnection passes `signingSecrets(existing)`, so new credentials keep them.
   */
  seal(connectionArn: string, full: AuthParameters, signingSecrets: readonly string[] = []): string {
    const { [SIGNING_MEMBER]: _old, ...auth } = full;
    const sealed = signingSecrets.length === 0 ? auth : { ...auth, [SIGNING_MEMBER]: [...signingSecrets] };
    return this.#box.seal(JSON.stringify(sealed), connectionArn);
  }

  /** The full AuthParameters of a connection (for UpdateConnection's merge); {} when deauthorized. */
  unseal(connection: Connection): AuthParameters {
    return this.#open(connection).auth;
  }

  /** The connection's signing secrets, newest first; [] when it has none or is deauthorized. */
  signingSecrets(connection: Connection): string[] {
    return this.#open(connection).signing;
  }

  /**
   * The connection's sealed value with its signing secrets replaced by `signingSecrets` ([]:
   * none), its AuthParameters unchanged; undefined when it has no credentials (deauthorized),
   * since there is then nothing to sign for.
   */
  withSigningSecrets(connection: Connection, signingSecrets: readonly string[]): string | undefined {
    if (connection.sealedSecrets === undefined) return undefined;
    return this.seal(connection.arn, this.unseal(connection), signingSecrets);
  }

  #open(connection: Connection): { auth: AuthParameters; signing: string[] } {
    if (connection.sealedSecrets === undefined) return { auth: {}, signing: [] };
    const { [SIGNING_MEMBER]: signing, ...auth } = JSON.parse(this.#box.open(connection.sealedSecrets, connection.arn)) as Record<string, unknown>;
    return { auth, signing: Array.isArray(signing) ? signing.filter((x): x is string => typeof x === 'string') : [] };
  }

  /**
   * For delivery: the connection's credentials in clear, or undefined when there is no such
   * connection or it was deauthorized. Throws SecretKeyError when the secret key file is not
   * the one the secrets were sealed with.
   */
  async connectionSecrets(connectionArn: string): Promise<ConnectionSecrets | undefined> {
    const connection = await this.#store.getConnectionByArn(connectionArn);
    if (connection === undefined) {
      this.#cache.delete(connectionArn);
      return undefined;
    }
    const cached = this.#cache.get(connectionArn);
    if (cached !== undefined && cached.modifiedAt === connection.modifiedAt && cached.secrets?.state === connection.state) return cached.secrets;
    let secrets: ConnectionSecrets | undefined;
    if (connection.sealedSecrets !== undefined) {
      const { auth, signing } = this.#open(connection);
      secrets = new ConnectionSecrets(connection, auth as ConnectionSecrets['authParameters'], signing);
    }
    this.#cache.set(connectionArn, { modifiedAt: connection.modifiedAt, secrets });
    return secrets;
  }

  /**
   * Record the outcome of authorizing a connection (delivery's OAuth client: AUTHORIZED once a
   * token is obtained, DEAUTHORIZED with the reason when the endpoint refuses).
   */
  async setState(connectionArn: string, state: ConnectionState, now: number, stateReason?: string): Promise<void> {
    const connection = await this.#store.getConnectionByArn(connectionArn);
    if (connection === undefined) return;
    const { stateReason: _old, ...rest } = connection;
    await this.#store.updateConnection({
      ...rest,
      state,
      ...(stateReason === undefined ? {} : { stateReason }),
      ...(state === 'AUTHORIZED' ? { lastAuthorizedAt: now } : {}),
    });
    this.#cache.delete(connectionArn);
  }

  forget(connectionArn: string): void {
    this.#cache.delete(connectionArn);
  }
}
