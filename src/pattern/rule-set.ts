/**
 * The compiled rule set: rules come and go by id; `matchJson`/`matchEvent` say which rules an
 * event matches, at a cost that depends on the event's fields and on the matches found, not on the
 * number of rules (docs/patterns.md, "The matcher").
 *
 * Vocabulary. A rule's pattern is a list of sub-rules (one per `$or` combination); each field of a
 * sub-rule becomes a *condition*, registered in the FieldIndex of its path. Conditions are of three
 * sorts:
 *   - value:  needs a leaf its matchers accept (the common case);
 *   - absent: `exists: false` only — needs the path to have no leaf at all;
 *   - either: `exists: false` beside other matchers — absent, or an accepted leaf.
 *
 * Matching one event:
 *
 *   flatten (skipping unnamed subtrees) --leaf(field, value, trail)--> FieldIndex.collect
 *        --> condition satisfied for the first time this event?
 *              --> count it for its sub-rule; when the count reaches the number of value
 *                  conditions, the sub-rule is a candidate
 *   candidates (+ sub-rules with no value condition) --> verify absent/either conditions and
 *        array consistency --> rule ids
 *
 * Partitions by source. Nearly every EventBridge rule names its event source, and an event
 * has one, so a sub-rule whose `source` condition is a list of exact strings is registered only
 * in the field indexes of those sources' partitions; other sub-rules go in the general
 * partition. When the source is known before the rest is read (PutEvents: `matchWithBody`), the
 * event is given only to the general partition and its source's, through a path trie built for
 * that pair: paths only other sources' rules name are skipped, and the indexes of those it reads
 * hold only conditions that can still complete. The source condition itself is still counted, so
 * giving an event to every partition (`matchJson`, `matchEvent`) gives the same answer.
 *
 * Per-event state lives in arrays indexed by dense ids and stamped with an epoch, so nothing is
 * cleared between events. JavaScript runs one call at a time, so "concurrent" changes are changes
 * made between two match calls; every add/remove leaves the indexes consistent before it returns,
 * and the trie and range indexes are rebuilt lazily on the next match.
 */
import type { Field, Leaf, Pattern } from './ast.js';
import { FieldIndex } from './field-index.js';
import { LeafCollector, scanJson, scanWithBody, walkValue } from './flatten.js';
import { parsePattern } from './parse.js';
import type { PatternOptions } from './parse.js';
import { buildPathTrie } from './path-trie.js';
import type { PathNode, TrieField } from './path-trie.js';

const enum Sort {
  Value,
  Absent,
  Either,
}

/** The path whose exact-string values partition the rules (see above). */
const PARTITION_PATH = 'source';

/** One field path some condition names, with its index in each partition that has one. */
interface PathState {
  readonly path: string;
  /** Dense id, for per-match bookkeeping arrays. */
  readonly id: number;
  /** Conditions on this path, over all partitions. */
  conditions: number;
  general: FieldIndex | undefined;
  readonly partitions: Map<string, FieldIndex>;
}

interface Condition {
  readonly id: number;
  readonly sub: SubRuleState;
  readonly path: PathState;
  /** Where its matchers are registered: one index per partition of its sub-rule. */
  readonly indexes: readonly FieldIndex[];
  readonly sort: Sort;
  readonly source: Field;
}

interface SubRuleState {
  readonly id: number;
  readonly rule: RuleState;
  readonly conditions: Condition[];
  /** Number of Sort.Value conditions. */
  required: number;
}

interface RuleState {
  readonly id: string;
  readonly index: number;
  readonly pattern: Pattern;
  readonly subRules: SubRuleState[];
}

/** Ids recycled through free lists, so per-event arrays stay dense. */
class IdPool {
  private next = 0;
  private readonly free: number[] = [];
  take(): number {
    return this.free.pop() ?? this.next++;
  }
  give(id: number): void {
    this.free.push(id);
  }
}

export type RuleSetOptions = PatternOptions;

