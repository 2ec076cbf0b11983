// The delivery benchmark: deliveries/s from PutEvents to a local HTTP sink through one rule and one
// API destination, and put-to-delivery latency at a paced 1,000 events/s, beside a bare undici
// client posting the same bodies to the same sink, measured in the same run on the same machine.
//
//   npm run bench:delivery                build, then the full run (about 1.5 minutes)
//   node dist/bench/delivery/run.js [--quick] [--json FILE] [--only throughput|latency]
//
//   --quick            a smoke run (about 30 s): short rounds
//   --json FILE        also write the figures as JSON
//   --rounds N, --round-ms MS, --skip-ms MS, --warmup-ms MS, --workers N, --max-backlog N,
//   --latency-ms MS, --rate N
//                      override the plan
//   BENCH_NODE_ARGS    Node flags for the server process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
//                      (profiles cover the whole run: the bare rounds are the server's idle time)
//
// The load and the sink: a separate process (load.ts, whose header says exactly what a round does
// and how both targets are driven). Switchyard runs as shipped (SQLite, WAL, synchronous=FULL;
// bound to loopback, so the API destination may point at 127.0.0.1), with one connection
// (API_KEY), one API destination (POST to the sink, InvocationRateLimitPerSecond raised far above
// AWS's default of 300 so that it does not bound the figures), one rule (source bench.delivery)
// with that destination as its one target.
//
// Noise: the machine is shared, so figures are MEDIANS of interleaved rounds (A B, B A, ...) and
// what is compared is a ratio of figures of the same run; latency rounds are interleaved too and
// pooled for their percentiles.
//
// This is a benchmark, not a test: nothing is asserted about speed; the exit code says only
// whether the run itself worked (errors, undelivered events).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { LoadProcess, fmt, median, pct, percentile, progress, table } from '../common/run-kit.js';
import type { RunningTarget } from '../ingest/targets.js';
import { REPO, api, cpuSeconds, startSwitchyard } from '../ingest/targets.js';
import type { LoadCommand, RoundResult, RoundSpec, TargetId } from './load.js';

interface Plan {
  readonly quick: boolean;
  /** Throughput: loops with one request in flight (PutEvents of 10; bare: 10x as many POSTs of 1). */
  readonly workers: number;
  readonly maxBacklog: number;
  readonly rounds: number;
  readonly roundMs: number;
  /** The start of a round left out of its steady window. */
  readonly skipMs: number;
  readonly warmupMs: number;
  readonly latencyMs: number;
  readonly rate: number;
  readonly padBytes: number;
}

const FULL: Plan = {
  quick: false,
  workers: 4,
  maxBacklog: 2_000,
  rounds: 5,
  roundMs: 5_000,
  skipMs: 1_000,
  warmupMs: 2_000,
  latencyMs: 4_000,
  rate: 1_000,
  padBytes: 200,
};
const QUICK: Plan = { ...FULL, quick: true, rounds: 3, roundMs: 2_000, skipMs: 500, warmupMs: 1_000, latencyMs: 2_000 };

const TARGETS: readonly TargetId[] = ['switchyard', 'bare'];
const NAMES: Record<TargetId, string> = { switchyard: 'switchyard (PutEvents -> API destination)', bare: 'bare undici client' };
const STALL_MS = 30_000;

interface Measured extends RoundResult {
  readonly serverCpuPct: number | null;
}

interface ThroughputFigures {
  readonly id: TargetId;
  readonly deliveriesPerSec: number;
  readonly perRound: readonly number[];
  readonly requestP50Ms: number;
  readonly serverCpuPct: number | null;
  readonly clientCpuPct: number;
  readonly duplicates: number;
  readonly errors: number;
}

interface LatencyFigures {
  readonly id: TargetId;
  readonly events: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly roundP99Ms: readonly number[];
  readonly requestP50Ms: number;
  readonly serverCpuPct: number | null;
  readonly errors: number;
}

