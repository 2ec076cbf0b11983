/**
 * Signing secrets of connections (docs/signed-deliveries.md), on Switchyard's own API
 * (src/api/switchyard.ts): the AWS SDK cannot send a member EventBridge does not have, so they
 * are set here rather than through CreateConnection/UpdateConnection.
 *
 *   PutConnectionSigningSecrets     {Name, Secrets: [whsec_..., ...] (1-5, newest first)}
 *                                   -> {ConnectionArn, SigningSecretCount}
 *   DeleteConnectionSigningSecrets  {Name} -> {ConnectionArn, SigningSecretCount: 0}
 *   DescribeConnectionSigning       {Name} -> {ConnectionArn, SigningSecretCount}
 *
 * Put replaces the whole list: to rotate, put [new, old], let receivers learn the new secret,
 * then put [new]. The secrets are sealed with the connection's credentials (src/connections/
 * vault.ts) and never answered, logged or echoed in an error message. Setting or clearing them
 * modifies the connection (its LastModifiedTime). A deauthorized connection has no credentials
 * to keep them with (DeauthorizeConnection drops them too): Put refuses it until UpdateConnection
 * authorizes it again.
 */
import type { ConnectionVault } from '../connections/vault.js';
import type { Connection } from '../domain/connections.js';
import { SwitchyardError } from '../domain/errors.js';
import type { Scope } from '../domain/model.js';
import type { Handler } from '../http/server.js';
import type { Store } from '../store/port.js';
import { MAX_SECRET_BYTES, MIN_SECRET_BYTES, SECRET_PREFIX, signingKey, WebhookVerificationError } from '../webhooks/verify.js';
import { MESSAGES } from './connections.js';
import type { Input } from './input.js';
import { invalid, reqMatching, scopeOf } from './switchyard.js';

export interface SigningApiDeps {
  readonly store: Store;
  readonly vault: ConnectionVault;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** At most this many secrets at once: enough for a rotation, or two, under way. */
export const MAX_SIGNING_SECRETS = 5;

/** A connection name, as EventBridge's model constrains it. */
const CONNECTION_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const NAME_WHAT = 'Member must have length between 1 and 64 and satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+';

async function connectionOf(store: Store, scope: Scope, input: Input): Promise<Connection> {
  const name = reqMatching(input, 'Name', CONNECTION_NAME, NAME_WHAT);
  const connection = await store.getConnection(scope, name);
  if (connection === undefined) throw new SwitchyardError('ResourceNotFoundException', MESSAGES.connectionNotFound(name));
  return connection;
}

/**
 * Secrets: 1 to 5 distinct strings, each `whsec_` + base64 of 24 to 64 bytes. The messages name
 * the member at fault, never its value (it is a secret).
 */
function secretsOf(input: Input): string[] {
  const given = input.Secrets;
  if (given === undefined || given === null) throw invalid('Secrets is required.');
  if (!Array.isArray(given)) throw invalid('Secrets must be a list of strings.');
  if (given.length < 1 || given.length > MAX_SIGNING_SECRETS) {
    throw invalid(`Secrets must have between 1 and ${MAX_SIGNING_SECRETS} members (the newest first); to remove them all, use DeleteConnectionSigningSecrets.`);
  }
  const keys = new Set<string>();
  return given.map((secret: unknown, i) => {
    const at = `Secrets.${i + 1}`;
    if (typeof secret !== 'string') throw invalid(`${at} must be a string.`);
    const shape = `${at} must be whsec_ followed by the base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes`;
    if (!secret.startsWith(SECRET_PREFIX)) throw invalid(`${shape}.`);
    let key: Buffer;
    try {
      key = signingKey(secret);
    } catch (e) {
      if (!(e instanceof WebhookVerificationError)) throw e;
      const bytes = /, not (\d+)$/.exec(e.message)?.[1];
      throw invalid(bytes === undefined ? `${shape}; it is not base64.` : `${shape}; it holds ${bytes}.`);
    }
    const k = key.toString('base64');
    if (keys.has(k)) throw invalid(`${at} repeats an earlier secret.`);
    keys.add(k);
    return secret;
  });
}

function answer(connection: Connection, count: number): Record<string, unknown> {
  return { ConnectionArn: connection.arn, SigningSecretCount: count };
}

export function signingOperations(deps: SigningApiDeps): Record<string, Handler> {
  const { store, vault } = deps;

  /** Seal `secrets` with the connection's credentials and store it, modified now. */
  async function write(connection: Connection, secrets: readonly string[]): Promise<void> {
    const sealedSecrets = vault.withSigningSecrets(connection, secrets);
    if (sealedSecrets === undefined) return;
    await store.updateConnection({ ...connection, sealedSecrets, modifiedAt: deps.now() });
    vault.forget(connection.arn);
  }

  return {
    async PutConnectionSigningSecrets(ctx, input) {
      const connection = await connectionOf(store, scopeOf(ctx.caller), input);
      const secrets = secretsOf(input);
      if (connection.sealedSecrets === undefined) {
        throw invalid(`Connection '${connection.name}' is ${connection.state} and holds no credentials to keep signing secrets with; authorize it with UpdateConnection first.`);
      }
      await write(connection, secrets);
      return answer(connection, secrets.length);
    },

    async DeleteConnectionSigningSecrets(ctx, input) {
      const connection = await connectionOf(store, scopeOf(ctx.caller), input);
      if (vault.signingSecrets(connection).length > 0) await write(connection, []);
      return answer(connection, 0);
    },

    async DescribeConnectionSigning(ctx, input) {
      const connection = await connectionOf(store, scopeOf(ctx.caller), input);
      return answer(connection, vault.signingSecrets(connection).length);
    },
  };
}
