/**
 * `switchyard target-options`: a rule target's Switchyard options on a running server
 * (docs/target-options.md), through its Switchyard API (src/api/target-options.ts). Prints the
 * API's answers as JSON on stdout.
 *
 *   target-options get   --rule NAME --target ID [--bus NAME] [--endpoint URL]
 *   target-options set   --rule NAME --target ID [--bus NAME] [--endpoint URL] [option flags]
 *                        (replaces every option of the target with those given)
 *   target-options clear --rule NAME --target ID [--bus NAME] [--endpoint URL]
 *
 * Exit codes: 0 done; 1 the server refused; 2 bad usage.
 */
import { Command } from 'commander';
import { call, DEFAULT_ENDPOINT } from './client.js';
import { runCommand } from './command.js';

interface Common {
  rule: string;
  target: string;
  bus?: string;
  endpoint?: string;
}

interface SetFlags extends Common {
  timeoutSeconds?: string;
  rateLimitPerSecond?: string;
  rateLimitBurst?: string;
  maxConcurrency?: string;
  breakerFailurePercent?: string;
  breakerMinimumAttempts?: string;
  breakerWindowSeconds?: string;
  breakerCooldownSeconds?: string;
  orderBy?: string;
}

const NAME = 'switchyard target-options';

function endpointOf(o: Common): string {
  return o.endpoint ?? process.env.SWITCHYARD_ENDPOINT ?? DEFAULT_ENDPOINT;
}

function targetOf(o: Common): Record<string, string> {
  return { Rule: o.rule, TargetId: o.target, ...(o.bus === undefined ? {} : { EventBusName: o.bus }) };
}

/** A flag's number (the server checks ranges); a text that is not a number goes as given, to be refused there. */
function num(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

function optionsOf(o: SetFlags): Record<string, unknown> {
  const defined = (entries: [string, unknown][]): Record<string, unknown> => Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  const breaker = defined([
    ['FailurePercent', num(o.breakerFailurePercent)],
    ['MinimumAttempts', num(o.breakerMinimumAttempts)],
    ['WindowSeconds', num(o.breakerWindowSeconds)],
    ['CooldownSeconds', num(o.breakerCooldownSeconds)],
  ]);
  return defined([
    ['TimeoutSeconds', num(o.timeoutSeconds)],
    ['RateLimitPerSecond', num(o.rateLimitPerSecond)],
    ['RateLimitBurst', num(o.rateLimitBurst)],
    ['MaxConcurrency', num(o.maxConcurrency)],
    ['CircuitBreaker', Object.keys(breaker).length === 0 ? undefined : breaker],
    ['OrderBy', o.orderBy],
  ]);
}

/** Print the API's answer as JSON; exit code 0. */
async function printed(answer: Promise<Record<string, unknown>>): Promise<number> {
  process.stdout.write(`${JSON.stringify(await answer, null, 2)}\n`);
  return 0;
}

export async function targetOptions(argv: readonly string[]): Promise<number> {
  let run: (() => Promise<number>) | undefined;
  const program = new Command(NAME)
    .description("read and set a rule target's Switchyard options (speed, circuit breaker, ordering, timeout)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const common = (c: Command): Command =>
    c
      .requiredOption('--rule <name>', 'the rule')
      .requiredOption('--target <id>', 'the target id')
      .option('--bus <name>', 'the rule\'s event bus (default: default)')
      .option('--endpoint <url>', `server URL (default $SWITCHYARD_ENDPOINT or ${DEFAULT_ENDPOINT})`)
      .exitOverride();
  common(program.command('get').description('print the options and the circuit breaker (JSON)')).action(
    (o: Common) => void (run = () => printed(call('Switchyard.GetTargetOptions', targetOf(o), { endpoint: endpointOf(o) }))),
  );
  common(program.command('set').description('replace the target\'s options with those given'))
    .option('--timeout-seconds <n>', 'HTTP targets: the deadline of one attempt (1-300)')
    .option('--rate-limit-per-second <n>', 'at most this many attempts per second')
    .option('--rate-limit-burst <n>', 'attempts at once after a quiet spell (default 1)')
    .option('--max-concurrency <n>', 'attempts under way at once (1-1000)')
    .option('--breaker-failure-percent <n>', 'open the circuit breaker at this failure percentage')
    .option('--breaker-minimum-attempts <n>', '... of at least this many attempts (default 10)')
    .option('--breaker-window-seconds <n>', '... in this window (default 60)')
    .option('--breaker-cooldown-seconds <n>', 'hold deliveries this long before a probe (default 30)')
    .option('--order-by <path>', 'deliver each group in order: a JSONPath ($.detail.orderId) or MessageGroupId')
    .action((o: SetFlags) => void (run = () => printed(call('Switchyard.PutTargetOptions', { ...targetOf(o), Options: optionsOf(o) }, { endpoint: endpointOf(o) }))));
  common(program.command('clear').description('remove every option of the target')).action(
    (o: Common) => void (run = () => printed(call('Switchyard.DeleteTargetOptions', targetOf(o), { endpoint: endpointOf(o) }))),
  );
  return runCommand(NAME, program, argv, () => run);
}