async function measure(loader: LoadProcess<LoadCommand>, server: RunningTarget, type: 'throughput' | 'latency', spec: RoundSpec): Promise<Measured> {
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  const r = await loader.ask<RoundResult>({ type, spec });
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(server.pid);
  return { ...r, serverCpuPct: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) / wallS) * 100 };
}

function spec(target: TargetId, server: RunningTarget, plan: Plan, durationMs: number): RoundSpec {
  return {
    target,
    serverPort: server.port,
    durationMs,
    workers: plan.workers,
    maxBacklog: plan.maxBacklog,
    skipMs: Math.min(plan.skipMs, durationMs / 2),
    stallMs: STALL_MS,
    ratePerSec: plan.rate,
    padBytes: plan.padBytes,
  };
}

function problems(r: RoundResult): string {
  return (r.duplicates > 0 ? `, ${r.duplicates} duplicates` : '') + (r.errors > 0 ? `, ${r.errors} errors: ${r.firstError}` : '');
}

/** The order of round i: A B, then B A, ... */
const order = (i: number): readonly TargetId[] => (i % 2 === 0 ? TARGETS : [...TARGETS].reverse());

async function runThroughput(loader: LoadProcess<LoadCommand>, server: RunningTarget, plan: Plan): Promise<ThroughputFigures[]> {
  for (const id of TARGETS) {
    const r = await measure(loader, server, 'throughput', spec(id, server, plan, plan.warmupMs));
    progress(`throughput warm-up ${id}: ${fmt(r.deliveriesPerSec)} deliveries/s${problems(r)}`);
  }
  const rounds = new Map<TargetId, Measured[]>(TARGETS.map((id) => [id, []]));
  for (let i = 0; i < plan.rounds; i++) {
    for (const id of order(i)) {
      const r = await measure(loader, server, 'throughput', spec(id, server, plan, plan.roundMs));
      rounds.get(id)?.push(r);
      progress(
        `throughput round ${i + 1}/${plan.rounds} ${id}: ${fmt(r.deliveriesPerSec)} deliveries/s (${fmt(r.received)} delivered), ` +
          `request p50 ${fmt(r.requestP50Ms, 1)} ms, server CPU ${pct(r.serverCpuPct)}, client+sink CPU ${pct(r.clientCpuPct)}${problems(r)}`,
      );
    }
  }
  return TARGETS.map((id) => {
    const rs = rounds.get(id) as Measured[];
    const server = rs.map((r) => r.serverCpuPct).filter((v): v is number => v !== null);
    return {
      id,
      deliveriesPerSec: median(rs.map((r) => r.deliveriesPerSec)),
      perRound: rs.map((r) => r.deliveriesPerSec),
      requestP50Ms: median(rs.map((r) => r.requestP50Ms)),
      serverCpuPct: server.length === 0 ? null : median(server),
      clientCpuPct: median(rs.map((r) => r.clientCpuPct)),
      duplicates: rs.reduce((n, r) => n + r.duplicates, 0),
      errors: rs.reduce((n, r) => n + r.errors, 0),
    };
  });
}

