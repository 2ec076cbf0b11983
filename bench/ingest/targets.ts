// The servers the ingest benchmark measures, each started as its own process on a free port:
//
//   bare        dist/bench/ingest/bare-server.js (the ceiling: read, JSON.parse, answer)
//   switchyard  node bin/switchyard.js serve --port 0 --data-dir <tmp> (fsync group commit as shipped)
//   moto        moto_server -H 127.0.0.1 -p <port> (the emulator a user would otherwise pick)
//
// and the API calls that give Switchyard and moto the same 100 rules, each with one target.
// moto delivers synchronously inside PutEvents; its target is an event bus `bench-sink`, created
// first with no rules of its own: the cheapest delivery moto has (it re-puts the event on the
// sink, where no rule matches), so the Switchyard/moto ratio is not flattered by delivery work
// that Switchyard defers. Switchyard's target is a Lambda function ARN: it records one owed
// delivery per event and matched rule, as for any target, and has no adapter for Lambda, so this
// benchmark measures ingest alone (a bus target would be forwarded after the commit, and the
// forwards would compete with PutEvents for the CPU; bench/delivery measures delivery). moto also
// builds JSONPath parsers for every matched target, whatever its type (EventTemplateParser),
// which is where most of its time goes with this workload.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { BenchRule } from './workload.js';

/** The repository root (this file runs as dist/bench/ingest/targets.js). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface RunningTarget {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** Headers every request to this target carries besides the PutEvents ones. */
  readonly headers: Readonly<Record<string, string>>;
  /** What the process wrote to stderr so far. */
  readonly stderr: () => string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL, now (when the runner itself is interrupted). */
  kill(): void;
}

function track(name: string, child: ChildProcess, port: number, headers: Record<string, string>, stderr: () => string): RunningTarget {
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    name,
    port,
    pid: child.pid as number,
    headers,
    stderr,
    kill() {
      child.kill('SIGKILL');
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text += chunk;
    if (text.length > 1_000_000) text = text.slice(-500_000);
  });
  return () => text;
}

/** Resolves with the first match of `re` in the stream, or rejects if the process exits first. */
function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, what: string, log: () => string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const s = child[stream];
    s?.setEncoding('utf8');
    const onData = (chunk: string): void => {
      seen += chunk;
      const m = re.exec(seen);
      if (m !== null) {
        s?.off('data', onData);
        resolve(m);
      }
    };
    s?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it was ready:\n${seen}${log()}`)));
    child.once('error', reject);
  });
}

export async function startBare(): Promise<RunningTarget> {
  const child = spawn(process.execPath, [join(REPO, 'dist', 'bench', 'ingest', 'bare-server.js'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = collect(child);
  const m = await waitFor(child, 'stdout', /\{"listening":(\d+)\}/, 'the bare server', stderr);
  child.stdout?.resume();
  return track('bare node:http', child, Number(m[1]), {}, stderr);
}

export async function startSwitchyard(dataDir: string, nodeArgs: readonly string[] = []): Promise<RunningTarget> {
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'bin', 'switchyard.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = collect(child);
  const m = await waitFor(child, 'stderr', /"msg":"listening","url":"http:\/\/[^"]*:(\d+)"/, 'switchyard', () => '');
  child.stdout?.resume();
  return track('switchyard', child, Number(m[1]), {}, stderr);
}

/** moto_server's version, or null when it is not installed. */
export function motoVersion(): string | null {
  const r = spawnSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
  const which = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// moto_server picks the service from the credential scope of the Authorization header and does not
// check the signature.
const MOTO_HEADERS = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20260101/us-east-1/events/aws4_request, SignedHeaders=host;x-amz-target, Signature=0',
};

export async function startMoto(): Promise<RunningTarget> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = collect(child);
  child.stdout?.resume();
  const target = track('moto_server', child, port, MOTO_HEADERS, stderr);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${stderr()}`);
    try {
      await api(target, 'ListEventBuses', {});
      return target;
    } catch (e) {
      if (Date.now() > deadline) {
        await target.stop();
        throw new Error(`moto_server did not answer within 30 s: ${String(e)}\n${stderr()}`);
      }
      await sleep(100);
    }
  }
}

/** One EventBridge API call (AWS JSON 1.1, unsigned); the parsed output, or an error with AWS's body. */
export function api(target: RunningTarget, operation: string, input: unknown): Promise<Record<string, unknown>> {
  const body = Buffer.from(JSON.stringify(input));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `AWSEvents.${operation}`,
          'content-length': body.length,
          ...target.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new Error(`${target.name} ${operation}: HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
            return;
          }
          try {
            resolve(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>));
          } catch {
            reject(new Error(`${target.name} ${operation}: not JSON: ${text.slice(0, 500)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const SINK_BUS = 'bench-sink';

/** Switchyard's target: a function it owes deliveries to but never calls (it has no Lambda). */
export const SWITCHYARD_SINK = 'arn:aws:lambda:us-east-1:123456789012:function:bench-sink';

/**
 * Creates each rule on the default bus with one target: for moto the sink bus (created first),
 * for Switchyard SWITCHYARD_SINK (see the head of this file).
 */
export async function createRules(target: RunningTarget, rules: readonly BenchRule[]): Promise<void> {
  let sinkArn = SWITCHYARD_SINK;
  if (target.name !== 'switchyard') {
    const sink = await api(target, 'CreateEventBus', { Name: SINK_BUS });
    if (typeof sink.EventBusArn !== 'string') throw new Error(`${target.name} CreateEventBus: no EventBusArn in ${JSON.stringify(sink)}`);
    sinkArn = sink.EventBusArn;
  }
  for (const rule of rules) {
    await api(target, 'PutRule', { Name: rule.name, EventPattern: rule.pattern });
    const out = await api(target, 'PutTargets', { Rule: rule.name, Targets: [{ Id: 'sink', Arn: sinkArn }] });
    if (out.FailedEntryCount !== 0) throw new Error(`${target.name} PutTargets ${rule.name}: ${JSON.stringify(out)}`);
  }
}

/** CPU seconds (user + system) the process has used so far, from /proc; null where there is none. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 of the rest (from 1).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
