/**
 * The `switchyard` command line. Each command is a function from arguments to an exit code; this
 * module only dispatches. Commands print results on stdout and problems on stderr.
 */
import { readFile } from 'node:fs/promises';
import { SwitchyardError } from '../domain/errors.js';
import { testEventPattern } from '../pattern/index.js';
import { dlq } from './dlq.js';
import { targetOptions } from './target-options.js';
import { serve } from './serve.js';
import { signing } from './signing.js';
import { trace } from './trace.js';

const USAGE = `Usage: switchyard <command> [options]

Commands:
  serve [options]                       run the server (serve --help lists the options)
  dlq list|count|redrive [options]      dropped deliveries of a running server (dlq --help)
  target-options get|set|clear [options]
                                        a rule target's Switchyard options (target-options --help)
  signing set|clear|show|generate      signing secrets of a connection's deliveries (signing --help)
  trace <event-id> [--endpoint URL]     an event's rules, targets, attempts and outcome (JSON)
  test-pattern <event.json> <pattern.json>
                                        print true or false, as TestEventPattern would
  help                                  show this text
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'test-pattern':
      return testPattern(rest);
    case 'serve':
      return serve(rest);
    case 'dlq':
      return dlq(rest);
    case 'signing':
      return signing(rest);
    case 'target-options':
      return targetOptions(rest);
    case 'trace':
      return trace(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`switchyard: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

async function testPattern(args: readonly string[]): Promise<number> {
  if (args.length !== 2) {
    process.stderr.write('Usage: switchyard test-pattern <event.json> <pattern.json>\n');
    return 2;
  }
  const [event, pattern] = await Promise.all(args.map((file) => readFile(file, 'utf8')));
  try {
    process.stdout.write(`${testEventPattern(event as string, pattern as string)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof SwitchyardError)) throw e;
    process.stderr.write(`${e.code}: ${e.message}\n`);
    return 1;
  }
}
