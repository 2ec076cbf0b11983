// The ingest benchmark: PutEvents throughput and latency of Switchyard beside a bare node:http
// server (the ceiling) and moto_server (the emulator a user would otherwise pick), under the same
// load, measured in the same run on the same machine.
//
//   npm run bench:ingest                  build, then the full run (about 2 minutes)
//   node dist/bench/ingest/run.js [--quick] [--json FILE] [--profile DIR] [--targets LIST]
//
//   --quick            a smoke run: short rounds (about 20 seconds)
//   --json FILE        also write the figures as JSON
//   --profile DIR      run Switchyard under `node --cpu-prof` (profile written to DIR when it stops)
//                      and print where it spent its time
//   --targets LIST     which of bare,switchyard,moto to measure (default: all; moto is skipped,
//                      with a note, when moto_server is not installed)
//   --rounds N, --round-ms MS, --warmup-ms MS, --concurrency N, --moto-concurrency N
//                      override the plan
//
// The load: a separate process (load.ts) keeps 32 PutEvents requests in flight over keep-alive
// connections, each of 10 entries with ~300-byte Details (workload.ts), unsigned. Switchyard and
// moto first get the same 100 rules on the default bus, each with one target (targets.ts).
// Switchyard runs as shipped: SQLite in WAL mode, synchronous=FULL, group commit. moto gets the
// same requests but 1 in flight (see Plan.motoConcurrency: one request takes it seconds).
//
// Noise: the machine is shared, so every figure is the MEDIAN of several rounds, the rounds of the
// targets are interleaved (A B C, C B A, A B C, ...) so that a slow patch hits all alike, and what
// is compared is a ratio of figures of the same run. Per round the table also shows the CPU the
// server process and the load generator used (from /proc, as % of one core): a server that is not
// near 100% while the client is not either is waiting (on fsync, for Switchyard).
//
// After the rounds, Switchyard is stopped and its store checked: it must hold exactly the events
// the load generator saw acknowledged, and one owed delivery per (event, matching rule), which the
// runner predicts with the pattern engine over the same events.
//
// This is a benchmark, not a test: the goal (Switchyard at least 30% of bare) is printed as
// PASS/FAIL and never asserted; the exit code says only whether the run itself worked (the store
// check included).

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

import { LoadProcess, fmt, median, pct, progress, table } from '../common/run-kit.js';
import { RuleSet, parsePattern } from '../../src/pattern/index.js';
import { DATABASE_FILE } from '../../src/store/sqlite/sqlite-store.js';
import type { LoadCommand, RoundResult } from './load.js';
import { summarizeFile } from './profile.js';
import type { RunningTarget } from './targets.js';
import { REPO, cpuSeconds, createRules, motoVersion, startBare, startMoto, startSwitchyard } from './targets.js';
import type { Workload } from './workload.js';
import { DEFAULT_SEED, ENTRIES_PER_REQUEST, makeRules, makeWorkload } from './workload.js';

interface Plan {
  readonly quick: boolean;
  readonly seed: number;
  /** Distinct request bodies, sent in turn. */
  readonly bodies: number;
  readonly rules: number;
  readonly concurrency: number;
  /**
   * Requests in flight against moto. moto 5.x spends tens of milliseconds per matched (event,
   * rule) target (it builds a JSONPath parser for each), so one request of this workload takes
   * seconds and 32 in flight would queue for minutes; moto runs one request at a time under the
   * GIL anyway, so fewer in flight changes its events/s little and only shortens its latencies.
   */
  readonly motoConcurrency: number;
  /** Timed rounds per target. */
  readonly rounds: number;
  readonly roundMs: number;
  /** One untimed round per target first (JIT, SQLite page cache, moto's imports). */
  readonly warmupMs: number;
}

const FULL: Plan = {
  quick: false,
  seed: DEFAULT_SEED,
  bodies: 256,
  rules: 100,
  concurrency: 32,
  motoConcurrency: 1,
  rounds: 5,
  roundMs: 5_000,
  warmupMs: 3_000,
};

const QUICK: Plan = { ...FULL, quick: true, rounds: 3, roundMs: 1_500, warmupMs: 1_000 };

const GOAL = 0.3;

type TargetId = 'bare' | 'switchyard' | 'moto';
const ALL_TARGETS: readonly TargetId[] = ['bare', 'switchyard', 'moto'];

interface MeasuredRound extends RoundResult {
  /** CPU of the server process over the round, % of one core (null without /proc). */
  readonly serverCpuPct: number | null;
}

