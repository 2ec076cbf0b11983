/**
 * The router: which targets an event on a bus is owed, answered from memory.
 *
 * It mirrors the store's rules and targets (loaded once at start, then kept in step by the API
 * handlers after each successful store write) and keeps one compiled RuleSet per bus holding the
 * enabled rules that have an event pattern. Rule changes apply to the next PutEvents, with no
 * restart. It owns no I/O: the store stays the source of truth.
 */
import type { Rule, Scope, Target } from '../domain/model.js';
import { RuleSet } from '../pattern/index.js';
import type { Pattern } from '../pattern/index.js';

export interface Route {
  readonly ruleArn: string;
  readonly targets: readonly Target[];
}

interface RuleTargets {
  readonly byId: Map<string, Target>;
  list: readonly Target[];
}

interface BusRules {
  readonly ruleSet: RuleSet;
  /** Rule ARN -> its targets by id, and the same as a list (what `route` hands out). */
  readonly targets: Map<string, RuleTargets>;
}

/** Validates a Detail for a bus that has no rules. */
const NO_RULES = new RuleSet();

export function busKey(scope: Scope, busName: string): string {
  return `${scope.account}\u0000${scope.region}\u0000${busName}`;
}

function isEnabled(rule: Rule): boolean {
  return rule.state !== 'DISABLED';
}

export class Router {
  private readonly buses = new Map<string, BusRules>();
  /** Rule ARN -> the bus key it lives on. */
  private readonly ruleBus = new Map<string, string>();
  private readonly compile: (pattern: string) => Pattern;

  constructor(compile: (pattern: string) => Pattern) {
    this.compile = compile;
  }

  private bus(key: string): BusRules {
    let b = this.buses.get(key);
    if (b === undefined) this.buses.set(key, (b = { ruleSet: new RuleSet(), targets: new Map() }));
    return b;
  }

  /** Add or replace a rule. */
  putRule(rule: Rule): void {
    const key = busKey(rule, rule.eventBusName);
    this.ruleBus.set(rule.arn, key);
    const b = this.bus(key);
    if (!b.targets.has(rule.arn)) b.targets.set(rule.arn, { byId: new Map(), list: [] });
    if (isEnabled(rule) && rule.eventPattern !== undefined) b.ruleSet.add(rule.arn, this.compile(rule.eventPattern));
    else b.ruleSet.remove(rule.arn);
  }

  deleteRule(ruleArn: string): void {
    const key = this.ruleBus.get(ruleArn);
    if (key === undefined) return;
    this.ruleBus.delete(ruleArn);
    const b = this.bus(key);
    b.ruleSet.remove(ruleArn);
    b.targets.delete(ruleArn);
  }

  deleteBus(scope: Scope, busName: string): void {
    const key = busKey(scope, busName);
    const b = this.buses.get(key);
    if (b === undefined) return;
    for (const arn of b.targets.keys()) this.ruleBus.delete(arn);
    this.buses.delete(key);
  }

  putTargets(ruleArn: string, targets: readonly Target[]): void {
    const of = this.targetsOf(ruleArn);
    if (of === undefined) return;
    for (const t of targets) of.byId.set(t.Id, t);
    of.list = [...of.byId.values()];
  }

  removeTargets(ruleArn: string, ids: readonly string[]): void {
    const of = this.targetsOf(ruleArn);
    if (of === undefined) return;
    for (const id of ids) of.byId.delete(id);
    of.list = [...of.byId.values()];
  }

  private targetsOf(ruleArn: string): RuleTargets | undefined {
    const key = this.ruleBus.get(ruleArn);
    return key === undefined ? undefined : this.buses.get(key)?.targets.get(ruleArn);
  }

  /** A rule's target as it is now (delivery reads its input settings), if it still exists. */
  targetOf(ruleArn: string, targetId: string): Target | undefined {
    return this.targetsOf(ruleArn)?.byId.get(targetId);
  }

  /** Check that `detail` is one JSON object, as `route` does, for an event no rule will see. */
  check(head: Record<string, unknown>, detail: string): Route[] {
    NO_RULES.matchWithBody(head, 'detail', detail);
    return [];
  }

  /**
   * The rules of the bus that an event matches, with their targets. The event is given as its
   * envelope members without `detail` (`head`) and the Detail's JSON text, which is read once,
   * here, and must be one JSON object (else EventSyntaxError, even on a bus without rules).
   */
  route(scope: Scope, busName: string, head: Record<string, unknown>, detail: string): Route[] {
    const b = this.buses.get(busKey(scope, busName));
    if (b === undefined) return this.check(head, detail);
    const matched = b.ruleSet.matchWithBody(head, 'detail', detail);
    const routes: Route[] = [];
    for (const ruleArn of matched) routes.push({ ruleArn, targets: b.targets.get(ruleArn)?.list ?? [] });
    return routes;
  }
}
