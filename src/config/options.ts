/**
 * Server options: one typed object, every field documented with its default, resolved once at
 * start from (highest first) command-line flags, `SWITCHYARD_<NAME>` environment variables, the
 * JSON config file, and the defaults below; then passed on. Conflicting or unusable options are
 * refused here, before anything starts.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The account requests signed with this key act in. */
  readonly account: string;
}

export interface Options {
  /** Address to listen on. Default 127.0.0.1. */
  readonly host: string;
  /** TCP port. Default 4010. */
  readonly port: number;
  /** Where the embedded store keeps its files. Default ./.switchyard */
  readonly dataDir: string;
  /** 'sqlite' (default) or 'postgres'. */
  readonly store: 'sqlite' | 'postgres';
  /** PostgreSQL connection URL, required with store 'postgres'. */
  readonly postgresUrl?: string;
  /** Region of requests that do not name one (unsigned local requests). Default us-east-1. */
  readonly region: string;
  /** Account of unauthenticated local requests. Default 000000000000. */
  readonly account: string;
  /** Access keys accepted, each mapped to its secret and account. Default none. */
  readonly credentials: readonly Credential[];
  /** Serve without authentication on a non-loopback address. Default false. */
  readonly insecureNoAuth: boolean;
  /** Longest event pattern accepted, in characters. Default 2048. */
  readonly maxPatternLength: number;
  /**
   * The file holding the key that encrypts connection secrets at rest (AES-256-GCM; never stored
   * in the database). Default `<data-dir>/secret.key`, created (mode 0600) on first start when
   * absent; a file named explicitly must exist (src/connections/secret-box.ts).
   */
  readonly secretKeyFile?: string;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 4010,
  dataDir: './.switchyard',
  store: 'sqlite',
  region: 'us-east-1',
  account: '000000000000',
  insecureNoAuth: false,
  maxPatternLength: 2048,
} as const;

export class ConfigError extends Error {}

/** Raw values as strings or parsed JSON, before validation. */
type Raw = Partial<Record<keyof Options | 'config', unknown>>;

const ENV_NAMES: Record<string, keyof Raw> = {
  SWITCHYARD_HOST: 'host',
  SWITCHYARD_PORT: 'port',
  SWITCHYARD_DATA_DIR: 'dataDir',
  SWITCHYARD_STORE: 'store',
  SWITCHYARD_POSTGRES_URL: 'postgresUrl',
  SWITCHYARD_REGION: 'region',
  SWITCHYARD_ACCOUNT: 'account',
  SWITCHYARD_CONFIG: 'config',
  SWITCHYARD_CREDENTIALS: 'credentials',
  SWITCHYARD_INSECURE_NO_AUTH: 'insecureNoAuth',
  SWITCHYARD_MAX_PATTERN_LENGTH: 'maxPatternLength',
  SWITCHYARD_SECRET_KEY_FILE: 'secretKeyFile',
};

export function fromEnv(env: NodeJS.ProcessEnv): Raw {
  const raw: Raw = {};
  for (const [name, key] of Object.entries(ENV_NAMES)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  return raw;
}

/** Resolve options from flags (already parsed), environment and config file. */
export function resolveOptions(flags: Raw, env: NodeJS.ProcessEnv = process.env): Options {
  const fromEnvironment = fromEnv(env);
  const configPath = flags.config ?? fromEnvironment.config;
  const file = configPath === undefined ? {} : readConfigFile(String(configPath));
  const pick = (key: keyof Raw): unknown => flags[key] ?? fromEnvironment[key] ?? file[key];

  const host = str(pick('host') ?? DEFAULTS.host, 'host');
  const port = int(pick('port') ?? DEFAULTS.port, 'port', 0, 65535);
  const store = str(pick('store') ?? DEFAULTS.store, 'store');
  if (store !== 'sqlite' && store !== 'postgres') throw new ConfigError(`store must be sqlite or postgres, not '${store}'`);
  const postgresUrl = pick('postgresUrl');
  if (store === 'postgres' && postgresUrl === undefined) throw new ConfigError('store postgres needs --postgres-url');
  const account = str(pick('account') ?? DEFAULTS.account, 'account');
  if (!/^\d{12}$/.test(account)) throw new ConfigError(`account must be 12 digits, not '${account}'`);
  const region = str(pick('region') ?? DEFAULTS.region, 'region');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new ConfigError(`region '${region}' is not a region name`);
  const credentials = parseCredentials(pick('credentials'));
  const insecureNoAuth = bool(pick('insecureNoAuth') ?? DEFAULTS.insecureNoAuth, 'insecure-no-auth');
  const options: Options = {
    host,
    port,
    dataDir: str(pick('dataDir') ?? DEFAULTS.dataDir, 'data-dir'),
    store,
    ...(postgresUrl === undefined ? {} : { postgresUrl: str(postgresUrl, 'postgres-url') }),
    region,
    account,
    credentials,
    insecureNoAuth,
    maxPatternLength: int(pick('maxPatternLength') ?? DEFAULTS.maxPatternLength, 'max-pattern-length', 1, 1 << 20),
    ...(pick('secretKeyFile') === undefined ? {} : { secretKeyFile: str(pick('secretKeyFile'), 'secret-key-file') }),
  };
  if (!isLoopback(host) && credentials.length === 0 && !insecureNoAuth) {
    throw new ConfigError(
      `refusing to listen on ${host} without credentials: configure credentials, or pass --insecure-no-auth`,
    );
  }
  return options;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

function readConfigFile(path: string): Raw {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  return parsed as Raw;
}

/**
 * Credentials as a list of {accessKeyId, secretAccessKey, account} (config file) or as text
 * "AKID:SECRET:ACCOUNT,AKID2:SECRET2:ACCOUNT2" (flag or environment).
 */
function parseCredentials(v: unknown): Credential[] {
  if (v === undefined) return [];
  const list: unknown[] =
    typeof v === 'string'
      ? v.split(',').map((item) => {
          const [accessKeyId, secretAccessKey, account] = item.trim().split(':');
          return { accessKeyId, secretAccessKey, account };
        })
      : Array.isArray(v)
        ? v
        : [v];
  return list.map((c, i) => {
    const o = (c ?? {}) as Record<string, unknown>;
    const { accessKeyId, secretAccessKey, account } = o;
    if (typeof accessKeyId !== 'string' || accessKeyId === '' || typeof secretAccessKey !== 'string' || secretAccessKey === '') {
      throw new ConfigError(`credential ${i + 1} needs an access key id and a secret`);
    }
    if (typeof account !== 'string' || !/^\d{12}$/.test(account)) {
      throw new ConfigError(`credential ${accessKeyId} needs a 12-digit account`);
    }
    return { accessKeyId, secretAccessKey, account };
  });
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${name} must be a non-empty string`);
  return v;
}

function int(v: unknown, name: string, min: number, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not '${String(v)}'`);
  }
  return n;
}

function bool(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${name} must be true or false, not '${String(v)}'`);
}
