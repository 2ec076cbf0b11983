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
import type { ApiDestination, Connection } from '../domain/connections.js';
import type {
  AcceptedEvent,
  DeliveryAttempt,
  DeliveryNext,
  DroppedDelivery,
  DroppedFilter,
  EventBus,
  ForwardedFrom,
  OwedDelivery,
  PendingDelivery,
  RedriveOutcome,
  Rule,
  Scope,
  StoredEvent,
  Tag,
  Target,
  TargetKind,
} from '../domain/model.js';
import type { MoveTask, NewMessage, Queue, Receipt, SendOutcome, StoredMessage } from '../queues/model.js';

/**
 * Everything kept about one event's deliveries, for its trace (docs/event-trace.md): the event,
 * and each delivery it was owed (one per matched rule and target; a rule without targets owes
 * none) with its state and every attempt, by rule ARN, then target id.
 */
export interface EventTrace {
  readonly event: StoredEvent;
  readonly deliveries: readonly TracedDelivery[];
  /** The events its bus targets forwarded (each with the delivery's rule and target), in order. */
  readonly forwardedTo: readonly ForwardedFrom[];
}

/** One owed delivery as traced: where it stands, and its attempts by number. */
export interface TracedDelivery extends OwedDelivery {
  /** 'pending' covers both a delivery never attempted and one waiting for a retry (`dueAt`). */
  readonly state: 'pending' | 'delivered' | 'dropped' | 'dead-lettered';
  /** While pending after a failure or a redrive: when the next attempt is due. */
  readonly dueAt?: number;
  readonly lastError?: string;
  /** When it was last redriven after being dropped. */
  readonly redrivenAt?: number;
  readonly attempts: readonly (DeliveryAttempt & { readonly number: number })[];
}

/** A bus target's forward: the delivery, the event it becomes on the target bus, the attempt. */
export interface Forward {
  readonly delivery: PendingDelivery;
  readonly forwarded: AcceptedEvent;
  readonly attempt: DeliveryAttempt;
}

