/**
 * The store port: everything Switchyard keeps, as domain operations. Adapters (sqlite/, and
 * postgres/ later) own their connections and transactions; no SQL, connection or transaction type
 * crosses this boundary. Every adapter passes the contract suite in test/store/contract.ts.
 *
 * Durability contract: when `appendEvents` resolves, the events and their owed deliveries are on
 * disk (committed and synced) together; a crash after that loses neither. Resource writes
 * (buses, rules, targets, tags) are durable when they resolve too.
 *
 * Listing: `list*` return items in name order, at most `limit`, starting after `after` (a name
 * from an earlier page), so the API can build NextTokens from names.
 */
import type { AcceptedEvent, EventBus, OwedDelivery, Rule, Scope, StoredEvent, Tag, Target } from '../domain/model.js';

export interface Page {
  readonly after?: string;
  readonly limit: number;
  readonly namePrefix?: string;
}

export interface Store {
  /** 'sqlite' or 'postgres'. */
  readonly kind: string;
  close(): Promise<void>;

  // Buses -----------------------------------------------------------------------------------
  /** Insert a bus; false when one with that name exists in the scope. */
  insertBus(bus: EventBus): Promise<boolean>;
  getBus(scope: Scope, name: string): Promise<EventBus | undefined>;
  listBuses(scope: Scope, page: Page): Promise<EventBus[]>;
  /** Replace a bus's mutable fields (description, dead-letter config, policy, ...). */
  updateBus(bus: EventBus): Promise<void>;
  /** Delete a bus with its rules, their targets, and the tags of all of them. */
  deleteBus(scope: Scope, name: string): Promise<void>;

  // Rules -----------------------------------------------------------------------------------
  /** Insert or replace a rule (by scope, bus and name). */
  putRule(rule: Rule): Promise<void>;
  getRule(scope: Scope, busName: string, name: string): Promise<Rule | undefined>;
  listRules(scope: Scope, busName: string, page: Page): Promise<Rule[]>;
  /** Every rule of every account: the matcher's cache is loaded from this at start. */
  allRules(): Promise<Rule[]>;
  /** Delete a rule and its tags (the API refuses while it has targets). */
  deleteRule(scope: Scope, busName: string, name: string): Promise<void>;

  // Targets ---------------------------------------------------------------------------------
  /** Insert or replace targets of a rule, by target id. */
  putTargets(ruleArn: string, targets: readonly Target[]): Promise<void>;
  removeTargets(ruleArn: string, ids: readonly string[]): Promise<void>;
  /** A rule's targets, in id order. */
  listTargets(ruleArn: string): Promise<Target[]>;
  /** Every target of every rule: the matcher's cache is loaded from this at start. */
  allTargets(): Promise<{ ruleArn: string; target: Target }[]>;

  // Tags ------------------------------------------------------------------------------------
  getTags(arn: string): Promise<Tag[]>;
  /** Add or overwrite tags by key. */
  putTags(arn: string, tags: readonly Tag[]): Promise<void>;
  removeTags(arn: string, keys: readonly string[]): Promise<void>;

  // Events ----------------------------------------------------------------------------------
  /** Commit accepted events with their owed deliveries, durably, in one transaction. */
  appendEvents(batch: readonly AcceptedEvent[]): Promise<void>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  deliveriesOf(eventId: string): Promise<OwedDelivery[]>;
  countEvents(): Promise<number>;
  /** Add to a named per-scope counter (e.g. events dropped for a bus that does not exist). */
  addToCounter(scope: Scope, name: string, n: number): Promise<void>;
  getCounter(scope: Scope, name: string): Promise<number>;
}
