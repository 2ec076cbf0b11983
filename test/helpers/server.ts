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
import Database from 'better-sqlite3';

/**
 * The checkout the tests run from (dist/test/helpers -> ../../..). SWITCHYARD_TEST_REPO overrides
 * it, for a build compiled elsewhere: a directory with bin/switchyard.js importing that build.
 */
export const REPO = process.env.SWITCHYARD_TEST_REPO ?? fileURLToPath(new URL('../../../', import.meta.url));
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
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  const { url, stderr } = await untilListening(child);
  child.stdout?.resume();
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    process: child,
    stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * Wait until a `serve` process logs the URL it listens on; fails with its stderr if it exits first.
 * `stderr()` keeps collecting what the process writes afterwards.
 */
export function untilListening(child: ChildProcess): Promise<{ url: string; stderr: () => string }> {
  let text = '';
  return new Promise((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      text += chunk;
      const m = /"msg":"listening","url":"([^"]+)"/.exec(text);
      if (m !== null) resolve({ url: m[1] as string, stderr: () => text });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${text}`)));
  });
}

/** The data directory's database, read-only (WAL lets a test read it while the server runs). */
export function openDatabase(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'switchyard.db'), { readonly: true, fileMustExist: true });
}

/** Fail (and clean up) when a test left a server process running. */
export function assertNoServersLeft(): void {
  const left = running.size;
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  if (left > 0) throw new Error(`${left} server process(es) were left running`);
}

/**
 * Probe until it answers something (not undefined), at most 10 s: for what a server process does
 * on its own clock (a move task, a delivery), which a test can only watch.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