/** An attempt to record, with the delivery it was for and where that delivery goes next. */
export interface AttemptRecord {
  readonly delivery: PendingDelivery;
  readonly attempt: DeliveryAttempt;
  readonly next: DeliveryNext;
}

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

  // Deliveries (docs/delivery.md) ------------------------------------------------------------
  /**
   * Deliveries of the given kinds whose first attempt is still to be made, in acceptance order,
   * after the one whose `key` is `after` (from the first when undefined), at most `limit`.
   */
  pendingDeliveries(kinds: readonly TargetKind[], after: string | undefined, limit: number): Promise<PendingDelivery[]>;
  /** Deliveries waiting for a retry whose time has come by `now`, soonest first. */
  dueDeliveries(now: number, limit: number): Promise<PendingDelivery[]>;
  /** When the soonest waiting delivery is due, if any waits. */
  nextDueAt(): Promise<number | undefined>;
  /**
   * Record attempts and each delivery's next state, all in one transaction (the dispatcher
   * gathers the attempts that end together, so one synced commit serves them all).
   */
  recordAttempts(records: readonly AttemptRecord[]): Promise<void>;
  /**
   * Bus targets' deliveries (src/delivery/bus-target.ts), in one transaction: for each, put the
   * forwarded event with the deliveries it is owed on its new bus, and record the attempt that
   * forwarded it as delivered. Each is made once: one whose delivery had already ended writes
   * nothing (the others are written).
   */
  forwardDeliveries(forwards: readonly Forward[]): Promise<void>;
  /**
   * Enqueue a message on a built-in queue and record the attempt and the delivery's next state
   * ('delivered' to a queue target, 'dead-lettered' to a dead-letter queue), in one transaction:
   * made exactly once, even across a crash.
   */
  enqueueDelivery(
    delivery: PendingDelivery,
    queue: Queue,
    message: NewMessage,
    dedupWindowMs: number,
    attempt: DeliveryAttempt,
    next: DeliveryNext,
  ): Promise<SendOutcome>;
  /** A delivery's state ('pending', 'delivered', 'dropped', 'dead-lettered'), attempts, last error. */
  deliveryState(eventId: string, ruleArn: string, targetId: string): Promise<{ state: string; attempts: number; lastError?: string } | undefined>;
  /** A delivery's attempts, in order. */
  attemptsOf(eventId: string, ruleArn: string, targetId: string): Promise<DeliveryAttempt[]>;
  /**
   * The trace of an event of the scope (the account and region of its bus): the event and every
   * delivery it is owed, with their attempts; undefined when no such event exists in the scope.
   */
  eventTrace(scope: Scope, eventId: string): Promise<EventTrace | undefined>;

  // Dropped deliveries (docs/dropped-deliveries.md) ------------------------------------------
  // The scope is that of the event's bus (the account and region it was put in). A filter's
  // ruleArn and targetId match exactly; absent, they match any.
  /**
   * Dropped deliveries of the scope matching `filter`, in acceptance order (by `key`), after the
   * one whose key is `after` (from the first when undefined), at most `limit`.
   */
  listDroppedDeliveries(scope: Scope, filter: DroppedFilter & { readonly after?: string; readonly limit: number }): Promise<DroppedDelivery[]>;
  countDroppedDeliveries(scope: Scope, filter: DroppedFilter): Promise<number>;
  /**
   * Set the chosen deliveries back to pending, due at `now`, if they are dropped, in one
   * transaction, keeping their attempts, last error and attempt history; the retry policy's
   * window counts from `now` (PendingDelivery.redriven). An outcome per chosen delivery, in order.
   */
  redriveDeliveries(
    scope: Scope,
    chosen: readonly { readonly eventId: string; readonly ruleArn: string; readonly targetId: string }[],
    now: number,
  ): Promise<RedriveOutcome[]>;
  /** The same for every dropped delivery of the scope matching `filter`; resolves with how many. */
  redriveDropped(scope: Scope, filter: DroppedFilter, now: number): Promise<number>;

  /** The queues and their messages. */
  readonly queues: QueueStore;
  /** Circuit breakers' state changes (src/delivery/circuit-breaker.ts; docs/circuit-breaker.md). */
  readonly breakers: BreakerLog;

  // Connections and API destinations (src/domain/connections.ts) ------------------------------
  // A connection's secrets arrive sealed (`sealedSecrets`, src/connections/secret-box.ts); the
  // store keeps that text as given, apart from the public document, and never sees them in clear.
  /** Insert a connection; false when one with that name exists in the scope. */
  insertConnection(connection: Connection): Promise<boolean>;
  getConnection(scope: Scope, name: string): Promise<Connection | undefined>;
  getConnectionByArn(arn: string): Promise<Connection | undefined>;
  /** In name order, as the other `list*`; only those in `state` when given. */
  listConnections(scope: Scope, page: Page & { readonly state?: string }): Promise<Connection[]>;
  /** Replace a connection (by ARN): document, state and sealed secrets (none when absent). */
  updateConnection(connection: Connection): Promise<void>;
  deleteConnection(scope: Scope, name: string): Promise<void>;
  /** Insert an API destination; false when one with that name exists in the scope. */
  insertApiDestination(destination: ApiDestination): Promise<boolean>;
  getApiDestination(scope: Scope, name: string): Promise<ApiDestination | undefined>;
  getApiDestinationByArn(arn: string): Promise<ApiDestination | undefined>;
  /** In name order, as the other `list*`; only those using `connectionArn` when given. */
  listApiDestinations(scope: Scope, page: Page & { readonly connectionArn?: string }): Promise<ApiDestination[]>;
  /** Replace an API destination (by ARN). */
  updateApiDestination(destination: ApiDestination): Promise<void>;
  deleteApiDestination(scope: Scope, name: string): Promise<void>;
}

/** What ReceiveMessage asks of the store: claim up to `max` messages, in one transaction. */
export interface ReceiveRequest {
  readonly max: number;
  readonly now: number;
  /** When the claimed messages become visible again. */
  readonly visibleUntil: number;
  /** A fresh receipt nonce for each claimed message. */
  readonly nonce: () => string;
  /** Messages enqueued before this are past retention: deleted, never returned. */
  readonly expiredBefore: number;
  /**
   * The queue's redrive policy: a message already received `maxReceiveCount` times is moved to
   * `queue` (enqueued now, visible, its receive count kept, its source recorded) instead of being
   * returned.
   */
  readonly deadLetter?: { readonly queue: Queue; readonly maxReceiveCount: number };
}

/**
 * Queues. Every method is one transaction; a write is durable when it resolves. FIFO rules
 * (receive one group at a time, in order; deduplicate within the interval) are the store's to
 * keep, because they are decided by what is stored at the moment of the transaction.
 */
