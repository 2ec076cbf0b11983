// The pattern benchmark: how fast the engine in src/pattern/ matches citylots-like events.
//
//   npm run bench:patterns                     build, then the full run (a minute or two)
//   node --expose-gc dist/bench/patterns/run.js [--quick] [--json FILE] [--compare FILE]
//
//   --quick          a smoke run: 2,000 events, 3 rounds, no 100,000-rule sets (seconds)
//   --json FILE      also write the figures as JSON (bench/patterns/baseline.json is the committed one)
//   --compare FILE   compare this run's ratios with an earlier --json file
//   --markdown       print the tables as Markdown (for bench/RESULTS.md)
//
// Two parts (see bench/RESULTS.md for the latest figures):
//  1. CL2: for each of event-ruler's 14 citylots2 rule groups, its 5 rules in one RuleSet,
//     events/s of matchJson(text) (JSON parsing included) beside plain JSON.parse(text) of the
//     same texts measured in the same run, and the ratio of the two; the per-rule match counts;
//     and a first row with an empty RuleSet, the scanning cost under every group.
//  2. Scaling: 10, 1,000, 10,000 and 100,000 random rules of one kind (exact, prefix, numeric):
//     events/s of matchJson and the ratio to 10 rules, time to add the rules, heap per rule,
//     and what changing a large set costs (add one rule then match; remove a rule).
//
// Figures are medians of interleaved rounds, ratios medians of per-round ratios (measure.ts). This is a benchmark, not a test:
// the targets are reported as PASS/FAIL lines, never asserted, and the exit code says only
// whether the run itself worked. Progress goes to stderr, the tables to stdout.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { RuleSet } from '../../src/pattern/index.js';
import { DEFAULT_SEED, generateCitylots } from './citylots.js';
import type { Cl2Group } from './cl2.js';
import { loadCl2Groups } from './cl2.js';
import type { Contender, RoundPlan } from './measure.js';
import { canCollect, interleave, pairedRatio } from './measure.js';
import type { GroupResult, Report, ScalingResult, Settings } from './report.js';
import { formatComparison, formatReport, parseReport, targetsOf } from './report.js';
import type { BuiltRuleSet } from './scaling.js';
import { SCALING_KINDS, buildRuleSet, measureChanges } from './scaling.js';

interface Plan extends Settings {
  /** A round stops once it has run this long (ms). */
  readonly roundBudgetMs: number;
  /** Untimed warm-up per contender before its rounds (ms). */
  readonly warmupMs: number;
  /** Adding the rules of one set stops once it has run this long (ms). */
  readonly addBudgetMs: number;
}

const FULL: Omit<Plan, 'meanEventBytes'> = {
  quick: false,
  seed: DEFAULT_SEED,
  events: 20_000,
  groupRounds: 15,
  scalingRounds: 13,
  scalingCounts: [10, 1_000, 10_000, 100_000],
  roundBudgetMs: 4_000,
  warmupMs: 250,
  addBudgetMs: 60_000,
};

const QUICK: Omit<Plan, 'meanEventBytes'> = {
  ...FULL,
  quick: true,
  events: 2_000,
  groupRounds: 3,
  scalingRounds: 3,
  scalingCounts: [10, 1_000, 10_000],
  roundBudgetMs: 1_000,
  warmupMs: 100,
  addBudgetMs: 10_000,
};

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

const parseOnly: Contender = {
  name: 'JSON.parse',
  work: (text) => {
    const value: unknown = JSON.parse(text);
    return value === null ? 0 : 1;
  },
};

function roundPlan(plan: Plan, rounds: number): RoundPlan {
  return { rounds, budgetMs: plan.roundBudgetMs, warmupMs: plan.warmupMs };
}

function matching(name: string, ruleSet: RuleSet): Contender {
  return { name, work: (text) => ruleSet.matchJson(text).length };
}

/** A CL2 group loaded into its RuleSet, with its per-rule counts; or why it could not be. */
type PreparedGroup =
  | { readonly group: Cl2Group; readonly ruleSet: RuleSet; readonly counts: readonly number[] }
  | { readonly group: Cl2Group; readonly error: string };

