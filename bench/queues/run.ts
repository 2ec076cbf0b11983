// The queue benchmark: SQS throughput (send, receive and delete in batches of 10) and long-poll
// wake-up latency of Switchyard beside moto_server (the emulator a user would otherwise pick),
// under the same load, measured in the same run on the same machine, on a standard and a FIFO
// queue.
//
//   npm run bench:queues                  build, then the full run (about 4 minutes)
//   node dist/bench/queues/run.js [--quick] [--json FILE] [--targets LIST] [--variants LIST] [--only WHAT]
//
//   --quick            a smoke run (about 1 minute): short rounds, 30 wake-up trials
//   --json FILE        also write the figures as JSON
//   --targets LIST     which of switchyard,moto to measure (default both; moto is skipped, with a
//                      note, when moto_server is not installed)
//   --variants LIST    standard,fifo (default both)
//   --only WHAT        throughput or latency (default both)
//   --rounds N, --round-ms MS, --warmup-ms MS, --producers N, --consumers N, --max-backlog N,
//   --trials N, --settle-ms MS
//                      override the plan
//
// The load: a separate process (load.ts, whose header says exactly what a round does) sends raw
// AWS JSON 1.0 requests, unsigned, over keep-alive connections (client.ts says why not the SDK).
// Throughput: 4 producers (SendMessageBatch of 10 bodies of 256 bytes) and 4 consumers
// (ReceiveMessage of up to 10 with a 1 s long poll, then DeleteMessageBatch), at most 1,000
// messages queued; messages/s counts messages sent, received and deleted. FIFO: each batch goes
// to one of 32 message groups, in turn, with explicit deduplication ids. Wake-up: one consumer
// parked in ReceiveMessage (WaitTimeSeconds 20) on an empty queue, one SendMessage; the time from
// the send's answer to the receive's answer, over 200 trials per target and variant.
// Switchyard runs as shipped: SQLite in WAL mode, synchronous=FULL.
//
// Noise: the machine is shared, so throughput figures are MEDIANS of interleaved rounds (A B,
// B A, ...) and what is compared is a ratio of figures of the same run; the wake-up trials are
// run in interleaved slices too and pooled for their percentiles. Per round the table also shows
// the CPU the server process and the load generator used (from /proc, as % of one core).
//
// After the rounds Switchyard is stopped and its store checked: every message it acknowledged was
// received and deleted, so no message row may be left.
//
// This is a benchmark, not a test: nothing is asserted about speed; the exit code says only
// whether the run itself worked (errors, lost messages and the store check).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

import { LoadProcess, fmt, median, pct, percentile, progress, table } from '../common/run-kit.js';
import { DATABASE_FILE } from '../../src/store/sqlite/sqlite-store.js';
import type { RunningTarget } from '../ingest/targets.js';
import { REPO, cpuSeconds, motoVersion, startMoto, startSwitchyard } from '../ingest/targets.js';
import { MOTO_SQS_HEADERS, SqsClient, createQueue } from './client.js';
import type { Endpoint } from './client.js';
import type { LatencyResult, LatencySpec, LoadCommand, ThroughputResult, ThroughputSpec } from './load.js';

interface Plan {
  readonly quick: boolean;
  readonly producers: number;
  readonly consumers: number;
  /** Most messages acknowledged and not yet deleted; producers wait beyond it. */
  readonly maxBacklog: number;
  /** Consumers' long poll in the throughput rounds. */
  readonly waitTimeSeconds: number;
  readonly bodyBytes: number;
  /** FIFO message groups in the throughput rounds. */
  readonly groups: number;
  /** Timed throughput rounds per target and variant. */
  readonly rounds: number;
  readonly roundMs: number;
  /** One untimed round per target and variant first (JIT, SQLite page cache, moto's imports). */
  readonly warmupMs: number;
  /** Wake-up trials per target and variant, run in `rounds` interleaved slices. */
  readonly trials: number;
  readonly warmupTrials: number;
  readonly settleMs: number;
}

const FULL: Plan = {
  quick: false,
  producers: 4,
  consumers: 4,
  maxBacklog: 1_000,
  waitTimeSeconds: 1,
  bodyBytes: 256,
  groups: 32,
  rounds: 5,
  roundMs: 5_000,
  warmupMs: 2_000,
  trials: 200,
  warmupTrials: 10,
  settleMs: 50,
};

const QUICK: Plan = { ...FULL, quick: true, rounds: 3, roundMs: 1_500, warmupMs: 1_000, trials: 30, warmupTrials: 3 };