export class RuleSet {
  private readonly options: RuleSetOptions;
  private readonly rules = new Map<string, RuleState>();
  private readonly paths = new Map<string, PathState>();
  /** Field indexes per partition (source value), so an event knows whether its source has one. */
  private readonly partitionSizes = new Map<string, number>();
  /** Path tries, built on demand, dropped when a field index comes or goes. */
  private tries: { general?: PathNode; all?: PathNode; bySource: Map<string, PathNode> } = { bySource: new Map() };
  /** Sub-rules with no value condition: checked on every event. */
  private readonly unconditional = new Set<SubRuleState>();
  private readonly conditions: (Condition | undefined)[] = [];
  private readonly conditionIds = new IdPool();
  private readonly subRuleIds = new IdPool();
  private readonly ruleIds = new IdPool();
  private readonly pathIds = new IdPool();
  private readonly matching = new Matching(this.conditions);

  constructor(options: RuleSetOptions = {}) {
    this.options = options;
  }

  get size(): number {
    return this.rules.size;
  }

  has(ruleId: string): boolean {
    return this.rules.has(ruleId);
  }

  /** Add a rule, or replace the rule with that id. A string pattern is parsed (and may throw). */
  add(ruleId: string, pattern: Pattern | string): void {
    const compiled = typeof pattern === 'string' ? parsePattern(pattern, this.options) : pattern;
    this.remove(ruleId);
    const rule: RuleState = { id: ruleId, index: this.ruleIds.take(), pattern: compiled, subRules: [] };
    for (const fields of compiled.subRules) {
      const sub: SubRuleState = { id: this.subRuleIds.take(), rule, conditions: [], required: 0 };
      const partitions = partitionsOf(fields);
      for (const source of fields) {
        const absent = source.matchers.some((m) => m.kind === 'exists' && !m.value);
        const present = source.matchers.some((m) => !(m.kind === 'exists' && !m.value));
        const sort = absent ? (present ? Sort.Either : Sort.Absent) : Sort.Value;
        const path = this.pathFor(source.path);
        const indexes = partitions.map((p) => this.indexFor(path, p));
        const cond: Condition = { id: this.conditionIds.take(), sub, path, indexes, sort, source };
        this.conditions[cond.id] = cond;
        path.conditions++;
        for (const index of indexes) {
          index.conditions++;
          for (const m of source.matchers) index.add(m, cond.id);
        }
        sub.conditions.push(cond);
        if (sort === Sort.Value) sub.required++;
      }
      if (sub.required === 0) this.unconditional.add(sub);
      rule.subRules.push(sub);
    }
    this.rules.set(ruleId, rule);
  }

  remove(ruleId: string): boolean {
    const rule = this.rules.get(ruleId);
    if (rule === undefined) return false;
    this.rules.delete(ruleId);
    for (const sub of rule.subRules) {
      for (const cond of sub.conditions) {
        for (const index of cond.indexes) {
          for (const m of cond.source.matchers) index.remove(m, cond.id);
          if (--index.conditions === 0) this.dropIndex(cond.path, index);
        }
        this.conditions[cond.id] = undefined;
        this.conditionIds.give(cond.id);
        if (--cond.path.conditions === 0) {
          this.paths.delete(cond.path.path);
          this.pathIds.give(cond.path.id);
        }
      }
      this.unconditional.delete(sub);
      this.subRuleIds.give(sub.id);
    }
    this.ruleIds.give(rule.index);
    return true;
  }

  /** The ids of the rules `eventText` (a JSON object) matches. Throws EventSyntaxError on bad JSON. */
  matchJson(eventText: string): string[] {
    const m = this.matching.start();
    scanJson(eventText, this.allTrie(), m);
    return m.finish(this.unconditional);
  }

  /**
   * The ids of the rules an event matches, given as parsed top-level members plus the JSON text
   * of member `key` (see flatten.ts `scanWithBody`); throws EventSyntaxError when that text is not
   * one JSON object. PutEvents uses it to match its envelope while reading the Detail only once.
   */
  matchWithBody(head: Record<string, unknown>, key: string, body: string): string[] {
    const m = this.matching.start();
    scanWithBody(head, key, body, this.trieFor(head[PARTITION_PATH]), m);
    return m.finish(this.unconditional);
  }