interface TargetFigures {
  readonly id: TargetId;
  readonly name: string;
  readonly rounds: readonly MeasuredRound[];
  readonly eventsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuPct: number | null;
  readonly clientCpuPct: number;
  readonly errors: number;
  readonly failedEntries: number;
}

interface StoreCheck {
  readonly acked: number;
  readonly events: number;
  readonly expectedDeliveries: number;
  readonly deliveries: number;
  readonly droppedCounter: number;
  readonly ok: boolean;
}




function concurrencyOf(id: TargetId, plan: Plan): number {
  return id === 'moto' ? plan.motoConcurrency : plan.concurrency;
}

async function measure(loader: LoadProcess<LoadCommand>, id: TargetId, target: RunningTarget, plan: Plan, durationMs: number): Promise<MeasuredRound> {
  const cpu0 = cpuSeconds(target.pid);
  const t0 = performance.now();
  const r = await loader.ask<RoundResult>({ type: 'round', port: target.port, durationMs, concurrency: concurrencyOf(id, plan), headers: target.headers });
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(target.pid);
  const serverCpuPct = cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) / wallS) * 100;
  return { ...r, serverCpuPct };
}

/** How many of the rules each entry of the workload matches, by the pattern engine; and which rules ever match. */
function matchesPerEntry(workload: Workload, rules: readonly { name: string; pattern: string }[]): { counts: number[]; matched: Set<string> } {
  const set = new RuleSet();
  for (const r of rules) set.add(r.name, parsePattern(r.pattern));
  const counts: number[] = [];
  const matched = new Set<string>();
  for (const entries of workload.entries) {
    for (const e of entries) {
      const envelope =
        `{"version":"0","id":"00000000-0000-0000-0000-000000000000","detail-type":${JSON.stringify(e.DetailType)},` +
        `"source":${JSON.stringify(e.Source)},"account":"000000000000","time":"2026-01-01T00:00:00Z",` +
        `"region":"us-east-1","resources":[],"detail":${e.Detail}}`;
      const names = set.matchJson(envelope);
      counts.push(names.length);
      for (const n of names) matched.add(n);
    }
  }
  return { counts, matched };
}

function checkStore(dataDir: string, acked: readonly number[], matches: readonly number[]): StoreCheck {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    const count = (sql: string): number => ((db.prepare(sql).get() as { n: number | null } | undefined)?.n ?? 0);
    const events = count('SELECT count(*) AS n FROM events');
    const deliveries = count('SELECT count(*) AS n FROM deliveries');
    const droppedCounter = count("SELECT sum(value) AS n FROM counters WHERE name = 'events-dropped-no-bus'");
    let total = 0;
    let expectedDeliveries = 0;
    acked.forEach((n, i) => {
      total += n;
      expectedDeliveries += n * (matches[i] as number);
    });
    return {
      acked: total,
      events,
      expectedDeliveries,
      deliveries,
      droppedCounter,
      ok: events === total && deliveries === expectedDeliveries && droppedCounter === 0,
    };
  } finally {
    db.close();
  }
}




