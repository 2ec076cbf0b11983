/**
 * Real server processes for end-to-end tests: `node bin/switchyard.js serve` on port 0 with a fresh
 * data directory, ready when it logs its URL. Every process started here is tracked; call
 * `assertNoServersLeft()` in an `after` hook so a test that forgets to stop one fails.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(REPO, 'bin', 'switchyard.js');

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  readonly stderr: () => string;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'switchyard-test-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function startServer(
  opts: { args?: readonly string[]; env?: Record<string, string>; dataDir?: string } = {},
): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? freshDataDir();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...(opts.args ?? [])], {
    cwd: REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /"msg":"listening","url":"([^"]+)"/.exec(stderr);
      if (m !== null) resolve(m[1] as string);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening:\n${stderr}`)));
  });
  child.stdout?.resume();
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    process: child,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** Fail (and clean up) when a test left a server process running. */
export function assertNoServersLeft(): void {
  const left = running.size;
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  if (left > 0) throw new Error(`${left} server process(es) were left running`);
}
