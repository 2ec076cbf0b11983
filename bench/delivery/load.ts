// The load generator of the delivery benchmark, and the HTTP sink both targets deliver to. It runs
// in its own process (the runner forks it and talks to it over IPC), so that Switchyard has a core
// of its own on a 2-core machine. The sink lives here too, so the load generator sees each
// delivery as it lands (flow control, latencies) without another hop; its cost is the same for
// both targets, since the same sink receives the same bodies from both.
//
// The sink (node:http, 127.0.0.1, keep-alive): reads the body, JSON.parses it, takes the event's
// `detail.t` (when it was put, ms since the epoch as performance.timeOrigin + performance.now(),
// comparable across processes on one machine) and answers 200 with an empty body at once.
//
// Two targets, measured the same way:
//   switchyard  PutEvents (10 entries each, unsigned AWS JSON 1.1 over an undici Pool) to the
//               server, where one rule sends each event to one API destination at the sink's
//               /switchyard: what the sink receives is the dispatcher's delivery.
//   bare        an undici Pool in this process POSTs each event's body (an envelope of the same
//               shape and size as Switchyard delivers) to the sink's /bare: the ceiling of what
//               an HTTP client can push to this sink from Node.
//
// Throughput (a closed loop, for `durationMs`): `workers` loops, each with one request in flight
// (a PutEvents of 10 events for switchyard; one POST for bare, with `workers * 10` loops so that
// as many events are in the air); a loop waits while `maxBacklog` events are sent and not yet
// received by the sink, so the server's backlog stays bounded and the next round starts clean.
// deliveries/s = deliveries the sink received in the steady window (from `skipMs` after the start
// to the end of the put window) / the window's length. After the window the round waits until
// every acknowledged event was received (not timed; `stallMs` without progress gives up).
//
// Latency (paced, for `durationMs`): a batch of 10 events every 10 ms (1,000 events/s) on a
// schedule (a late batch is sent at once, never skipped); each event's detail carries the time
// its request started; the sink records arrival minus that time. For bare, the 10 POSTs of a batch
// start together.

import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

import { percentile } from '../common/run-kit.js';

export type TargetId = 'switchyard' | 'bare';

export interface RoundSpec {
  readonly target: TargetId;
  /** Switchyard's port (PutEvents). */
  readonly serverPort: number;
  readonly durationMs: number;
  /** Throughput only. */
  readonly workers: number;
  readonly maxBacklog: number;
  readonly skipMs: number;
  readonly stallMs: number;
  /** Latency only: events/s, in batches of 10. */
  readonly ratePerSec: number;
  /** Bytes of filler in each event's detail. */
  readonly padBytes: number;
}

export interface RoundResult {
  /** Events acknowledged (switchyard) or answered 200 (bare). */
  readonly sent: number;
  /** Deliveries the sink received in the round (duplicates included). */
  readonly received: number;
  readonly duplicates: number;
  /** Throughput: deliveries in the steady window per second. */
  readonly deliveriesPerSec: number;
  /** Latency: put-to-delivery, ms, every event of the round (sorted). */
  readonly latenciesMs: readonly number[];
  /** PutEvents (or POST) latency p50, ms. */
  readonly requestP50Ms: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly clientCpuPct: number;
}

const MAX_ERRORS = 100;
const now = (): number => performance.timeOrigin + performance.now();


/** What the sink saw of the current round. */
class Sink {
  private readonly server = createServer((req, res) => this.handle(req, res));
  port = 0;
  /** Per event id: deliveries received. */
  seen = new Map<string, number>();
  received = 0;
  duplicates = 0;
  /** Arrival times (ms since the epoch) of the round's deliveries, and put-to-arrival latencies. */
  arrivals: number[] = [];
  latencies: number[] = [];
  unreadable = 0;
  onDelivery: () => void = () => undefined;