async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      profile: { type: 'string' },
      targets: { type: 'string' },
      rounds: { type: 'string' },
      'round-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'moto-concurrency': { type: 'string' },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const num = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number(v));
  const plan: Plan = {
    ...base,
    rounds: num(values.rounds, base.rounds),
    roundMs: num(values['round-ms'], base.roundMs),
    warmupMs: num(values['warmup-ms'], base.warmupMs),
    concurrency: num(values.concurrency, base.concurrency),
    motoConcurrency: num(values['moto-concurrency'], base.motoConcurrency),
  };
  const wanted = (values.targets?.split(',').map((s) => s.trim()) ?? ALL_TARGETS) as TargetId[];
  for (const t of wanted) if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target '${t}' (bare, switchyard, moto)`);

  const moto = wanted.includes('moto') ? motoVersion() : null;
  const machine = {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    moto: moto ?? 'not installed',
  };
  progress(`ingest benchmark: ${JSON.stringify(plan)}`);
  progress(`machine: ${JSON.stringify(machine)}`);
  if (wanted.includes('moto') && moto === null) progress('moto_server is not installed: skipping it');

  const rules = makeRules(plan.seed, plan.rules);
  const workload = makeWorkload(plan.seed, plan.bodies);
  const { counts: matches, matched } = matchesPerEntry(workload, rules);
  const detailBytes = workload.entries.flat().map((e) => Buffer.byteLength(e.Detail));
  const meanMatches = matches.reduce((a, b) => a + b, 0) / matches.length;
  progress(
    `workload: ${plan.bodies} bodies of ${ENTRIES_PER_REQUEST} entries, Detail ${Math.min(...detailBytes)}-${Math.max(...detailBytes)} bytes ` +
      `(mean ${fmt(detailBytes.reduce((a, b) => a + b, 0) / detailBytes.length)}), body mean ${fmt(
        workload.bodies.reduce((a, b) => a + b.length, 0) / workload.bodies.length,
      )} bytes; ${rules.length} rules (${rules.length - matched.size} never match), ${fmt(meanMatches, 2)} matches per event`,
  );

  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-ingest-'));
  const running = new Map<TargetId, RunningTarget>();
  const loader = new LoadProcess<LoadCommand>(join(REPO, 'dist', 'bench', 'ingest', 'load.js'));
  loader.tell({ type: 'init', seed: plan.seed, bodies: plan.bodies });
  // Interrupted (Ctrl-C, or a timeout's SIGTERM): take the servers and the load generator along.
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
    if (wanted.includes('bare')) running.set('bare', await startBare());
    if (wanted.includes('switchyard')) {
      const nodeArgs = values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values.profile];
      const sy = await startSwitchyard(dataDir, nodeArgs);
      running.set('switchyard', sy);
      const t = performance.now();
      await createRules(sy, rules);
      progress(`switchyard: ${rules.length} rules created in ${fmt(performance.now() - t)} ms (data dir ${dataDir})`);
    }
    if (wanted.includes('moto') && moto !== null) {
      const m = await startMoto();
      running.set('moto', m);
      const t = performance.now();
      await createRules(m, rules);
      progress(`moto_server ${moto}: ${rules.length} rules created in ${fmt(performance.now() - t)} ms`);
    }
    const order = ALL_TARGETS.filter((t) => running.has(t));
    if (order.length === 0) throw new Error('no target to measure');

    // Acknowledged entries per workload entry, over every Switchyard round (warm-up included).
    const syAcked = new Array<number>(plan.bodies * ENTRIES_PER_REQUEST).fill(0);
    const addAcked = (id: TargetId, r: RoundResult): void => {
      if (id === 'switchyard') r.ackedPerEntry.forEach((n, i) => (syAcked[i] = (syAcked[i] as number) + n));
    };

    for (const id of order) {
      const target = running.get(id) as RunningTarget;
      const r = await measure(loader, id, target, plan, plan.warmupMs);
      addAcked(id, r);
      progress(`warm-up ${target.name}: ${fmt(r.eventsPerSec)} events/s${r.errors > 0 ? `, ${r.errors} errors: ${r.firstError}` : ''}`);
    }
    const rounds = new Map<TargetId, MeasuredRound[]>(order.map((id) => [id, []]));
    for (let i = 0; i < plan.rounds; i++) {
      for (const id of i % 2 === 0 ? order : [...order].reverse()) {
        const target = running.get(id) as RunningTarget;
        const r = await measure(loader, id, target, plan, plan.roundMs);
        addAcked(id, r);
        rounds.get(id)?.push(r);
        progress(
          `round ${i + 1}/${plan.rounds} ${target.name}: ${fmt(r.eventsPerSec, r.eventsPerSec < 100 ? 1 : 0)} events/s, p50 ${fmt(r.p50Ms, 1)} ms, ` +
            `p99 ${fmt(r.p99Ms, 1)} ms, server CPU ${pct(r.serverCpuPct)}, client CPU ${pct(r.clientCpuPct)}` +
            (r.errors > 0 || r.failedEntries > 0 ? `, ${r.errors} errors, ${r.failedEntries} failed entries: ${r.firstError}` : ''),
        );
      }
    }

    const figures: TargetFigures[] = order.map((id) => {
      const rs = rounds.get(id) as MeasuredRound[];
      const server = rs.map((r) => r.serverCpuPct).filter((v): v is number => v !== null);
      return {
        id,
        name: (running.get(id) as RunningTarget).name,
        rounds: rs,
        eventsPerSec: median(rs.map((r) => r.eventsPerSec)),
        p50Ms: median(rs.map((r) => r.p50Ms)),
        p99Ms: median(rs.map((r) => r.p99Ms)),
        serverCpuPct: server.length === 0 ? null : median(server),
        clientCpuPct: median(rs.map((r) => r.clientCpuPct)),
        errors: rs.reduce((n, r) => n + r.errors, 0),
        failedEntries: rs.reduce((n, r) => n + r.failedEntries, 0),
      };
    });

    // Stop Switchyard (gracefully: the profile is written at exit) and check its store.
    let store: StoreCheck | undefined;
    const sy = running.get('switchyard');
    if (sy !== undefined) {
      const code = await sy.stop();
      running.delete('switchyard');
      if (code !== 0) {
        progress(`switchyard exited with ${code}:\n${sy.stderr().slice(-3000)}`);
        status = 1;
      }
      store = checkStore(dataDir, syAcked, matches);
      if (!store.ok) status = 1;
    }

    const byId = new Map(figures.map((f) => [f.id, f]));
    const bare = byId.get('bare');
    const ratioTo = (f: TargetFigures, ref: TargetFigures | undefined): string => {
      if (ref === undefined) return '-';
      const r = (f.eventsPerSec / ref.eventsPerSec) * 100;
      return `${fmt(r, r < 1 ? 3 : 1)}%`;
    };
    const rows = figures.map((f) => [
      f.name,
      String(concurrencyOf(f.id, plan)),
      fmt(f.eventsPerSec, f.eventsPerSec < 100 ? 1 : 0),
      fmt(f.p50Ms, 1),
      fmt(f.p99Ms, 1),
      pct(f.serverCpuPct),
      pct(f.clientCpuPct),
      ratioTo(f, bare),
      f.rounds.map((r) => fmt(r.eventsPerSec, r.eventsPerSec < 100 ? 1 : 0)).join(' '),
    ]);
    const out: string[] = [];
    out.push(
      `PutEvents, ${ENTRIES_PER_REQUEST} entries per request (Detail ~300 bytes), ${plan.rules} rules (${fmt(meanMatches, 2)} matches per event); ` +
        `median of ${plan.rounds} interleaved rounds of ${fmt(plan.roundMs / 1000, 1)} s after a ${fmt(plan.warmupMs / 1000, 1)} s warm-up`,
      '',
      table(
        ['target', 'in flight', 'events/s', 'p50 ms', 'p99 ms', 'server CPU', 'client CPU', 'vs bare', 'events/s per round'],
        rows,
      ),
      '',
    );
    const syFig = byId.get('switchyard');
    const motoFig = byId.get('moto');
    if (syFig !== undefined && bare !== undefined) {
      const ratio = syFig.eventsPerSec / bare.eventsPerSec;
      const perRound = syFig.rounds.map((r, i) => r.eventsPerSec / ((bare.rounds[i] as MeasuredRound).eventsPerSec || Number.NaN));
      out.push(
        `Switchyard/bare: ${fmt(ratio * 100, 1)}% (per round ${fmt(Math.min(...perRound) * 100, 1)}-${fmt(Math.max(...perRound) * 100, 1)}%); ` +
          `goal >= ${GOAL * 100}%: ${ratio >= GOAL ? 'PASS' : 'FAIL'}`,
      );
    }
    if (syFig !== undefined && motoFig !== undefined) {
      out.push(`Switchyard/moto: ${fmt(syFig.eventsPerSec / motoFig.eventsPerSec)}x`);
    }
    for (const f of figures) {
      if (f.errors > 0 || f.failedEntries > 0) out.push(`${f.name}: ${f.errors} errors, ${f.failedEntries} failed entries`);
    }
    if (store !== undefined) {
      out.push(
        `Switchyard store after the run: ${fmt(store.events)} events (acknowledged: ${fmt(store.acked)}), ` +
          `${fmt(store.deliveries)} owed deliveries (expected from the rules: ${fmt(store.expectedDeliveries)}), ` +
          `dropped-no-bus counter ${store.droppedCounter}: ${store.ok ? 'OK' : 'MISMATCH'}`,
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);

    if (values.profile !== undefined) {
      const files = readdirSync(values.profile).filter((f) => f.endsWith('.cpuprofile'));
      const latest = files.sort().at(-1);
      if (latest !== undefined) process.stdout.write(`\nSwitchyard CPU profile (${join(values.profile, latest)}):\n${summarizeFile(join(values.profile, latest), 25)}\n`);
      else progress(`no .cpuprofile in ${values.profile}`);
    }

    if (values.json !== undefined) {
      const json = {
        machine,
        plan,
        workload: { meanMatchesPerEvent: meanMatches },
        targets: figures.map(({ rounds: rs, ...f }) => ({ ...f, rounds: rs.map(({ ackedPerEntry: _a, ...r }) => r) })),
        ratios: {
          switchyardToBare: syFig !== undefined && bare !== undefined ? syFig.eventsPerSec / bare.eventsPerSec : null,
          switchyardToMoto: syFig !== undefined && motoFig !== undefined ? syFig.eventsPerSec / motoFig.eventsPerSec : null,
        },
        store: store ?? null,
      };
      writeFileSync(values.json, `${JSON.stringify(json, null, 2)}\n`);
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
