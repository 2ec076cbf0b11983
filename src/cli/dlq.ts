/**
 * `switchyard dlq`: the dropped deliveries of a running server (docs/dropped-deliveries.md),
 * through its Switchyard API (src/api/switchyard.ts). Prints the API's answers as JSON on stdout.
 *
 *   dlq list    [--rule ARN] [--target ID] [--endpoint URL]   every page, followed to the end
 *   dlq count   [--rule ARN] [--target ID] [--endpoint URL]
 *   dlq redrive --event ID --rule ARN --target ID [--endpoint URL]
 *   dlq redrive --all [--rule ARN] [--target ID] [--endpoint URL]
 *
 * Exit codes: 0 done; 1 the server refused (an error answer, or a redrive entry that failed);
 * 2 bad usage.
 */
import { Command } from 'commander';
import { call, DEFAULT_ENDPOINT } from './client.js';
import { runCommand, UsageError } from './command.js';

interface Common {
  endpoint?: string;
  rule?: string;
  target?: string;
}

function endpointOf(o: Common): string {
  return o.endpoint ?? process.env.SWITCHYARD_ENDPOINT ?? DEFAULT_ENDPOINT;
}

function filterOf(o: Common): Record<string, string> {
  return { ...(o.rule === undefined ? {} : { RuleArn: o.rule }), ...(o.target === undefined ? {} : { TargetId: o.target }) };
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function list(o: Common): Promise<number> {
  const all: unknown[] = [];
  let token: string | undefined;
  do {
    const out = await call('Switchyard.ListDroppedDeliveries', { ...filterOf(o), ...(token === undefined ? {} : { NextToken: token }) }, {
      endpoint: endpointOf(o),
    });
    all.push(...((out.DroppedDeliveries as unknown[] | undefined) ?? []));
    token = typeof out.NextToken === 'string' ? out.NextToken : undefined;
  } while (token !== undefined);
  print({ DroppedDeliveries: all });
  return 0;
}

async function count(o: Common): Promise<number> {
  print(await call('Switchyard.CountDroppedDeliveries', filterOf(o), { endpoint: endpointOf(o) }));
  return 0;
}

async function redrive(o: Common & { event?: string; all?: boolean }): Promise<number> {
  let input: Record<string, unknown>;
  if (o.all === true) {
    if (o.event !== undefined) throw new UsageError('give either --all or --event, not both');
    input = { All: true, ...filterOf(o) };
  } else {
    if (o.event === undefined || o.rule === undefined || o.target === undefined) {
      throw new UsageError('a single redrive needs --event, --rule and --target (or use --all)');
    }
    input = { Entries: [{ EventId: o.event, RuleArn: o.rule, TargetId: o.target }] };
  }
  const out = await call('Switchyard.RedriveDroppedDeliveries', input, { endpoint: endpointOf(o) });
  print(out);
  return out.FailedEntryCount === 0 || out.FailedEntryCount === undefined ? 0 : 1;
}

export async function dlq(argv: readonly string[]): Promise<number> {
  let run: (() => Promise<number>) | undefined;
  const endpoint = `server URL (default $SWITCHYARD_ENDPOINT or ${DEFAULT_ENDPOINT})`;
  const program = new Command('switchyard dlq')
    .description('list, count and redrive dropped deliveries of a running server')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('list')
    .description('print the dropped deliveries (JSON)')
    .option('--rule <arn>', 'only those of this rule')
    .option('--target <id>', 'only those to this target id')
    .option('--endpoint <url>', endpoint)
    .exitOverride()
    .action((o: Common) => void (run = () => list(o)));
  program
    .command('count')
    .description('print how many deliveries are dropped (JSON)')
    .option('--rule <arn>', 'only those of this rule')
    .option('--target <id>', 'only those to this target id')
    .option('--endpoint <url>', endpoint)
    .exitOverride()
    .action((o: Common) => void (run = () => count(o)));
  program
    .command('redrive')
    .description('send dropped deliveries to their targets again: one (--event, --rule, --target) or all matching (--all)')
    .option('--event <id>', 'the event id of the delivery')
    .option('--rule <arn>', 'its rule (with --all: only those of this rule)')
    .option('--target <id>', 'its target id (with --all: only those to this target)')
    .option('--all', 'every dropped delivery (matching --rule and --target when given)')
    .option('--endpoint <url>', endpoint)
    .exitOverride()
    .action((o: Common & { event?: string; all?: boolean }) => void (run = () => redrive(o)));
  return runCommand('switchyard dlq', program, argv, () => run);
}