  async listen(): Promise<void> {
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  reset(): void {
    this.seen = new Map();
    this.received = 0;
    this.duplicates = 0;
    this.arrivals = [];
    this.latencies = [];
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      let event: { id?: unknown; detail?: { t?: unknown } } | undefined;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof event;
      } catch {
        event = undefined;
      }
      const id = event?.id;
      const t = event?.detail?.t;
      if (typeof id !== 'string' || typeof t !== 'number') {
        this.unreadable++;
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-length': '0' }).end();
      const n = this.seen.get(id) ?? 0;
      this.seen.set(id, n + 1);
      this.received++;
      if (n > 0) this.duplicates++;
      this.arrivals.push(at);
      this.latencies.push(at - t);
      this.onDelivery();
    });
  }
}

let filler = '';
let serial = 0;

/** One event as PutEvents entry, and the envelope the bare client posts for it. */
function entry(t: number): { Source: string; DetailType: string; Detail: string } {
  return { Source: 'bench.delivery', DetailType: 'Bench', Detail: `{"t":${t},"n":${serial++},"pad":"${filler}"}` };
}

/** The envelope Switchyard would deliver for `e` (same members, same size to a few bytes). */
function envelope(e: ReturnType<typeof entry>): string {
  const n = /"n":(\d+)/.exec(e.Detail)?.[1] ?? '0';
  const id = `bare-${n.padStart(8, '0')}-0000-0000-000000000000`;
  return (
    `{"version":"0","id":"${id}","detail-type":"${e.DetailType}","source":"${e.Source}","account":"000000000000",` +
    `"time":"${new Date().toISOString().slice(0, 19)}Z","region":"us-east-1","resources":[],"detail":${e.Detail}}`
  );
}

const PUT_HEADERS = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' };
const BARE_HEADERS = { 'content-type': 'application/json' };

