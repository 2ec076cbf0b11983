/**
 * `switchyard serve`: resolve options (flags > SWITCHYARD_* environment > config file > defaults),
 * start the server, and stop it gracefully on SIGTERM or SIGINT (stop accepting, finish in-flight
 * requests, close the store, exit 0). Bad options or an unusable data directory: a clear message
 * and exit code 2 or 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, DEFAULTS, resolveOptions } from '../config/options.js';
import { startServer } from '../server.js';
import { SecretKeyError } from '../connections/secret-box.js';
import { StoreOpenError } from '../store/sqlite/sqlite-store.js';

export async function serve(argv: readonly string[]): Promise<number> {
  const program = new Command('switchyard serve')
    .description('run the Switchyard server')
    .option('--host <address>', `address to listen on (default ${DEFAULTS.host})`)
    .option('--port <port>', `port (default ${DEFAULTS.port})`)
    .option('--data-dir <dir>', `data directory of the embedded store (default ${DEFAULTS.dataDir})`)
    .option('--store <kind>', `sqlite or postgres (default ${DEFAULTS.store})`)
    .option('--postgres-url <url>', 'PostgreSQL connection URL (with --store postgres)')
    .option('--region <region>', `region of requests that name none (default ${DEFAULTS.region})`)
    .option('--account <id>', `account of unauthenticated local requests (default ${DEFAULTS.account})`)
    .option('--config <file>', 'JSON config file')
    .option('--credentials <list>', 'access keys as AKID:SECRET:ACCOUNT[,...]')
    .option('--insecure-no-auth', 'serve without authentication on a non-loopback address')
    .option('--max-pattern-length <n>', `longest event pattern accepted (default ${DEFAULTS.maxPatternLength})`)
    .option('--secret-key-file <file>', 'key encrypting connection secrets (default <data-dir>/secret.key, created if absent)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof InvalidArgumentError || (e as { code?: string }).code?.startsWith('commander.')) {
      return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
    }
    throw e;
  }
  let server;
  try {
    const options = resolveOptions(program.opts());
    server = await startServer(options);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StoreOpenError || e instanceof SecretKeyError) {
      process.stderr.write(`switchyard serve: ${e.message}\n`);
      return e instanceof ConfigError ? 2 : 1;
    }
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || (e as NodeJS.ErrnoException).code === 'EACCES') {
      process.stderr.write(`switchyard serve: cannot listen: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
  const running = server;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'stopping', signal })}\n`);
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