type TargetId = 'switchyard' | 'moto';
const ALL_TARGETS: readonly TargetId[] = ['switchyard', 'moto'];
type Variant = 'standard' | 'fifo';
const ALL_VARIANTS: readonly Variant[] = ['standard', 'fifo'];
/** A throughput round gives up after this long without a delete (longer than the default 30 s visibility timeout). */
const STALL_MS = 35_000;

interface Target {
  readonly id: TargetId;
  readonly running: RunningTarget;
  readonly endpoint: Endpoint;
  /** Queue URLs by variant. */
  readonly throughputQueue: Map<Variant, string>;
  readonly wakeQueue: Map<Variant, string>;
}

interface MeasuredRound extends ThroughputResult {
  /** CPU of the server process over the round, % of one core (null without /proc). */
  readonly serverCpuPct: number | null;
}

interface ThroughputFigures {
  readonly variant: Variant;
  readonly id: TargetId;
  readonly name: string;
  readonly rounds: readonly MeasuredRound[];
  readonly messagesPerSec: number;
  readonly sendP50Ms: number;
  readonly sendP99Ms: number;
  readonly receiveP50Ms: number;
  readonly receiveP99Ms: number;
  readonly deleteP50Ms: number;
  readonly deleteP99Ms: number;
  readonly serverCpuPct: number | null;
  readonly clientCpuPct: number;
  readonly errors: number;
  readonly duplicates: number;
}

interface LatencyFigures {
  readonly variant: Variant;
  readonly id: TargetId;
  readonly name: string;
  readonly trials: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly fromStartP50Ms: number;
  readonly fromStartP99Ms: number;
  /** SendMessage's own latency. */
  readonly sendP50Ms: number;
  /** p50 of each interleaved slice. */
  readonly sliceP50Ms: readonly number[];
  readonly misses: number;
  readonly errors: number;
}






function throughputSpec(target: Target, variant: Variant, plan: Plan, durationMs: number): ThroughputSpec {
  return {
    ...target.endpoint,
    queueUrl: target.throughputQueue.get(variant) as string,
    fifo: variant === 'fifo',
    producers: plan.producers,
    consumers: plan.consumers,
    durationMs,
    maxBacklog: plan.maxBacklog,
    waitTimeSeconds: plan.waitTimeSeconds,
    bodyBytes: plan.bodyBytes,
    groups: plan.groups,
    stallMs: STALL_MS,
  };
}

async function measure(loader: LoadProcess<LoadCommand>, target: Target, variant: Variant, plan: Plan, durationMs: number): Promise<MeasuredRound> {
  const cpu0 = cpuSeconds(target.running.pid);
  const t0 = performance.now();
  const r = await loader.ask<ThroughputResult>({ type: 'throughput', spec: throughputSpec(target, variant, plan, durationMs) });
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(target.running.pid);
  return { ...r, serverCpuPct: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) / wallS) * 100 };
}

function roundLine(r: ThroughputResult & { serverCpuPct: number | null }): string {
  return (
    `${fmt(r.messagesPerSec)} messages/s (${fmt(r.deleted)} in ${fmt(r.elapsedMs / 1000, 2)} s), send p50 ${fmt(r.sendP50Ms, 1)} ms, ` +
    `receive p50 ${fmt(r.receiveP50Ms, 1)} ms (${fmt(r.emptyReceives)} empty), delete p50 ${fmt(r.deleteP50Ms, 1)} ms, server CPU ${pct(r.serverCpuPct)}, client CPU ${pct(r.clientCpuPct)}` +
    (r.duplicates > 0 ? `, ${r.duplicates} duplicates` : '') +
    (r.errors > 0 ? `, ${r.errors} errors: ${r.firstError}` : '')
  );
}

async function runThroughput(loader: LoadProcess<LoadCommand>, targets: readonly Target[], variant: Variant, plan: Plan): Promise<ThroughputFigures[]> {
  for (const t of targets) {
    const r = await measure(loader, t, variant, plan, plan.warmupMs);
    progress(`${variant} warm-up ${t.running.name}: ${roundLine(r)}`);
  }
  const rounds = new Map<TargetId, MeasuredRound[]>(targets.map((t) => [t.id, []]));
  for (let i = 0; i < plan.rounds; i++) {
    for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
      const r = await measure(loader, t, variant, plan, plan.roundMs);
      rounds.get(t.id)?.push(r);
      progress(`${variant} round ${i + 1}/${plan.rounds} ${t.running.name}: ${roundLine(r)}`);
    }
  }
  return targets.map((t) => {
    const rs = rounds.get(t.id) as MeasuredRound[];
    const server = rs.map((r) => r.serverCpuPct).filter((v): v is number => v !== null);
    const med = (f: (r: MeasuredRound) => number): number => median(rs.map(f));
    return {
      variant,
      id: t.id,
      name: t.running.name,
      rounds: rs,
      messagesPerSec: med((r) => r.messagesPerSec),
      sendP50Ms: med((r) => r.sendP50Ms),
      sendP99Ms: med((r) => r.sendP99Ms),
      receiveP50Ms: med((r) => r.receiveP50Ms),
      receiveP99Ms: med((r) => r.receiveP99Ms),
      deleteP50Ms: med((r) => r.deleteP50Ms),
      deleteP99Ms: med((r) => r.deleteP99Ms),
      serverCpuPct: server.length === 0 ? null : median(server),
      clientCpuPct: med((r) => r.clientCpuPct),
      errors: rs.reduce((n, r) => n + r.errors, 0),
      duplicates: rs.reduce((n, r) => n + r.duplicates, 0),
    };
  });
}