export interface QueueStore {
  /** Insert a queue, numbering it; the existing queue (unchanged) when the name is taken. */
  createQueue(queue: Omit<Queue, 'id'>): Promise<{ queue: Queue; created: boolean }>;
  getQueue(scope: Scope, name: string): Promise<Queue | undefined>;
  /** In name order, as the other `list*`. */
  listQueues(scope: Scope, page: Page): Promise<Queue[]>;
  /** Every queue of the scope (ListDeadLetterSourceQueues filters them). */
  allQueues(scope: Scope): Promise<Queue[]>;
  /** Replace a queue's attributes, tags and modification time. */
  updateQueue(queue: Queue): Promise<void>;
  /** Delete a queue with its messages and deduplication records. */
  deleteQueue(queue: Queue): Promise<void>;

  /**
   * Enqueue messages in order. For a FIFO queue each message with a deduplicationId is first
   * looked up among the keys seen until their expiry: a duplicate is not enqueued and gets the
   * original's id and sequence number; a new key is kept until `now + dedupWindowMs`.
   */
  sendMessages(queue: Queue, messages: readonly NewMessage[], now: number, dedupWindowMs: number): Promise<SendOutcome[]>;
  /** Claim messages: standard queues any visible ones; FIFO queues only groups with none in flight, in order. */
  receiveMessages(queue: Queue, request: ReceiveRequest): Promise<StoredMessage[]>;
  /**
   * Delete by receipts, in one transaction; for each: 'stale' (nothing deleted) when the receipt
   * is not the message's latest, 'gone' when there is no such message, and, when `inFlightOnly`,
   * 'expired' (nothing deleted) when its visibility timeout has ended by `now`.
   */
  deleteMessages(queue: Queue, receipts: readonly Receipt[], now: number, inFlightOnly: boolean): Promise<('deleted' | 'stale' | 'gone' | 'expired')[]>;
  /**
   * Set when messages become visible again, in one transaction; for each: 'not-in-flight' when
   * it is not in flight at `now` (or the receipt is stale), 'gone' when there is no such message.
   */
  changeVisibilities(
    queue: Queue,
    changes: readonly { readonly receipt: Receipt; readonly visibleAt: number }[],
    now: number,
  ): Promise<('changed' | 'not-in-flight' | 'gone')[]>;
  /** Delete every message of the queue. */
  purgeQueue(queue: Queue): Promise<void>;
  /** The queue's messages by state at `now`, leaving out those enqueued before `expiredBefore` (past retention). */
  countMessages(queue: Queue, now: number, expiredBefore: number): Promise<{ visible: number; inFlight: number; delayed: number }>;
  /** The earliest time after `now` a message of the queue becomes visible, if any. */
  nextVisibleAt(queue: Queue, now: number): Promise<number | undefined>;
  /**
   * Move up to `max` messages, oldest first, each to the queue `route` names for the queue it was
   * dead-lettered from (enqueued now, visible, receive count reset); a message `route` has no
   * queue for stays. Resolves with the number moved.
   */
  moveMessages(from: Queue, max: number, now: number, route: (deadLetterSourceArn: string | undefined) => Queue | undefined): Promise<number>;
  /** Delete messages past retention in every queue, and expired deduplication keys. */
  expire(now: number, retentionOf: (queue: Queue) => number): Promise<number>;

  /** Message move tasks (StartMessageMoveTask), by handle and by source queue ARN. */
  putMoveTask(task: MoveTask): Promise<void>;
  getMoveTask(handle: string): Promise<MoveTask | undefined>;
  /** A source queue's tasks, newest first. */
  listMoveTasks(scope: Scope, sourceArn: string): Promise<MoveTask[]>;
}

/** One state change of a rule target's circuit breaker. */
export interface BreakerRecord {
  readonly ruleArn: string;
  readonly targetId: string;
  readonly at: number;
  readonly from: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  readonly to: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  readonly reason: string;
}

export interface BreakerLog {
  record(change: BreakerRecord): Promise<void>;
  /** A target's latest changes, newest first, at most `limit`. */
  latest(ruleArn: string, targetId: string, limit: number): Promise<BreakerRecord[]>;
  /** The last change of every target whose breaker was last left OPEN or HALF_OPEN. */
  leftOpen(): Promise<BreakerRecord[]>;
}