  /** The ids of the rules a parsed event matches. */
  matchEvent(event: unknown): string[] {
    const m = this.matching.start();
    walkValue(event, this.allTrie(), m);
    return m.finish(this.unconditional);
  }

  private pathFor(path: string): PathState {
    let state = this.paths.get(path);
    if (state === undefined) {
      state = { path, id: this.pathIds.take(), conditions: 0, general: undefined, partitions: new Map() };
      this.paths.set(path, state);
    }
    return state;
  }

  private indexFor(path: PathState, partition: string | undefined): FieldIndex {
    let index = partition === undefined ? path.general : path.partitions.get(partition);
    if (index !== undefined) return index;
    index = new FieldIndex(path.path, partition);
    if (partition === undefined) {
      path.general = index;
    } else {
      path.partitions.set(partition, index);
      this.partitionSizes.set(partition, (this.partitionSizes.get(partition) ?? 0) + 1);
    }
    this.tries = { bySource: new Map() };
    return index;
  }

  private dropIndex(path: PathState, index: FieldIndex): void {
    const partition = index.partition;
    if (partition === undefined) {
      path.general = undefined;
    } else {
      path.partitions.delete(partition);
      const n = (this.partitionSizes.get(partition) ?? 1) - 1;
      if (n > 0) this.partitionSizes.set(partition, n);
      else this.partitionSizes.delete(partition);
    }
    this.tries = { bySource: new Map() };
  }

  /** The trie for an event whose partition value is `source`: its partition and the general one. */
  private trieFor(source: unknown): PathNode {
    if (typeof source !== 'string') return this.allTrie();
    if (!this.partitionSizes.has(source)) return (this.tries.general ??= this.buildTrie((p) => p.general && [p.general]));
    let trie = this.tries.bySource.get(source);
    if (trie === undefined) {
      trie = this.buildTrie((p) => {
        const own = p.partitions.get(source);
        if (own === undefined) return p.general && [p.general];
        return p.general === undefined ? [own] : [p.general, own];
      });
      this.tries.bySource.set(source, trie);
    }
    return trie;
  }

  /** Every partition's indexes: right for any event, as the source condition is still counted. */
  private allTrie(): PathNode {
    return (this.tries.all ??= this.buildTrie((p) => {
      const all = [...p.partitions.values()];
      if (p.general !== undefined) all.push(p.general);
      return all;
    }));
  }

  private buildTrie(indexesOf: (path: PathState) => readonly FieldIndex[] | undefined): PathNode {
    const fields: TrieField[] = [];
    for (const p of this.paths.values()) {
      const indexes = indexesOf(p);
      if (indexes !== undefined && indexes.length > 0) fields.push({ path: p.path, id: p.id, indexes });
    }
    return buildPathTrie(fields);
  }
}

/**
 * The partitions a sub-rule is registered in: the values of its `source` condition when that is
 * a list of exact strings, else only the general partition (undefined).
 */
function partitionsOf(fields: readonly Field[]): (string | undefined)[] {
  const source = fields.find((f) => f.path === PARTITION_PATH);
  if (source === undefined || source.matchers.length === 0) return [undefined];
  const values = new Set<string>();
  for (const m of source.matchers) {
    if (m.kind !== 'exact' || typeof m.value !== 'string') return [undefined];
    values.add(m.value);
  }
  return [...values];
}

/** A leaf satisfying a condition from inside an array: its trail, copied. */
type Trail = number[];

/** Shared by conditions satisfied outside any array (never written: such a condition is free). */
const NO_TRAILS: Trail[] = [];

/**
 * The per-event bookkeeping of a match, reused across events. `epoch` stamps every entry written
 * for the current event; an entry with an older stamp counts as empty.
 */
