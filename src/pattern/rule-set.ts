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
import { buildPathTrie, PathNode } from './path-trie.js';

const enum Sort {
  Value,
  Absent,
  Either,
}

interface Condition {
  readonly id: number;
  readonly sub: SubRuleState;
  readonly field: FieldIndex;
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
  private readonly fields = new Map<string, FieldIndex>();
  private trie: PathNode | null = new PathNode();
  /** Sub-rules with no value condition: checked on every event. */
  private readonly unconditional = new Set<SubRuleState>();
  private readonly conditions: (Condition | undefined)[] = [];
  private readonly conditionIds = new IdPool();
  private readonly subRuleIds = new IdPool();
  private readonly ruleIds = new IdPool();
  private readonly fieldIds = new IdPool();
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
      for (const source of fields) {
        const absent = source.matchers.some((m) => m.kind === 'exists' && !m.value);
        const present = source.matchers.some((m) => !(m.kind === 'exists' && !m.value));
        const sort = absent ? (present ? Sort.Either : Sort.Absent) : Sort.Value;
        const field = this.fieldFor(source.path);
        const cond: Condition = { id: this.conditionIds.take(), sub, field, sort, source };
        this.conditions[cond.id] = cond;
        field.conditions++;
        for (const m of source.matchers) field.add(m, cond.id);
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
        for (const m of cond.source.matchers) cond.field.remove(m, cond.id);
        this.conditions[cond.id] = undefined;
        this.conditionIds.give(cond.id);
        if (--cond.field.conditions === 0) {
          this.fields.delete(cond.field.path);
          this.fieldIds.give(cond.field.id);
          this.trie = null;
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
    scanJson(eventText, this.pathTrie(), m);
    return m.finish(this.unconditional);
  }

  /**
   * The ids of the rules an event matches, given as parsed top-level members plus the JSON text
   * of member `key` (see flatten.ts `scanWithBody`); throws EventSyntaxError when that text is not
   * one JSON object. PutEvents uses it to match its envelope while reading the Detail only once.
   */
  matchWithBody(head: Record<string, unknown>, key: string, body: string): string[] {
    const m = this.matching.start();
    scanWithBody(head, key, body, this.pathTrie(), m);
    return m.finish(this.unconditional);
  }

  /** The ids of the rules a parsed event matches. */
  matchEvent(event: unknown): string[] {
    const m = this.matching.start();
    walkValue(event, this.pathTrie(), m);
    return m.finish(this.unconditional);
  }

  private fieldFor(path: string): FieldIndex {
    let field = this.fields.get(path);
    if (field === undefined) {
      field = new FieldIndex(path, this.fieldIds.take());
      this.fields.set(path, field);
      this.trie = null;
    }
    return field;
  }

  private pathTrie(): PathNode {
    if (this.trie === null) this.trie = buildPathTrie(this.fields.values());
    return this.trie;
  }
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

  leaf(field: FieldIndex, value: Leaf): void {
    this.fieldSeen[field.id] = this.epoch;
    this.leafTrail = null;
    field.collect(value, this.report);
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
      const present = this.fieldSeen[cond.field.id] === epoch;
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
