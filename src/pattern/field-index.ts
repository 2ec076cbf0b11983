/**
 * All conditions on one field path, indexed by the values that satisfy them.
 *
 * A condition (one field of one sub-rule, see rule-set.ts) is registered once per matcher under
 * the key that matcher accepts; `collect(value)` then reports every condition that accepts the
 * value, at a cost that depends on the value and on the number of *distinct* keys shapes (prefix
 * lengths), not on the number of conditions:
 *
 *   exact string/number/bool/null   one Map lookup (numbers by quantized value, numbers.ts)
 *   prefix / suffix (and ignore-case, and cidr as a prefix of the address bits)
 *                                   one Map lookup per distinct pattern length (AffixIndex)
 *   equals-ignore-case              one lookup of the folded value
 *   numeric ranges                  an interval search, O(log n + hits) (RangeIndex)
 *   exists: true                    a list, all satisfied by any value
 *   anything-but*, wildcard         tested one by one (`scans`): anything-but is satisfied by
 *                                   nearly every value, so the work is proportional to the hits;
 *                                   wildcards are the documented exception (docs/patterns.md).
 */
import type { Leaf, Matcher } from './ast.js';
import { foldCase } from './casefold.js';
import { ipBits } from './cidr.js';
import { numberKey, quantize } from './numbers.js';
import { accepts } from './values.js';

export type Report = (cond: number) => void;

/** Condition ids keyed by a text that must be a prefix (or suffix) of the value. */
class AffixIndex {
  private readonly byKey = new Map<string, number[]>();
  /** Distinct key lengths, ascending, with how many keys have each. */
  private lengths: number[] = [];
  private readonly lengthCount = new Map<number, number>();

  get size(): number {
    return this.byKey.size;
  }

  add(key: string, cond: number): void {
    const ids = this.byKey.get(key);
    if (ids !== undefined) {
      ids.push(cond);
      return;
    }
    this.byKey.set(key, [cond]);
    const n = this.lengthCount.get(key.length) ?? 0;
    this.lengthCount.set(key.length, n + 1);
    if (n === 0) this.lengths = [...this.lengthCount.keys()].sort((a, b) => a - b);
  }

  remove(key: string, cond: number): void {
    const ids = this.byKey.get(key);
    if (ids === undefined) return;
    removeOne(ids, cond);
    if (ids.length > 0) return;
    this.byKey.delete(key);
    const n = (this.lengthCount.get(key.length) ?? 1) - 1;
    if (n > 0) {
      this.lengthCount.set(key.length, n);
    } else {
      this.lengthCount.delete(key.length);
      this.lengths = [...this.lengthCount.keys()].sort((a, b) => a - b);
    }
  }

  prefixesOf(v: string, report: Report): void {
    for (const len of this.lengths) {
      if (len > v.length) return;
      const ids = this.byKey.get(len === v.length ? v : v.slice(0, len));
      if (ids !== undefined) for (const id of ids) report(id);
    }
  }

  suffixesOf(v: string, report: Report): void {
    for (const len of this.lengths) {
      if (len > v.length) return;
      const ids = this.byKey.get(len === v.length ? v : v.slice(v.length - len));
      if (ids !== undefined) for (const id of ids) report(id);
    }
  }
}

/**
 * Closed integer intervals over quantized numbers, searched by stabbing: which intervals hold q?
 * Built lazily after a change: intervals sorted by lower bound, plus a max-tree over their upper
 * bounds, so the search visits only subtrees that can hold a hit.
 */
class RangeIndex {
  /** Condition -> its intervals (a condition may hold several numeric matchers). */
  private readonly entries = new Map<number, { lo: number; hi: number }[]>();
  private count = 0;
  private dirty = false;
  private los: number[] = [];
  private his: number[] = [];
  private conds: number[] = [];
  private maxHi: number[] = [];
  private width = 0;

  get size(): number {
    return this.count;
  }

