/**
 * `switchyard signing`: the signing secrets of a connection (docs/signed-deliveries.md), through
 * a running server's Switchyard API (src/api/signing.ts). Prints the API's answers as JSON on
 * stdout; `generate` prints a new secret and needs no server.
 *
 *   signing set <connection> --secret whsec_... [--secret whsec_...] [--endpoint URL]
 *                                   replace the secrets (newest first; two or more while rotating)
 *   signing clear <connection> [--endpoint URL]      sign no more
 *   signing show <connection> [--endpoint URL]       how many secrets (never the secrets)
 *   signing generate                                 a new whsec_ secret (32 random bytes)
 *
 * A secret on the command line is seen by `ps` and kept in shell history: `--secret -` reads
 * one secret per line from stdin instead.
 *
 * Exit codes: 0 done; 1 the server refused (an error answer) or cannot be reached; 2 bad usage.
 */
import { Command } from 'commander';
import { generateSigningSecret } from '../webhooks/verify.js';
import { call, DEFAULT_ENDPOINT } from './client.js';
import { runCommand, UsageError } from './command.js';

interface Common {
  endpoint?: string;
}

function endpointOf(o: Common): string {
  return o.endpoint ?? process.env.SWITCHYARD_ENDPOINT ?? DEFAULT_ENDPOINT;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

async function set(name: string, o: Common & { secret?: string[] }): Promise<number> {
  const given = o.secret ?? [];
  if (given.length === 0) throw new UsageError('give at least one --secret (newest first), or use `signing clear`');
  const secrets: string[] = [];
  for (const s of given) {
    if (s !== '-') secrets.push(s);
    else secrets.push(...(await readStdin()).split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''));
  }
  print(await call('Switchyard.PutConnectionSigningSecrets', { Name: name, Secrets: secrets }, { endpoint: endpointOf(o) }));
  return 0;
}

async function clear(name: string, o: Common): Promise<number> {
  print(await call('Switchyard.DeleteConnectionSigningSecrets', { Name: name }, { endpoint: endpointOf(o) }));
  return 0;
}

async function show(name: string, o: Common): Promise<number> {
  print(await call('Switchyard.DescribeConnectionSigning', { Name: name }, { endpoint: endpointOf(o) }));
  return 0;
}

export async function signing(argv: readonly string[]): Promise<number> {
  let run: (() => Promise<number>) | undefined;
  const endpoint = `server URL (default $SWITCHYARD_ENDPOINT or ${DEFAULT_ENDPOINT})`;
  const program = new Command('switchyard signing')
    .description("sign a connection's deliveries with Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('set')
    .description("replace the connection's signing secrets (newest first; give the old one second while rotating)")
    .argument('<connection>', 'the connection name')
    .option('--secret <whsec>', 'a signing secret, whsec_ + base64 of 24-64 bytes (repeat it; - reads them from stdin)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--endpoint <url>', endpoint)
    .exitOverride()
    .action((name: string, o: Common & { secret?: string[] }) => void (run = () => set(name, o)));
  program
    .command('clear')
    .description("remove the connection's signing secrets: its deliveries are no longer signed")
    .argument('<connection>', 'the connection name')
    .option('--endpoint <url>', endpoint)
    .exitOverride()
    .action((name: string, o: Common) => void (run = () => clear(name, o)));
  program
    .command('show')
    .description('print how many signing secrets the connection has (JSON; never the secrets)')
    .argument('<connection>', 'the connection name')
    .option('--endpoint <url>', endpoint)
    .exitOverride()
    .action((name: string, o: Common) => void (run = () => show(name, o)));
  program
    .command('generate')
    .description('print a new signing secret (whsec_ + base64 of 32 random bytes); no server needed')
    .exitOverride()
    .action(
      () =>
        void (run = async () => {
          process.stdout.write(`${generateSigningSecret()}\n`);
          return 0;
        }),
    );
  return runCommand('switchyard signing', program, argv, () => run);
}