async function runLatency(loader: LoadProcess<LoadCommand>, targets: readonly Target[], variant: Variant, plan: Plan): Promise<LatencyFigures[]> {
  const spec = (t: Target, trials: number): LatencySpec => ({
    ...t.endpoint,
    queueUrl: t.wakeQueue.get(variant) as string,
    fifo: variant === 'fifo',
    trials,
    settleMs: plan.settleMs,
  });
  for (const t of targets) {
    const r = await loader.ask<LatencyResult>({ type: 'latency', spec: spec(t, plan.warmupTrials) });
    progress(`${variant} wake-up warm-up ${t.running.name}: p50 ${fmt(median(r.afterSendMs), 2)} ms${r.errors > 0 ? `, ${r.errors} errors: ${r.firstError}` : ''}`);
  }
  const slices = plan.rounds;
  const results = new Map<TargetId, LatencyResult[]>(targets.map((t) => [t.id, []]));
  for (let i = 0; i < slices; i++) {
    // Spread the trials over the slices (the first ones take the remainder).
    const trials = Math.floor(plan.trials / slices) + (i < plan.trials % slices ? 1 : 0);
    for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
      const r = await loader.ask<LatencyResult>({ type: 'latency', spec: spec(t, trials) });
      results.get(t.id)?.push(r);
      const s = Float64Array.from(r.afterSendMs).sort();
      progress(
        `${variant} wake-up slice ${i + 1}/${slices} ${t.running.name}: ${r.afterSendMs.length} trials, p50 ${fmt(percentile(s, 0.5), 2)} ms, ` +
          `max ${fmt(percentile(s, 1), 2)} ms` +
          (r.misses > 0 ? `, ${r.misses} missed wake-ups` : '') +
          (r.errors > 0 ? `, ${r.errors} errors: ${r.firstError}` : ''),
      );
    }
  }
  return targets.map((t) => {
    const rs = results.get(t.id) as LatencyResult[];
    const after = Float64Array.from(rs.flatMap((r) => r.afterSendMs)).sort();
    const fromStart = Float64Array.from(rs.flatMap((r) => r.fromSendStartMs)).sort();
    return {
      variant,
      id: t.id,
      name: t.running.name,
      trials: after.length,
      p50Ms: percentile(after, 0.5),
      p90Ms: percentile(after, 0.9),
      p99Ms: percentile(after, 0.99),
      maxMs: percentile(after, 1),
      fromStartP50Ms: percentile(fromStart, 0.5),
      fromStartP99Ms: percentile(fromStart, 0.99),
      sendP50Ms: median(rs.flatMap((r) => r.sendMs)),
      sliceP50Ms: rs.map((r) => median(r.afterSendMs)),
      misses: rs.reduce((n, r) => n + r.misses, 0),
      errors: rs.reduce((n, r) => n + r.errors, 0),
    };
  });
}