  add(lo: number, hi: number, cond: number): void {
    const list = this.entries.get(cond);
    if (list === undefined) this.entries.set(cond, [{ lo, hi }]);
    else list.push({ lo, hi });
    this.count++;
    this.dirty = true;
  }

  /** Remove all of a condition's intervals. */
  remove(cond: number): void {
    const list = this.entries.get(cond);
    if (list === undefined) return;
    this.entries.delete(cond);
    this.count -= list.length;
    this.dirty = true;
  }

  stab(q: number, report: Report): void {
    if (this.dirty) this.build();
    // Intervals [0, p) have lo <= q.
    let a = 0;
    let b = this.los.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if ((this.los[mid] as number) <= q) a = mid + 1;
      else b = mid;
    }
    if (a > 0) this.visit(1, 0, this.width, a, q, report);
  }

  private visit(node: number, from: number, to: number, p: number, q: number, report: Report): void {
    if (from >= p || (this.maxHi[node] as number) < q) return;
    if (to - from === 1) {
      report(this.conds[from] as number);
      return;
    }
    const mid = (from + to) >>> 1;
    this.visit(2 * node, from, mid, p, q, report);
    this.visit(2 * node + 1, mid, to, p, q, report);
  }

  private build(): void {
    const sorted: { lo: number; hi: number; cond: number }[] = [];
    for (const [cond, list] of this.entries) for (const { lo, hi } of list) sorted.push({ lo, hi, cond });
    sorted.sort((x, y) => x.lo - y.lo);
    this.los = sorted.map((e) => e.lo);
    this.his = sorted.map((e) => e.hi);
    this.conds = sorted.map((e) => e.cond);
    let width = 1;
    while (width < sorted.length) width *= 2;
    this.width = width;
    const tree = new Array<number>(2 * width).fill(-Infinity);
    for (let i = 0; i < sorted.length; i++) tree[width + i] = this.his[i] as number;
    for (let i = width - 1; i >= 1; i--) tree[i] = Math.max(tree[2 * i] as number, tree[2 * i + 1] as number);
    this.maxHi = tree;
    this.dirty = false;
  }
}

function removeOne(ids: number[], cond: number): void {
  const at = ids.indexOf(cond);
  if (at >= 0) ids.splice(at, 1);
}

function addTo<K>(map: Map<K, number[]>, key: K, cond: number): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, [cond]);
  else ids.push(cond);
}

function removeFrom<K>(map: Map<K, number[]>, key: K, cond: number): void {
  const ids = map.get(key);
  if (ids === undefined) return;
  removeOne(ids, cond);
  if (ids.length === 0) map.delete(key);
}

export class FieldIndex {
  readonly path: string;
  /** The partition (rule-set.ts) it serves: a `source` value, or undefined for the general one. */
  readonly partition: string | undefined;
  /** Conditions on this path, including exists:false ones that register no matcher here. */
  conditions = 0;

  private readonly strings = new Map<string, number[]>();
  private readonly numbers = new Map<number | string, number[]>();
  private readonly literals = new Map<boolean | null, number[]>();
  private readonly prefixes = new AffixIndex();
  private readonly suffixes = new AffixIndex();
  private readonly folded = new Map<string, number[]>();
  private readonly foldedPrefixes = new AffixIndex();
  private readonly foldedSuffixes = new AffixIndex();
  private readonly cidr4 = new AffixIndex();
  private readonly cidr6 = new AffixIndex();
  private readonly ranges = new RangeIndex();
  private anyValue: number[] = [];
  private scans: { cond: number; matcher: Matcher }[] = [];

  constructor(path: string, partition: string | undefined) {
    this.path = path;
    this.partition = partition;
  }

  add(m: Matcher, cond: number): void {
    this.register(m, cond, true);
  }

  remove(m: Matcher, cond: number): void {
    this.register(m, cond, false);
  }

