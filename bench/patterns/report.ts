// What the pattern benchmark found: the figures' types, the stdout tables, the targets, and
// a noise-aware comparison with an earlier run's --json file.
//
// Only ratios are compared across runs (a CL2 group against JSON.parse measured beside it,
// N rules against 10 rules of the same kind), and a change is called out only beyond a
// threshold, because raw events/s on shared machines move by tens of percent from one run
// to the next with no change in the code.

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
  readonly platform: string;
}

export interface Settings {
  readonly quick: boolean;
  readonly seed: number;
  readonly events: number;
  readonly meanEventBytes: number;
  readonly groupRounds: number;
  readonly scalingRounds: number;
  readonly scalingCounts: readonly number[];
}

export interface GroupResult {
  readonly name: string;
  /** matchJson events/s, median of rounds; null when the group could not be loaded. */
  readonly eventsPerSec: number | null;
  /** JSON.parse events/s over the same texts, rounds interleaved with the group's. */
  readonly baselineEventsPerSec: number | null;
  /** matchJson/JSON.parse: the median of the per-round ratios (measure.ts, pairedRatio). */
  readonly ratio: number | null;
  readonly roundsEventsPerSec: readonly number[];
  readonly baselineRoundsEventsPerSec: readonly number[];
  /** Per rule, how many of the generated events it matched. */
  readonly matchCounts: readonly number[];
  /** event-ruler's counts on the real citylots2: NOT comparable (synthetic data). */
  readonly citylots2Counts: readonly number[];
  readonly error?: string;
}

export interface ScalingResult {
  readonly kind: string;
  readonly rules: number;
  /** Less than rules when adding ran out of time. */
  readonly added: number;
  readonly addMs: number;
  readonly heapBytesPerRule: number | null;
  readonly eventsPerSec: number;
  /** events/s relative to 10 rules of the same kind: the median of the per-round ratios. */
  readonly vs10: number;
  /** The inverse: how many times slower than with 10 rules. */
  readonly slowdownVs10: number;
  readonly matchesPerEvent: number;
  /** Median ms to add one more rule and match one event right after (lazy re-indexing). */
  readonly changeMs: number;
  /** Mean microseconds to remove one rule (over the first rules removed, up to 100). */
  readonly removeMicrosPerRule: number;
  readonly roundsEventsPerSec: readonly number[];
}

export interface Target {
  readonly name: string;
  readonly value: number | null;
  readonly limit: string;
  readonly pass: boolean;
}

export interface Report {
  readonly schema: 1;
  readonly date: string;
  /** The commit measured (git rev-parse --short HEAD), flagged when src/pattern/ had changes. */
  readonly revision: string;
  readonly machine: Machine;
  readonly settings: Settings;
  readonly groups: readonly GroupResult[];
  readonly scaling: readonly ScalingResult[];
  readonly targets: readonly Target[];
}

export const EXACT_TARGET_EVENTS_PER_SEC = 250_000;
export const SCALING_TARGET_RULES = 10_000;
export const SCALING_TARGET_SLOWDOWN = 1.5;

export function targetsOf(groups: readonly GroupResult[], scaling: readonly ScalingResult[]): Target[] {
  const exact = groups.find((group) => group.name === 'EXACT')?.eventsPerSec ?? null;
  const targets: Target[] = [
    {
      name: 'CL2 EXACT group, matchJson events/s on one core',
      value: exact,
      limit: `>= ${EXACT_TARGET_EVENTS_PER_SEC.toLocaleString('en-US')}`,
      pass: exact !== null && exact >= EXACT_TARGET_EVENTS_PER_SEC,
    },
  ];
  for (const kind of ['exact', 'prefix']) {
    const row = scaling.find((r) => r.kind === kind && r.rules === SCALING_TARGET_RULES);
    const complete = row !== undefined && row.added === row.rules;
    targets.push({
      name: `${kind}: ${SCALING_TARGET_RULES.toLocaleString('en-US')} rules, times slower than 10 rules`,
      value: row?.slowdownVs10 ?? null,
      limit: `<= ${SCALING_TARGET_SLOWDOWN}`,
      pass: complete && row.slowdownVs10 <= SCALING_TARGET_SLOWDOWN,
    });
  }
  return targets;
}

