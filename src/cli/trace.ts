/**
 * `switchyard trace <event-id> [--endpoint URL]`: the trace of one event of a running server
 * (docs/event-trace.md), through its Switchyard API (src/api/trace.ts). Prints the API's answer
 * as JSON on stdout; signed as `switchyard dlq` is (src/cli/client.ts).
 *
 * Exit codes: 0 done; 1 the server refused (no such event in this account and region, a bad
 * event id) or could not be reached; 2 bad usage.
 */
import { Command } from 'commander';
import { call, DEFAULT_ENDPOINT } from './client.js';
import { runCommand } from './command.js';

export async function trace(argv: readonly string[]): Promise<number> {
  let run: (() => Promise<number>) | undefined;
  const program = new Command('switchyard trace')
    .description("print an event's trace: the rules it matched, the targets it was owed, every attempt, where it ended (JSON)")
    .argument('<event-id>', 'the EventId PutEvents answered with')
    .option('--endpoint <url>', `server URL (default $SWITCHYARD_ENDPOINT or ${DEFAULT_ENDPOINT})`)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .action((eventId: string, o: { endpoint?: string }) => {
      run = async () => {
        const endpoint = o.endpoint ?? process.env.SWITCHYARD_ENDPOINT ?? DEFAULT_ENDPOINT;
        const out = await call('Switchyard.GetEventTrace', { EventId: eventId }, { endpoint });
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return 0;
      };
    });
  return runCommand('switchyard trace', program, argv, () => run);
}
