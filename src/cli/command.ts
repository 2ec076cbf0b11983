/**
 * What every `switchyard` command that talks to a running server does the same way: parse its
 * arguments with commander, run the action the arguments chose, and turn failures into exit
 * codes: 0 done, 1 the server refused or could not be reached, 2 bad usage.
 */
import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { failedCall } from './client.js';

/** Bad usage found after parsing (a combination of flags commander cannot express): exit 2. */
export class UsageError extends Error {}

/**
 * Parse `argv` with `program`, whose actions set what to run (`chosen` reads it afterwards), then
 * run it. `name` prefixes the messages on stderr.
 */
export async function runCommand(
  name: string,
  program: Command,
  argv: readonly string[],
  chosen: () => (() => Promise<number>) | undefined,
): Promise<number> {
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const run = chosen();
  if (run === undefined) {
    process.stderr.write(program.helpInformation());
    return 2;
  }
  try {
    return await run();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${name}: ${e.message}\n`);
      return 2;
    }
    const exit = failedCall(name, e);
    if (exit === undefined) throw e;
    return exit;
  }
}