async function runRound(sink: Sink, spec: RoundSpec, mode: 'throughput' | 'latency'): Promise<RoundResult> {
  sink.reset();
  filler = 'x'.repeat(spec.padBytes);
  const bare = spec.target === 'bare';
  const connections = mode === 'latency' ? 20 : bare ? spec.workers * 10 : spec.workers;
  const pool = bare
    ? new Pool(`http://127.0.0.1:${sink.port}`, { connections, pipelining: 1 })
    : new Pool(`http://127.0.0.1:${spec.serverPort}`, { connections, pipelining: 1 });
  let sent = 0;
  let sending = 0;
  let errors = 0;
  let firstError: string | undefined;
  const requestMs: number[] = [];
  const fail = (what: string): void => {
    errors++;
    firstError ??= what;
  };
  let waiting: (() => void)[] = [];
  let lastProgress = performance.now();
  sink.onDelivery = () => {
    lastProgress = performance.now();
    const w = waiting;
    waiting = [];
    for (const wake of w) wake();
  };

  /** Sends `n` events as one PutEvents (switchyard) or n POSTs (bare); resolves when answered. */
  const send = async (n: number): Promise<void> => {
    const t = now();
    const entries = Array.from({ length: n }, () => entry(t));
    sending += n;
    const t0 = performance.now();
    try {
      if (bare) {
        await Promise.all(
          entries.map(async (e) => {
            const res = await pool.request({ path: '/bare', method: 'POST', headers: BARE_HEADERS, body: envelope(e) });
            await res.body.dump();
            if (res.statusCode !== 200) fail(`POST: HTTP ${res.statusCode}`);
            else sent++;
          }),
        );
      } else {
        const res = await pool.request({ path: '/', method: 'POST', headers: PUT_HEADERS, body: JSON.stringify({ Entries: entries }) });
        const text = await res.body.text();
        if (res.statusCode !== 200) fail(`PutEvents: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
        else {
          const out = JSON.parse(text) as { FailedEntryCount?: number };
          if (out.FailedEntryCount !== 0) fail(`PutEvents: ${text.slice(0, 300)}`);
          sent += n - (out.FailedEntryCount ?? 0);
        }
      }
      requestMs.push(performance.now() - t0);
    } catch (e) {
      fail(String(e));
    } finally {
      sending -= n;
    }
  };

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + spec.durationMs;
  if (mode === 'throughput') {
    const batch = bare ? 1 : 10;
    const loops = bare ? spec.workers * 10 : spec.workers;
    const loop = async (): Promise<void> => {
      while (performance.now() < end && errors < MAX_ERRORS) {
        while (sent + sending - sink.received + batch > spec.maxBacklog && performance.now() < end) {
          await new Promise<void>((resolve) => waiting.push(resolve));
        }
        if (performance.now() >= end) return;
        await send(batch);
      }
    };
    // Wake waiting loops at the end of the window even if no delivery comes.
    const endTimer = setTimeout(() => sink.onDelivery(), spec.durationMs + 1);
    await Promise.all(Array.from({ length: loops }, loop));
    clearTimeout(endTimer);
  } else {
    const perBatch = 10;
    const intervalMs = (perBatch * 1000) / spec.ratePerSec;
    const inFlight: Promise<void>[] = [];
    for (let k = 0; ; k++) {
      const at = start + k * intervalMs;
      if (at >= end || errors >= MAX_ERRORS) break;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(send(perBatch));
    }
    await Promise.all(inFlight);
  }
  // The window closes at `end`: count what had arrived by then.
  const endEpoch = performance.timeOrigin + end;
  const fromEpoch = performance.timeOrigin + start + spec.skipMs;
  const inWindow = sink.arrivals.filter((a) => a >= fromEpoch && a < endEpoch).length;

  // Drain (not timed): every acknowledged event received, or no progress for stallMs.
  while (sink.seen.size < sent) {
    const stalled = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), Math.max(0, spec.stallMs - (performance.now() - lastProgress)));
      waiting.push(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (stalled && performance.now() - lastProgress >= spec.stallMs) {
      fail(`no delivery for ${spec.stallMs} ms: ${sent - sink.seen.size} acknowledged event(s) not delivered`);
      break;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - start;
  await pool.close();
  if (sink.unreadable > 0) fail(`${sink.unreadable} unreadable requests at the sink`);
  sink.unreadable = 0;
  requestMs.sort((a, b) => a - b);
  return {
    sent,
    received: sink.received,
    duplicates: sink.duplicates,
    deliveriesPerSec: mode === 'throughput' ? (inWindow * 1000) / (spec.durationMs - spec.skipMs) : Number.NaN,
    latenciesMs: mode === 'latency' ? [...sink.latencies].sort((a, b) => a - b) : [],
    requestP50Ms: percentile(requestMs, 0.5),
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
  };
}

/** IPC messages from the runner. */
export type LoadCommand =
  | { readonly type: 'sink'; readonly id: number }
  | { readonly type: 'throughput'; readonly id: number; readonly spec: RoundSpec }
  | { readonly type: 'latency'; readonly id: number; readonly spec: RoundSpec }
  | { readonly type: 'exit' };

type LoadReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: RoundResult | { port: number } }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

// As a forked child: start the sink, then serve the runner's commands one at a time.
if (process.send !== undefined) {
  const send = (m: LoadReply): void => {
    process.send?.(m);
  };
  const sink = new Sink();
  await sink.listen();
  let chain = Promise.resolve();
  process.on('message', (m: LoadCommand) => {
    chain = chain.then(async () => {
      if (m.type === 'exit') {
        process.disconnect();
        process.exit(0);
      }
      try {
        const result = m.type === 'sink' ? { port: sink.port } : await runRound(sink, m.spec, m.type);
        send({ type: 'result', id: m.id, result });
      } catch (e) {
        send({ type: 'error', id: m.id, message: String((e as Error)?.stack ?? e) });
      }
    });
  });
  send({ type: 'ready' });
}