async function runLatency(loader: LoadProcess<LoadCommand>, server: RunningTarget, plan: Plan): Promise<LatencyFigures[]> {
  for (const id of TARGETS) {
    const r = await measure(loader, server, 'latency', spec(id, server, plan, plan.warmupMs));
    progress(`latency warm-up ${id}: p50 ${fmt(percentile(r.latenciesMs, 0.5), 2)} ms${problems(r)}`);
  }
  const rounds = new Map<TargetId, Measured[]>(TARGETS.map((id) => [id, []]));
  for (let i = 0; i < plan.rounds; i++) {
    for (const id of order(i)) {
      const r = await measure(loader, server, 'latency', spec(id, server, plan, plan.latencyMs));
      rounds.get(id)?.push(r);
      progress(
        `latency round ${i + 1}/${plan.rounds} ${id}: ${fmt(r.latenciesMs.length)} events, p50 ${fmt(percentile(r.latenciesMs, 0.5), 2)} ms, ` +
          `p99 ${fmt(percentile(r.latenciesMs, 0.99), 2)} ms, max ${fmt(percentile(r.latenciesMs, 1), 2)} ms, server CPU ${pct(r.serverCpuPct)}${problems(r)}`,
      );
    }
  }
  return TARGETS.map((id) => {
    const rs = rounds.get(id) as Measured[];
    const all = rs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const server = rs.map((r) => r.serverCpuPct).filter((v): v is number => v !== null);
    return {
      id,
      events: all.length,
      p50Ms: percentile(all, 0.5),
      p90Ms: percentile(all, 0.9),
      p99Ms: percentile(all, 0.99),
      maxMs: percentile(all, 1),
      roundP99Ms: rs.map((r) => percentile(r.latenciesMs, 0.99)),
      requestP50Ms: median(rs.map((r) => r.requestP50Ms)),
      serverCpuPct: server.length === 0 ? null : median(server),
      errors: rs.reduce((n, r) => n + r.errors, 0),
    };
  });
}

function report(plan: Plan, throughput: readonly ThroughputFigures[], latency: readonly LatencyFigures[]): string {
  const out: string[] = [];
  if (throughput.length > 0) {
    out.push(
      `Throughput: deliveries/s the sink received in the steady window (${fmt(plan.skipMs / 1000, 1)} s to ${fmt(plan.roundMs / 1000, 1)} s of each round); ` +
        `switchyard: ${plan.workers} loops of PutEvents x 10; bare: ${plan.workers * 10} loops of one POST; backlog <= ${fmt(plan.maxBacklog)} events; ` +
        `median of ${plan.rounds} interleaved rounds after a ${fmt(plan.warmupMs / 1000, 1)} s warm-up`,
      '',
      table(
        ['target', 'deliveries/s', 'request p50 ms', 'server CPU', 'load+sink CPU', 'deliveries/s per round'],
        throughput.map((f) => [
          NAMES[f.id],
          fmt(f.deliveriesPerSec),
          fmt(f.requestP50Ms, 1),
          f.id === 'bare' ? '-' : pct(f.serverCpuPct),
          pct(f.clientCpuPct),
          f.perRound.map((v) => fmt(v)).join(' '),
        ]),
      ),
      '',
    );
    const sy = throughput.find((f) => f.id === 'switchyard');
    const bare = throughput.find((f) => f.id === 'bare');
    if (sy !== undefined && bare !== undefined) {
      const perRound = sy.perRound.map((v, i) => v / (bare.perRound[i] as number));
      out.push(
        `switchyard / bare: ${fmt((sy.deliveriesPerSec / bare.deliveriesPerSec) * 100)}% of the bare client's deliveries/s ` +
          `(per round ${perRound.map((r) => `${fmt(r * 100)}%`).join(' ')}; goal >= 50%)`,
        '',
      );
    }
  }
  if (latency.length > 0) {
    out.push(
      `Latency: put-to-delivery (sink arrival minus the request's start, ms) at a paced ${fmt(plan.rate)} events/s in batches of 10, ` +
        `${plan.rounds} interleaved rounds of ${fmt(plan.latencyMs / 1000, 1)} s per target, pooled`,
      '',
      table(
        ['target', 'events', 'p50', 'p90', 'p99', 'max', 'p99 per round', 'request p50', 'server CPU'],
        latency.map((f) => [
          NAMES[f.id],
          fmt(f.events),
          fmt(f.p50Ms, 2),
          fmt(f.p90Ms, 2),
          fmt(f.p99Ms, 2),
          fmt(f.maxMs, 2),
          f.roundP99Ms.map((v) => fmt(v, 1)).join(' '),
          fmt(f.requestP50Ms, 2),
          f.id === 'bare' ? '-' : pct(f.serverCpuPct),
        ]),
      ),
      '',
    );
    const sy = latency.find((f) => f.id === 'switchyard');
    if (sy !== undefined) out.push(`switchyard p99 put-to-delivery at ${fmt(plan.rate)} events/s: ${fmt(sy.p99Ms, 2)} ms (goal < 20 ms)`, '');
  }
  return out.join('\n');
}

