// Rule-count scaling: how matchJson's speed and the engine's memory change from 10 rules to
// 100,000 rules of one kind. Three kinds, each one field that every citylots event has:
//
//   exact    {"properties":{"MAPBLKLOT":["4821337"]}}                 random 7-digit lot
//   prefix   {"properties":{"STREET":[{"prefix":"QUM"}]}}              random A-Z, 3 to 8 letters
//   numeric  {"geometry":{"firstCoordinates":{"x":[{"numeric":[">",-122.431207,"<",-122.431195]}]}}}
//            a random range inside the city, 2 to 20 millionths of a degree wide
//            (6 decimals: EventBridge documents six digits after the point for numeric matching)
//
// Random values keep matches rare and roughly proportional to the rule count, as with real
// subscriptions; the benchmark prints matches per event beside each figure so that a slowdown
// that comes from building longer results can be told apart from one that comes from the
// matching itself.

import { performance } from 'node:perf_hooks';

import type { RuleSet } from '../../src/pattern/index.js';
import { canCollect, median, settledHeap } from './measure.js';
import { Random } from './prng.js';

export const SCALING_KINDS = ['exact', 'prefix', 'numeric'] as const;
export type ScalingKind = (typeof SCALING_KINDS)[number];

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const X_MIN = -122.5138;
const X_MAX = -122.357;

/** One rule of `kind` as JSON text. */
export function scalingRule(kind: ScalingKind, rng: Random): string {
  switch (kind) {
    case 'exact':
      return `{"properties":{"MAPBLKLOT":["${rng.digits(7)}"]}}`;
    case 'prefix':
      return `{"properties":{"STREET":[{"prefix":"${rng.string(LETTERS, rng.int(3, 8))}"}]}}`;
    case 'numeric': {
      const low = Math.round(rng.between(X_MIN, X_MAX) * 1e6);
      const high = low + rng.int(2, 20);
      const bound = (micros: number): string => (micros / 1e6).toFixed(6);
      return `{"geometry":{"firstCoordinates":{"x":[{"numeric":[">",${bound(low)},"<",${bound(high)}]}]}}}`;
    }
  }
}

export interface BuiltRuleSet {
  readonly ruleSet: RuleSet;
  readonly requested: number;
  /** Fewer than requested when adding ran past its time budget. */
  readonly added: number;
  readonly addMs: number;
  /**
   * Heap growth from adding the rules, divided by the rules added, after full collections;
   * null without --expose-gc. The pattern texts and rule ids are allocated before the first
   * reading, so this is the engine's own structures (plus whatever of the texts it keeps).
   */
  readonly heapBytesPerRule: number | null;
}

/** Makes a RuleSet holding `count` random rules of `kind`, measuring time and heap. */
export function buildRuleSet(
  makeRuleSet: () => RuleSet,
  kind: ScalingKind,
  count: number,
  seed: number,
  addBudgetMs: number,
): BuiltRuleSet {
  const rng = new Random(seed);
  const ids = Array.from({ length: count }, (_, i) => `${kind}-${i}`);
  const patterns = ids.map(() => scalingRule(kind, rng));
  const heapBefore = canCollect() ? settledHeap() : 0;
  const ruleSet = makeRuleSet();
  let added = 0;
  const start = performance.now();
  while (added < count) {
    ruleSet.add(ids[added] as string, patterns[added] as string);
    added++;
    if (added % 256 === 0 && performance.now() - start > addBudgetMs) break;
  }
  const addMs = performance.now() - start;
  const heapBytesPerRule = canCollect() ? (settledHeap() - heapBefore) / added : null;
  // Keep the inputs alive until after the second reading, or they could be collected in
  // between and their size taken off the engine's.
  if (ids.length !== patterns.length) throw new Error('unreachable');
  return { ruleSet, requested: count, added, addMs, heapBytesPerRule };
}

export interface ChangeCost {
  /**
   * Median time to add one more rule and then match one event, in ms: what an event pays for
   * the engine's lazily rebuilt indexes when rules change while events flow (PutRule under load).
   */
  readonly changeMs: number;
  /** Mean time to remove one of the set's rules, in microseconds. */
  readonly removeMicrosPerRule: number;
  readonly removed: number;
}

/**
 * Measures the cost of changing a built set: `repeats` times (add a rule, match an event), then
 * removing up to `removals` of its rules (stopping at `budgetMs`). Run it after the set's
 * events/s are measured: it leaves the set changed.
 */
export function measureChanges(
  built: BuiltRuleSet,
  kind: ScalingKind,
  seed: number,
  eventText: string,
  repeats: number,
  removals: number,
  budgetMs: number,
): ChangeCost {
  const rng = new Random(seed);
  const { ruleSet } = built;
  const patterns = Array.from({ length: repeats }, () => scalingRule(kind, rng));
  ruleSet.matchJson(eventText); // start from up-to-date indexes
  const times: number[] = [];
  patterns.forEach((pattern, i) => {
    const start = performance.now();
    ruleSet.add(`change-${i}`, pattern);
    ruleSet.matchJson(eventText);
    times.push(performance.now() - start);
  });
  const toRemove = Math.min(removals, built.added);
  let removed = 0;
  const start = performance.now();
  while (removed < toRemove) {
    ruleSet.remove(`${kind}-${removed}`);
    removed++;
    if (performance.now() - start > budgetMs) break;
  }
  const removeMs = performance.now() - start;
  return { changeMs: median(times), removeMicrosPerRule: (removeMs * 1000) / removed, removed };
}
