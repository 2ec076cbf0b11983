/**
 * The reference evaluator: the pattern semantics of docs/patterns.md written as plainly as
 * possible, with no indexes and no cleverness. It is the oracle the compiled matcher (rule-set.ts)
 * is tested against, and it is what TestEventPattern uses.
 *
 * 1. Flatten the event into leaves: (path, value, array trail). The trail lists, for every array
 *    the leaf sits in, which array it is and which element.
 * 2. A field is satisfied by a leaf at its path that one of its matchers accepts; `exists: false`
 *    is satisfied when the path has no leaf at all.
 * 3. A sub-rule matches when every field is satisfied by leaves that are pairwise consistent: two
 *    leaves that sit in the same array must sit in the same element of it ("array consistency").
 */
import type { Field, Leaf, Pattern, SubRule } from './ast.js';
import { accepts } from './values.js';

/** One leaf of a flattened event. `trail` holds (arrayId, index) pairs. */
export interface FlatLeaf {
  readonly value: Leaf;
  readonly trail: readonly (readonly [number, number])[];
}

/** Deepest nesting read, as the event scanner (flatten.ts); deeper events are refused. */
export const MAX_EVENT_DEPTH = 1000;

export class EventTooDeepError extends Error {}

export function flattenEvent(event: unknown): Map<string, FlatLeaf[]> {
  const out = new Map<string, FlatLeaf[]>();
  let arrays = 0;
  const visit = (v: unknown, path: string, trail: (readonly [number, number])[], depth = 0): void => {
    if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError('the event nests too deep');
    if (Array.isArray(v)) {
      const id = arrays++;
      v.forEach((el, i) => visit(el, path, [...trail, [id, i]], depth + 1));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) visit(child, path === '' ? k : `${path}.${k}`, trail, depth + 1);
    } else if (path !== '') {
      let leaves = out.get(path);
      if (leaves === undefined) out.set(path, (leaves = []));
      leaves.push({ value: v as Leaf, trail });
    }
  };
  if (event !== null && typeof event === 'object' && !Array.isArray(event)) visit(event, '', []);
  return out;
}

export function consistent(a: FlatLeaf, b: FlatLeaf): boolean {
  for (const [id, i] of a.trail) {
    for (const [id2, j] of b.trail) if (id === id2 && i !== j) return false;
  }
  return true;
}

export function matchesReference(pattern: Pattern, event: unknown): boolean {
  const leaves = flattenEvent(event);
  return pattern.subRules.some((sub) => subRuleMatches(sub, leaves));
}

export function subRuleMatches(sub: SubRule, leaves: Map<string, FlatLeaf[]>): boolean {
  // For each field: the leaves it could use, or null when absence alone satisfies it.
  const choices: FlatLeaf[][] = [];
  for (const field of sub) {
    const found = leaves.get(field.path) ?? [];
    if (found.length === 0 && field.matchers.some((m) => m.kind === 'exists' && !m.value)) continue;
    const usable = found.filter((leaf) => fieldAccepts(field, leaf.value));
    if (usable.length === 0) return false;
    choices.push(usable);
  }
  const chosen: FlatLeaf[] = [];
  const pick = (i: number): boolean => {
    if (i === choices.length) return true;
    for (const leaf of choices[i] as FlatLeaf[]) {
      if (chosen.every((c) => consistent(c, leaf))) {
        chosen.push(leaf);
        if (pick(i + 1)) return true;
        chosen.pop();
      }
    }
    return false;
  };
  return pick(0);
}

function fieldAccepts(field: Field, v: Leaf): boolean {
  return field.matchers.some((m) => accepts(m, v));
}