async function setUp(server: RunningTarget, sinkPort: number): Promise<void> {
  const connection = await api(server, 'CreateConnection', {
    Name: 'bench-sink',
    AuthorizationType: 'API_KEY',
    AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-bench', ApiKeyValue: 'bench' } },
  });
  const destination = await api(server, 'CreateApiDestination', {
    Name: 'bench-sink',
    ConnectionArn: connection.ConnectionArn,
    InvocationEndpoint: `http://127.0.0.1:${sinkPort}/switchyard`,
    HttpMethod: 'POST',
    // AWS's default is 300 requests/s per destination, which Switchyard enforces; the benchmark
    // measures the dispatcher, so its destination allows far more than any round can send.
    InvocationRateLimitPerSecond: 1_000_000,
  });
  await api(server, 'PutRule', { Name: 'bench-delivery', EventPattern: JSON.stringify({ source: ['bench.delivery'] }) });
  const out = await api(server, 'PutTargets', {
    Rule: 'bench-delivery',
    Targets: [{ Id: 'sink', Arn: destination.ApiDestinationArn, RoleArn: 'arn:aws:iam::000000000000:role/events' }],
  });
  if (out.FailedEntryCount !== 0) throw new Error(`PutTargets: ${JSON.stringify(out)}`);
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { cwd: REPO, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      only: { type: 'string' },
      rounds: { type: 'string' },
      'round-ms': { type: 'string' },
      'skip-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      workers: { type: 'string' },
      'max-backlog': { type: 'string' },
      'latency-ms': { type: 'string' },
      rate: { type: 'string' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const num = (v: string | undefined, d: number): number => (v === undefined ? d : Number(v));
  const plan: Plan = {
    ...base,
    rounds: num(values.rounds, base.rounds),
    roundMs: num(values['round-ms'], base.roundMs),
    skipMs: num(values['skip-ms'], base.skipMs),
    warmupMs: num(values['warmup-ms'], base.warmupMs),
    workers: num(values.workers, base.workers),
    maxBacklog: num(values['max-backlog'], base.maxBacklog),
    latencyMs: num(values['latency-ms'], base.latencyMs),
    rate: num(values.rate, base.rate),
  };
  if (values.only !== undefined && values.only !== 'throughput' && values.only !== 'latency') throw new Error('--only: throughput or latency');
  const machine = {
    at: new Date().toISOString(),
    commit: commit(),
    node: process.version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
  };
  progress(`delivery benchmark, ${plan.quick ? 'quick' : 'full'} plan, at ${machine.commit}, ${machine.cores} cores, Node ${machine.node}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-delivery-'));
  const loader = new LoadProcess<LoadCommand>(join(REPO, 'dist', 'bench', 'delivery', 'load.js'));
  let server: RunningTarget | undefined;
  let status = 0;
  try {
    const { port: sinkPort } = await loader.ask<{ port: number }>({ type: 'sink' });
    server = await startSwitchyard(dataDir, process.env.BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []);
    await setUp(server, sinkPort);
    const t0 = performance.now();
    const throughput = values.only === 'latency' ? [] : await runThroughput(loader, server, plan);
    const latency = values.only === 'throughput' ? [] : await runLatency(loader, server, plan);
    progress(`done in ${fmt((performance.now() - t0) / 1000)} s`);
    if ([...throughput, ...latency].some((f) => f.errors > 0)) status = 1;
    process.stdout.write(`${report(plan, throughput, latency)}\n`);
    if (values.json !== undefined) {
      writeFileSync(values.json, `${JSON.stringify({ machine, plan, throughput, latency }, null, 2)}\n`);
      progress(`wrote ${values.json}`);
    }
  } finally {
    await loader.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return status;
}

process.exitCode = await main();
