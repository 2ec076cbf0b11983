// The load generator of the ingest benchmark. It runs in its own process (the runner forks it and
// talks to it over IPC), so that the client and the server under test never share an event loop:
// on a 2-core machine each gets a core.
//
// A round is a closed loop: `concurrency` workers, each with one PutEvents request in flight at a
// time over keep-alive connections (node:http Agent), sending the pre-built bodies of
// workload.ts in turn, until `durationMs` has passed; requests in flight then are awaited, so
// that the next round (maybe against another target) starts on an idle machine. Every request of
// the round counts: events/s is the entries acknowledged over the time from the first request
// to the last answer, and the latencies are those of all requests. (Counting only a fixed window
// would not work for a server that takes seconds per request, as moto does here.)
//
// The requests are unsigned: Switchyard accepts them on loopback when no credentials are
// configured. moto_server routes a request to a service by the Authorization header's credential
// scope (it does not verify it), so the runner passes such a header for moto only.

import { Agent, request } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

import { percentile } from '../common/run-kit.js';
import { ENTRIES_PER_REQUEST, makeWorkload } from './workload.js';
import type { Workload } from './workload.js';

export interface RoundSpec {
  readonly port: number;
  readonly durationMs: number;
  readonly concurrency: number;
  /** Extra request headers (e.g. moto's routing Authorization header). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RoundResult {
  /** Requests answered with a 200. */
  readonly requests: number;
  /** Entries acknowledged with an EventId. */
  readonly events: number;
  /** From the first request to the last answer. */
  readonly elapsedMs: number;
  readonly eventsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Entries answered with an ErrorCode. */
  readonly failedEntries: number;
  /** Responses other than 200, unreadable responses and transport errors. */
  readonly errors: number;
  readonly firstError?: string;
  /** The load generator's CPU time over the round, as a percentage of one core. */
  readonly clientCpuPct: number;
  /** Per entry of the workload (body * ENTRIES_PER_REQUEST + index): times acknowledged in the round. */
  readonly ackedPerEntry: readonly number[];
}


interface Reply {
  readonly status: number;
  readonly text: string;
}

function post(agent: Agent, port: number, headers: OutgoingHttpHeaders, body: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// A round gives up after this many errors (a target that refuses everything should not spin).
const MAX_ERRORS = 1_000;

export async function runRound(workload: Workload, spec: RoundSpec): Promise<RoundResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const headers: OutgoingHttpHeaders[] = workload.bodies.map((b) => ({
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'AWSEvents.PutEvents',
    'content-length': b.length,
    ...spec.headers,
  }));
  const ackedPerEntry = new Array<number>(workload.bodies.length * ENTRIES_PER_REQUEST).fill(0);
  const latencies: number[] = [];
  let next = 0;
  let requests = 0;
  let events = 0;
  let failedEntries = 0;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (what: string): void => {
    errors++;
    firstError ??= what;
  };

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + spec.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && errors < MAX_ERRORS) {
      const i = next++ % workload.bodies.length;
      const t0 = performance.now();
      let reply: Reply;
      try {
        reply = await post(agent, spec.port, headers[i] as OutgoingHttpHeaders, workload.bodies[i] as Buffer);
      } catch (e) {
        fail(String(e));
        continue;
      }
      const t1 = performance.now();
      if (reply.status !== 200) {
        fail(`HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
        continue;
      }
      let entries: unknown;
      try {
        entries = (JSON.parse(reply.text) as { Entries?: unknown }).Entries;
      } catch {
        entries = undefined;
      }
      if (!Array.isArray(entries) || entries.length !== ENTRIES_PER_REQUEST) {
        fail(`unexpected response: ${reply.text.slice(0, 300)}`);
        continue;
      }
      let ok = 0;
      entries.forEach((e: { EventId?: unknown; ErrorCode?: unknown }, j) => {
        if (typeof e.EventId === 'string') {
          ok++;
          (ackedPerEntry[i * ENTRIES_PER_REQUEST + j] as number)++;
        } else {
          failedEntries++;
          firstError ??= `entry error: ${JSON.stringify(e)}`;
        }
      });
      requests++;
      events += ok;
      latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();

  const sorted = Float64Array.from(latencies).sort();
  return {
    requests,
    events,
    elapsedMs: elapsed,
    eventsPerSec: (events * 1000) / elapsed,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    failedEntries,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
    ackedPerEntry,
  };
}

/** IPC messages from the runner. */
export type LoadCommand =
  | { readonly type: 'init'; readonly seed: number; readonly bodies: number }
  | ({ readonly type: 'round'; readonly id: number } & RoundSpec)
  | { readonly type: 'exit' };

/** IPC messages to the runner. */
export type LoadReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: RoundResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

// As a forked child: serve the runner's commands one at a time.
if (process.send !== undefined) {
  const send = (m: LoadReply): void => {
    process.send?.(m);
  };
  let workload: Workload | undefined;
  let chain = Promise.resolve();
  process.on('message', (m: LoadCommand) => {
    chain = chain.then(async () => {
      if (m.type === 'init') {
        workload = makeWorkload(m.seed, m.bodies);
        send({ type: 'ready' });
      } else if (m.type === 'round') {
        try {
          if (workload === undefined) throw new Error('round before init');
          send({ type: 'result', id: m.id, result: await runRound(workload, m) });
        } catch (e) {
          send({ type: 'error', id: m.id, message: String((e as Error)?.stack ?? e) });
        }
      } else {
        process.disconnect();
      }
    });
  });
}
