// Running an AWS CLI, unchanged, as a user's script would: fixed dummy credentials and region,
// nothing from the user's profile, one attempt, no pager.
import { execFile } from 'node:child_process';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const CLI_REGION = 'us-east-1';

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: CLI_REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
  };
}

/** Run `cli` (a name on PATH or a path) with `args`; its exit code and output. */
export function runCli(cli: string, args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(cli, [...args], { env: cliEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

/** `cli --version`, or null when there is no such program. */
export async function cliVersion(cli: string): Promise<string | null> {
  try {
    const r = await runCli(cli, ['--version']);
    return r.code === 0 ? `${r.stdout}${r.stderr}`.trim() : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