// Below this many rules, a heap difference of a few kB (the collector's own noise) swamps
// the per-rule figure; it is kept in the JSON but not printed.
const HEAP_MIN_RULES = 1_000;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number | null, digits = 2): string => (n === null || !Number.isFinite(n) ? '-' : n.toFixed(digits));

/** Plain text for the terminal, or Markdown for bench/RESULTS.md. */
export type Style = 'text' | 'markdown';

/** A table; `align` has one letter per column, l(eft) or r(ight). */
function table(header: readonly string[], rows: readonly (readonly string[])[], align: string, style: Style = 'text'): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length), style === 'markdown' ? 3 : 0));
  const cells = (row: readonly string[]): string[] =>
    row.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)));
  if (style === 'markdown') {
    const rule = widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
    return [header, rule, ...rows].map((row, i) => `| ${(i === 1 ? row : cells(row)).join(' | ')} |`).join('\n');
  }
  return [header, ...rows].map((row) => cells(row).join('  ').trimEnd()).join('\n');
}

/** The whole report, as printed on stdout (text) or pasted into bench/RESULTS.md (markdown). */
export function formatReport(report: Report, style: Style = 'text'): string {
  const { settings, machine } = report;
  const blocks: string[] = [];
  const md = style === 'markdown';
  blocks.push(
    [
      `Pattern benchmark ${report.date}: ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}, ${machine.platform}` +
        (settings.quick ? ' [--quick]' : '') +
        `; engine at ${report.revision}.`,
      `${int(settings.events)} synthetic citylots events (seed ${settings.seed}, mean ${int(settings.meanEventBytes)} bytes); ` +
        'events/s are medians of rounds, one core.',
    ].join('\n'),
  );
  blocks.push(
    [
      `CL2 groups, 5 rules each: matchJson(text) vs JSON.parse(text) alone, ${settings.groupRounds} interleaved rounds;`,
      'ratio = matchJson/JSON.parse, median of per-round ratios; matches per rule: synthetic events, not citylots2.',
    ].join('\n'),
    table(
      ['group', 'matchJson/s', 'JSON.parse/s', 'ratio', 'matches per rule'],
      report.groups.map((g) => [
        md ? `\`${g.name}\`` : g.name,
        g.eventsPerSec === null ? 'error' : int(g.eventsPerSec),
        g.baselineEventsPerSec === null ? '-' : int(g.baselineEventsPerSec),
        fixed(g.ratio),
        g.error ?? g.matchCounts.join(' '),
      ]),
      'lrrrl',
      style,
    ),
  );
  if (report.scaling.length > 0) {
    blocks.push(
      [
        `Scaling: matchJson/s by rule count, ${settings.scalingRounds} interleaved rounds; vs 10 = (N rules)/(10 rules), median of`,
        'per-round ratios; slowdown = 1 / (vs 10);',
        'heap B/rule = growth of process.memoryUsage().heapUsed (after gc()) from adding the rules, per rule;',
        'change ms = add 1 more rule then match 1 event (median of 5); remove us/rule = over the first 100 removed.',
      ].join('\n'),
      table(
        ['kind', 'rules', 'matchJson/s', 'vs 10', 'slowdown', 'matches/ev', 'add ms', 'add us/rule', 'heap B/rule', 'change ms', 'remove us/rule'],
        report.scaling.map((s) => [
          s.kind,
          s.added === s.rules ? int(s.rules) : `${int(s.added)} of ${int(s.rules)}`,
          int(s.eventsPerSec),
          fixed(s.vs10),
          `${fixed(s.slowdownVs10)}x`,
          fixed(s.matchesPerEvent, 3),
          fixed(s.addMs, 1),
          fixed((s.addMs * 1000) / s.added, 2),
          s.heapBytesPerRule === null ? 'n/a' : s.rules < HEAP_MIN_RULES ? '(noise)' : int(s.heapBytesPerRule),
          fixed(s.changeMs, 3),
          fixed(s.removeMicrosPerRule, 1),
        ]),
        'lrrrrrrrrrr',
        style,
      ),
    );
  }
  const targets = report.targets.map((target) => {
    const value = target.value === null ? '-' : target.value >= 100 ? int(target.value) : fixed(target.value);
    const verdict = target.pass ? 'PASS' : 'FAIL';
    return md
      ? `- **${verdict}** ${target.name}: ${value} (target ${target.limit})`
      : `  ${verdict}  ${target.name}: ${value} (target ${target.limit})`;
  });
  blocks.push([md ? 'Targets:' : 'Targets', ...(md ? [''] : []), ...targets].join('\n'));
  return blocks.join('\n\n');
}