class Matching extends LeafCollector {
  private epoch = 0;
  private readonly conditions: (Condition | undefined)[];
  private readonly fieldSeen: number[] = [];
  private readonly condSeen: number[] = [];
  /** True when some leaf outside any array satisfied the condition. */
  private readonly condFree: boolean[] = [];
  /** Trails of leaves inside arrays that satisfied the condition (only when not free). */
  private readonly condTrails: Trail[][] = [];
  private readonly subSeen: number[] = [];
  private readonly subCount: number[] = [];
  private readonly ruleSeen: number[] = [];
  private candidates: SubRuleState[] = [];
  private leafTrail: Trail | null = null;
  private readonly report = (id: number): void => this.satisfied(id);

  constructor(conditions: (Condition | undefined)[]) {
    super();
    this.conditions = conditions;
  }

  start(): this {
    this.epoch++;
    this.candidates = [];
    this.resetTrail();
    return this;
  }

  leaf(field: TrieField, value: Leaf): void {
    this.fieldSeen[field.id] = this.epoch;
    this.leafTrail = null;
    for (const index of field.indexes) index.collect(value, this.report);
  }

  private satisfied(id: number): void {
    const epoch = this.epoch;
    const inArray = this.trailLength > 0;
    if (this.condSeen[id] !== epoch) {
      this.condSeen[id] = epoch;
      this.condFree[id] = !inArray;
      this.condTrails[id] = inArray ? [this.currentTrail()] : NO_TRAILS;
      const cond = this.conditions[id] as Condition;
      if (cond.sort !== Sort.Value) return;
      const sub = cond.sub;
      if (this.subSeen[sub.id] !== epoch) {
        this.subSeen[sub.id] = epoch;
        this.subCount[sub.id] = 0;
      }
      const count = (this.subCount[sub.id] as number) + 1;
      this.subCount[sub.id] = count;
      if (count === sub.required) this.candidates.push(sub);
    } else if (!this.condFree[id]) {
      if (inArray) (this.condTrails[id] as Trail[]).push(this.currentTrail());
      else this.condFree[id] = true;
    }
  }

  private currentTrail(): Trail {
    this.leafTrail ??= this.trail.slice(0, this.trailLength);
    return this.leafTrail;
  }

  finish(unconditional: Set<SubRuleState>): string[] {
    const out: string[] = [];
    const epoch = this.epoch;
    const accept = (sub: SubRuleState): void => {
      if (this.ruleSeen[sub.rule.index] === epoch || !this.verify(sub)) return;
      this.ruleSeen[sub.rule.index] = epoch;
      out.push(sub.rule.id);
    };
    for (const sub of this.candidates) accept(sub);
    for (const sub of unconditional) accept(sub);
    return out;
  }

  /** Absence conditions, then array consistency among the leaves that satisfied the others. */
  private verify(sub: SubRuleState): boolean {
    const epoch = this.epoch;
    let constrained: Trail[][] | null = null;
    for (const cond of sub.conditions) {
      const present = this.fieldSeen[cond.path.id] === epoch;
      if (cond.sort === Sort.Absent) {
        if (present) return false;
        continue;
      }
      if (!present && cond.sort === Sort.Either) continue;
      if (this.condSeen[cond.id] !== epoch) return false;
      if (!this.condFree[cond.id]) (constrained ??= []).push(this.condTrails[cond.id] as Trail[]);
    }
    return constrained === null || constrained.length < 2 || consistentChoice(constrained);
  }
}

/** Can one trail be chosen from each list so that every two chosen trails agree on shared arrays? */
function consistentChoice(lists: Trail[][]): boolean {
  const chosen: Trail[] = [];
  const pick = (i: number): boolean => {
    if (i === lists.length) return true;
    for (const t of lists[i] as Trail[]) {
      if (chosen.every((c) => agree(c, t))) {
        chosen.push(t);
        if (pick(i + 1)) return true;
        chosen.pop();
      }
    }
    return false;
  };
  return pick(0);
}

function agree(a: Trail, b: Trail): boolean {
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) {
      if (a[i] === b[j] && a[i + 1] !== b[j + 1]) return false;
    }
  }
  return true;
}