function prepareGroup(group: Cl2Group, texts: readonly string[]): PreparedGroup {
  const ruleSet = new RuleSet();
  const ids = group.rules.map((_, i) => `${group.name}-${i}`);
  const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  try {
    group.rules.forEach((rule, i) => ruleSet.add(ids[i] as string, rule));
  } catch (error) {
    return { group, error: `add() refused a rule: ${message(error)}` };
  }
  // Counting is a separate, untimed pass, so that the timed rounds do only matching.
  const counts = new Map(ids.map((id) => [id, 0]));
  try {
    for (const text of texts) {
      for (const id of ruleSet.matchJson(text)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  } catch (error) {
    return { group, error: `matchJson() threw: ${message(error)}` };
  }
  return { group, ruleSet, counts: ids.map((id) => counts.get(id) ?? 0) };
}

/**
 * All groups are measured in one interleaved series (JSON.parse, group 1, JSON.parse, group 2,
 * ..., then the same backwards, and so on), each group beside its own JSON.parse rounds. A
 * burst of load from another process then costs every group a round or two, which the medians
 * drop, instead of costing one group all of its rounds.
 */
function runGroups(groups: readonly Cl2Group[], texts: readonly string[], plan: Plan): GroupResult[] {
  const prepared = groups.map((group) => {
    progress(`  CL2 ${group.name}: loading and counting`);
    return prepareGroup(group, texts);
  });
  const contenders: Contender[] = [];
  for (const p of prepared) {
    if ('ruleSet' in p) contenders.push(parseOnly, matching(p.group.name, p.ruleSet));
  }
  progress(`  CL2: measuring ${contenders.length / 2} groups, ${plan.groupRounds} rounds`);
  const measured = interleave(texts, contenders, roundPlan(plan, plan.groupRounds));
  let next = 0;
  return prepared.map((p): GroupResult => {
    if (!('ruleSet' in p)) {
      return {
        name: p.group.name,
        eventsPerSec: null,
        baselineEventsPerSec: null,
        ratio: null,
        roundsEventsPerSec: [],
        baselineRoundsEventsPerSec: [],
        matchCounts: [],
        citylots2Counts: p.group.citylots2Counts,
        error: p.error,
      };
    }
    const at = next;
    next += 2;
    const baselineRounds = measured.rounds[at] ?? [];
    const rounds = measured.rounds[at + 1] ?? [];
    return {
      name: p.group.name,
      eventsPerSec: measured.medians[at + 1] ?? Number.NaN,
      baselineEventsPerSec: measured.medians[at] ?? Number.NaN,
      ratio: pairedRatio(rounds, baselineRounds),
      roundsEventsPerSec: rounds,
      baselineRoundsEventsPerSec: baselineRounds,
      matchCounts: p.counts,
      citylots2Counts: p.group.citylots2Counts,
    };
  });
}

function runScaling(texts: readonly string[], plan: Plan): ScalingResult[] {
  const results: ScalingResult[] = [];
  const makeRuleSet = (): RuleSet => new RuleSet();
  for (const [k, kind] of SCALING_KINDS.entries()) {
    // All sizes of one kind are alive together so that their rounds can be interleaved.
    const built: BuiltRuleSet[] = [];
    for (const count of plan.scalingCounts) {
      progress(`  scaling: adding ${count.toLocaleString('en-US')} ${kind} rules`);
      const set = buildRuleSet(makeRuleSet, kind, count, plan.seed + 1_000 * (k + 1) + count, plan.addBudgetMs);
      built.push(set);
      if (set.added < set.requested) {
        progress(`  scaling: adding stopped after ${set.added} of ${count} rules (time budget); larger sets skipped`);
        break;
      }
    }
    progress(`  scaling: matching ${kind}`);
    const measured = interleave(
      texts,
      built.map((set) => matching(`${kind}-${set.requested}`, set.ruleSet)),
      roundPlan(plan, plan.scalingRounds),
    );
    const baseRounds = measured.rounds[0] ?? [];
    built.forEach((set, i) => {
      const eventsPerSec = measured.medians[i] ?? Number.NaN;
      const rounds = measured.rounds[i] ?? [];
      const vs10 = pairedRatio(rounds, baseRounds);
      const changes = measureChanges(set, kind, plan.seed + 7 * (k + 1), texts[0] ?? '{}', 5, 100, plan.addBudgetMs);
      results.push({
        kind,
        rules: set.requested,
        added: set.added,
        addMs: set.addMs,
        heapBytesPerRule: set.heapBytesPerRule,
        eventsPerSec,
        vs10,
        slowdownVs10: 1 / vs10,
        matchesPerEvent: measured.perEvent[i] ?? Number.NaN,
        changeMs: changes.changeMs,
        removeMicrosPerRule: changes.removeMicrosPerRule,
        roundsEventsPerSec: rounds,
      });
    });
  }
  return results;
}

/** The engine's commit, and whether src/pattern/ differs from it: figures belong to a version. */
function revision(): string {
  // dist/bench/patterns/run.js (or bench/patterns/run.ts) -> the checkout.
  const cwd = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url));
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src/pattern') === '' ? head : `${head} + uncommitted src/pattern changes`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function main(argv: readonly string[]): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      compare: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: node --expose-gc dist/bench/patterns/run.js [--quick] [--json FILE] [--compare FILE] [--markdown]\n');
    return 0;
  }
  if (!canCollect()) progress('note: run node with --expose-gc for heap figures; they are n/a in this run');

  const shape = values.quick ? QUICK : FULL;
  const groups = loadCl2Groups();
  progress(`generating ${shape.events.toLocaleString('en-US')} citylots events`);
  const texts = generateCitylots(shape.events, shape.seed);
  const meanEventBytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / texts.length;
  const plan: Plan = { ...shape, meanEventBytes };

  // A reference row: an empty RuleSet still scans (and validates) every event, so this is the
  // floor under every group's cost.
  const scanOnly: Cl2Group = { name: '(no rules: scan only)', rules: [], citylots2Counts: [] };
  const groupResults = runGroups([scanOnly, ...groups], texts, plan);
  const scaling = runScaling(texts, plan);

  const settings: Settings = {
    quick: plan.quick,
    seed: plan.seed,
    events: plan.events,
    meanEventBytes: plan.meanEventBytes,
    groupRounds: plan.groupRounds,
    scalingRounds: plan.scalingRounds,
    scalingCounts: plan.scalingCounts,
  };
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const report: Report = {
    schema: 1,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    revision: revision(),
    machine: { nproc: availableParallelism(), cpu, node: process.version, platform: `${process.platform}-${process.arch}` },
    settings,
    groups: groupResults,
    scaling,
    targets: targetsOf(groupResults, scaling),
  };
  process.stdout.write(`${formatReport(report, values.markdown ? 'markdown' : 'text')}\n`);
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify(report, null, 1)}\n`);
    progress(`figures written to ${values.json}`);
  }
  if (values.compare !== undefined) {
    const before = parseReport(readFileSync(values.compare, 'utf8'), values.compare);
    process.stdout.write(`\n${formatComparison(report, before)}\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