/** Relative change beyond which --compare calls a figure out. */
export const COMPARE_THRESHOLD = 0.2;

/**
 * Compares the ratios of this run with an earlier one's. Raw events/s are shown but not
 * judged: they depend on the machine and on its load at the time.
 */
export function formatComparison(now: Report, before: Report, threshold = COMPARE_THRESHOLD): string {
  const rows: string[][] = [];
  const judge = (current: number | null, previous: number | null, higherIsBetter: boolean, digits = 2): string[] => {
    if (current === null || previous === null || !(previous > 0)) return [fixed(previous, digits), fixed(current, digits), '-', ''];
    const change = current / previous - 1;
    const worse = higherIsBetter ? change < -threshold : change > threshold;
    const better = higherIsBetter ? change > threshold : change < -threshold;
    const percent = Math.round(change * 100);
    const shown = `${percent > 0 ? '+' : ''}${percent === 0 ? 0 : percent}%`;
    return [fixed(previous, digits), fixed(current, digits), shown, worse ? 'WORSE' : better ? 'better' : ''];
  };
  for (const group of now.groups) {
    const old = before.groups.find((g) => g.name === group.name);
    if (old !== undefined) rows.push([`${group.name} ratio to JSON.parse`, ...judge(group.ratio, old.ratio, true)]);
  }
  for (const row of now.scaling) {
    if (row.rules === 10) continue;
    const old = before.scaling.find((s) => s.kind === row.kind && s.rules === row.rules);
    if (old !== undefined) rows.push([`${row.kind} ${int(row.rules)} rules slowdown vs 10`, ...judge(row.slowdownVs10, old.slowdownVs10, false)]);
    if (old !== undefined && row.rules >= HEAP_MIN_RULES && row.heapBytesPerRule !== null && old.heapBytesPerRule !== null) {
      rows.push([`${row.kind} ${int(row.rules)} rules heap B/rule`, ...judge(row.heapBytesPerRule, old.heapBytesPerRule, false, 0)]);
    }
  }
  return [
    `Compared with the run of ${before.date} (engine at ${before.revision}, ${before.machine.nproc} CPUs, node ${before.machine.node}); ` +
      `changes beyond ${(threshold * 100).toFixed(0)}% are called out`,
    table(['figure', 'before', 'now', 'change', ''], rows, 'lrrrl'),
  ].join('\n');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An earlier --json file, checked just enough to be compared. */
export function parseReport(text: string, file: string): Report {
  const data: unknown = JSON.parse(text);
  if (!isRecord(data) || data['schema'] !== 1 || !Array.isArray(data['groups']) || !Array.isArray(data['scaling'])) {
    throw new Error(`${file} is not a pattern benchmark report (schema 1)`);
  }
  return data as unknown as Report;
}