/** Message rows left in Switchyard's store (all were deleted by the consumers: 0). */
function leftInStore(dataDir: string): number {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function setUp(id: TargetId, running: RunningTarget, variants: readonly Variant[]): Promise<Target> {
  const endpoint: Endpoint = { port: running.port, headers: id === 'moto' ? MOTO_SQS_HEADERS : {} };
  const client = new SqsClient(endpoint, 1);
  const throughputQueue = new Map<Variant, string>();
  const wakeQueue = new Map<Variant, string>();
  try {
    for (const v of variants) {
      const suffix = v === 'fifo' ? '.fifo' : '';
      throughputQueue.set(v, await createQueue(client, `bench-throughput${suffix}`));
      wakeQueue.set(v, await createQueue(client, `bench-wake${suffix}`));
    }
  } finally {
    client.close();
  }
  return { id, running, endpoint, throughputQueue, wakeQueue };
}

function report(plan: Plan, throughput: readonly ThroughputFigures[], latency: readonly LatencyFigures[]): string {
  const out: string[] = [];
  if (throughput.length > 0) {
    out.push(
      `Throughput: ${plan.producers} producers (SendMessageBatch of 10 x ${plan.bodyBytes} bytes), ${plan.consumers} consumers ` +
        `(ReceiveMessage of up to 10, WaitTimeSeconds ${plan.waitTimeSeconds}, then DeleteMessageBatch), backlog <= ${fmt(plan.maxBacklog)}; ` +
        `messages sent, received and deleted per second; median of ${plan.rounds} interleaved rounds of ${fmt(plan.roundMs / 1000, 1)} s ` +
        `after a ${fmt(plan.warmupMs / 1000, 1)} s warm-up; latencies in ms, medians of the rounds' p50 and p99`,
      '',
      table(
        ['queue', 'target', 'messages/s', 'send p50', 'send p99', 'recv p50', 'recv p99', 'del p50', 'del p99', 'server CPU', 'client CPU', 'messages/s per round'],
        throughput.map((f) => [
          f.variant,
          f.name,
          fmt(f.messagesPerSec),
          fmt(f.sendP50Ms, 1),
          fmt(f.sendP99Ms, 1),
          fmt(f.receiveP50Ms, 1),
          fmt(f.receiveP99Ms, 1),
          fmt(f.deleteP50Ms, 1),
          fmt(f.deleteP99Ms, 1),
          pct(f.serverCpuPct),
          pct(f.clientCpuPct),
          f.rounds.map((r) => fmt(r.messagesPerSec)).join(' '),
        ]),
      ),
      '',
    );
    for (const v of ALL_VARIANTS) {
      const sy = throughput.find((f) => f.variant === v && f.id === 'switchyard');
      const moto = throughput.find((f) => f.variant === v && f.id === 'moto');
      if (sy === undefined || moto === undefined) continue;
      const perRound = sy.rounds.map((r, i) => r.messagesPerSec / ((moto.rounds[i] as MeasuredRound).messagesPerSec || Number.NaN));
      out.push(
        `${v}: Switchyard/moto ${fmt(sy.messagesPerSec / moto.messagesPerSec, 2)}x messages/s ` +
          `(per round ${fmt(Math.min(...perRound), 2)}-${fmt(Math.max(...perRound), 2)}x)`,
      );
    }
    for (const f of throughput) {
      if (f.errors > 0 || f.duplicates > 0) out.push(`${f.variant} ${f.name}: ${f.errors} errors, ${f.duplicates} duplicate deliveries`);
    }
    out.push('');
  }
  if (latency.length > 0) {
    out.push(
      `Long-poll wake-up: a ReceiveMessage parked (WaitTimeSeconds 20) on an empty queue, then one SendMessage on another connection; ` +
        `ms from the send's answer to the receive's answer (p50/p90/p99/max over all trials), and from the send's start; ` +
        `${plan.trials} trials per target in ${plan.rounds} interleaved slices`,
      '',
      table(
        ['queue', 'target', 'trials', 'p50', 'p90', 'p99', 'max', 'from send start p50', 'from send start p99', 'send p50', 'p50 per slice', 'missed'],
        latency.map((f) => [
          f.variant,
          f.name,
          String(f.trials),
          fmt(f.p50Ms, 2),
          fmt(f.p90Ms, 2),
          fmt(f.p99Ms, 2),
          fmt(f.maxMs, 2),
          fmt(f.fromStartP50Ms, 2),
          fmt(f.fromStartP99Ms, 2),
          fmt(f.sendP50Ms, 2),
          f.sliceP50Ms.map((v) => fmt(v, 2)).join(' '),
          String(f.misses),
        ]),
      ),
      '',
    );
    for (const v of ALL_VARIANTS) {
      const sy = latency.find((f) => f.variant === v && f.id === 'switchyard');
      const moto = latency.find((f) => f.variant === v && f.id === 'moto');
      if (sy === undefined || moto === undefined) continue;
      // The figures from the send's answer are near zero (both servers answer the parked receive
      // while they answer the send), so their ratio says nothing; compare from the send's start.
      out.push(
        `${v}: wake-up from the send's start, moto/Switchyard: p50 ${fmt(moto.fromStartP50Ms / sy.fromStartP50Ms, 2)}x, ` +
          `p99 ${fmt(moto.fromStartP99Ms / sy.fromStartP99Ms, 2)}x; from the send's answer: p50 ${fmt(sy.p50Ms, 2)} ms (Switchyard) ` +
          `vs ${fmt(moto.p50Ms, 2)} ms (moto), p99 ${fmt(sy.p99Ms, 2)} vs ${fmt(moto.p99Ms, 2)} ms`,
      );
    }
    for (const f of latency) if (f.errors > 0) out.push(`${f.variant} ${f.name}: ${f.errors} errors in the wake-up trials`);
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      targets: { type: 'string' },
      variants: { type: 'string' },
      only: { type: 'string' },
      rounds: { type: 'string' },
      'round-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      producers: { type: 'string' },
      consumers: { type: 'string' },
      'max-backlog': { type: 'string' },
      trials: { type: 'string' },
      'settle-ms': { type: 'string' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const num = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number(v));
  const plan: Plan = {
    ...base,
    rounds: num(values.rounds, base.rounds),
    roundMs: num(values['round-ms'], base.roundMs),
    warmupMs: num(values['warmup-ms'], base.warmupMs),
    producers: num(values.producers, base.producers),
    consumers: num(values.consumers, base.consumers),
    maxBacklog: num(values['max-backlog'], base.maxBacklog),
    trials: num(values.trials, base.trials),
    settleMs: num(values['settle-ms'], base.settleMs),
  };
  const wanted = (values.targets?.split(',').map((s) => s.trim()) ?? ALL_TARGETS) as TargetId[];
  for (const t of wanted) if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target '${t}' (switchyard, moto)`);
  const variants = (values.variants?.split(',').map((s) => s.trim()) ?? ALL_VARIANTS) as Variant[];
  for (const v of variants) if (!ALL_VARIANTS.includes(v)) throw new Error(`unknown variant '${v}' (standard, fifo)`);
  const only = values.only;
  if (only !== undefined && only !== 'throughput' && only !== 'latency') throw new Error(`--only takes throughput or latency, not '${only}'`);

  const moto = wanted.includes('moto') ? motoVersion() : null;
  const machine = {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    moto: moto ?? 'not installed',
  };
  progress(`queue benchmark: ${JSON.stringify(plan)}`);
  progress(`machine: ${JSON.stringify(machine)}`);
  if (wanted.includes('moto') && moto === null) progress('moto_server is not installed: skipping it');

  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-queues-'));
  const running = new Map<TargetId, RunningTarget>();
  const loader = new LoadProcess<LoadCommand>(join(REPO, 'dist', 'bench', 'queues', 'load.js'));
  const interrupted = (signal: NodeJS.Signals): void => {
    progress(`${signal}: stopping the servers`);
    loader.kill();
    for (const t of running.values()) t.kill();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let status = 0;
  try {
    const targets: Target[] = [];
    if (wanted.includes('switchyard')) {
      const sy = await startSwitchyard(dataDir);
      running.set('switchyard', sy);
      targets.push(await setUp('switchyard', sy, variants));
      progress(`switchyard: data dir ${dataDir}`);
    }
    if (wanted.includes('moto') && moto !== null) {
      const m = await startMoto();
      running.set('moto', m);
      targets.push(await setUp('moto', m, variants));
      progress(`moto_server ${moto} on port ${m.port}`);
    }
    if (targets.length === 0) throw new Error('no target to measure');

    const throughput: ThroughputFigures[] = [];
    const latency: LatencyFigures[] = [];
    for (const v of variants) if (only !== 'latency') throughput.push(...(await runThroughput(loader, targets, v, plan)));
    for (const v of variants) if (only !== 'throughput') latency.push(...(await runLatency(loader, targets, v, plan)));

    let left: number | null = null;
    const sy = running.get('switchyard');
    if (sy !== undefined) {
      const code = await sy.stop();
      running.delete('switchyard');
      if (code !== 0) {
        progress(`switchyard exited with ${code}:\n${sy.stderr().slice(-3000)}`);
        status = 1;
      }
      left = leftInStore(dataDir);
      if (left !== 0) status = 1;
    }
    if (throughput.some((f) => f.errors > 0) || latency.some((f) => f.errors > 0 || f.misses > 0)) status = 1;

    const text = [report(plan, throughput, latency)];
    if (left !== null) text.push(`Switchyard store after the run: ${left} message rows left (every acknowledged message was deleted: expected 0): ${left === 0 ? 'OK' : 'MISMATCH'}`);
    process.stdout.write(`${text.join('\n')}\n`);

    if (values.json !== undefined) {
      writeFileSync(values.json, `${JSON.stringify({ machine, plan, throughput, latency, storeMessagesLeft: left }, null, 2)}\n`);
      progress(`wrote ${values.json}`);
    }
  } finally {
    await loader.close();
    for (const t of running.values()) await t.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return status;
}

process.exitCode = await main();