  private register(m: Matcher, cond: number, add: boolean): void {
    switch (m.kind) {
      case 'exact': {
        const v = m.value;
        if (typeof v === 'string') (add ? addTo : removeFrom)(this.strings, v, cond);
        else if (typeof v === 'number') (add ? addTo : removeFrom)(this.numbers, numberKey(v), cond);
        else (add ? addTo : removeFrom)(this.literals, v, cond);
        return;
      }
      case 'prefix':
        return add ? this.prefixes.add(m.value, cond) : this.prefixes.remove(m.value, cond);
      case 'suffix':
        return add ? this.suffixes.add(m.value, cond) : this.suffixes.remove(m.value, cond);
      case 'equals-ignore-case':
        return (add ? addTo : removeFrom)(this.folded, m.value, cond);
      case 'prefix-ignore-case':
        return add ? this.foldedPrefixes.add(m.value, cond) : this.foldedPrefixes.remove(m.value, cond);
      case 'suffix-ignore-case':
        return add ? this.foldedSuffixes.add(m.value, cond) : this.foldedSuffixes.remove(m.value, cond);
      case 'cidr': {
        // A block whose address has host bits set has a bottom inside the prefix: test it per value.
        if (m.prefix.from !== undefined) break;
        const index = m.prefix.version === 4 ? this.cidr4 : this.cidr6;
        return add ? index.add(m.prefix.bits, cond) : index.remove(m.prefix.bits, cond);
      }
      case 'numeric': {
        if (!add) return this.ranges.remove(cond);
        const r = m.range;
        // Quantized values are integers, so open bounds become closed ones.
        return this.ranges.add(r.lowerOpen ? r.lower + 1 : r.lower, r.upperOpen ? r.upper - 1 : r.upper, cond);
      }
      case 'exists':
        // exists:false is about absence, which the rule set checks; it registers nothing here.
        if (!m.value) return;
        if (add) this.anyValue.push(cond);
        else this.anyValue = this.anyValue.filter((c) => c !== cond);
        return;
      default:
        break;
    }
    if (add) this.scans.push({ cond, matcher: m });
    else this.scans = this.scans.filter((s) => s.cond !== cond || s.matcher !== m);
  }

  /** Report every condition (possibly more than once) with a matcher that accepts `v`. */
  collect(v: Leaf, report: Report): void {
    if (typeof v === 'string') {
      const ids = this.strings.get(v);
      if (ids !== undefined) for (const id of ids) report(id);
      if (this.prefixes.size > 0) this.prefixes.prefixesOf(v, report);
      if (this.suffixes.size > 0) this.suffixes.suffixesOf(v, report);
      if (this.folded.size > 0 || this.foldedPrefixes.size > 0 || this.foldedSuffixes.size > 0) {
        const f = foldCase(v);
        const fids = this.folded.get(f);
        if (fids !== undefined) for (const id of fids) report(id);
        if (this.foldedPrefixes.size > 0) this.foldedPrefixes.prefixesOf(f, report);
        if (this.foldedSuffixes.size > 0) this.foldedSuffixes.suffixesOf(f, report);
      }
      if (this.cidr4.size > 0 || this.cidr6.size > 0) {
        const ip = ipBits(v);
        if (ip !== null) (ip.version === 4 ? this.cidr4 : this.cidr6).prefixesOf(ip.bits, report);
      }
    } else if (typeof v === 'number') {
      const ids = this.numbers.get(numberKey(v));
      if (ids !== undefined) for (const id of ids) report(id);
      if (this.ranges.size > 0) {
        const q = quantize(v);
        if (!Number.isNaN(q)) this.ranges.stab(q, report);
      }
    } else {
      const ids = this.literals.get(v);
      if (ids !== undefined) for (const id of ids) report(id);
    }
    for (const id of this.anyValue) report(id);
    for (const s of this.scans) if (accepts(s.matcher, v)) report(s.cond);
  }
}
