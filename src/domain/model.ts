/**
 * The resources and records Switchyard keeps, in domain terms. The store persists these; the API
 * turns them into AWS's wire shapes. Times are milliseconds since the epoch.
 *
 * Everything lives in an account and a region ("scope"): two accounts never see each other's
 * buses, rules or events.
 */

export interface Scope {
  readonly account: string;
  readonly region: string;
}

export interface EventBus extends Scope {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly kmsKeyIdentifier?: string;
  /** AWS's DeadLetterConfig shape ({ Arn }). */
  readonly deadLetterConfig?: { readonly Arn?: string };
  /** The resource policy, as JSON text. */
  readonly policy?: string;
  readonly createdAt: number;
  readonly modifiedAt: number;
}

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface Rule extends Scope {
  readonly eventBusName: string;
  readonly name: string;
  readonly arn: string;
  readonly eventPattern?: string;
  readonly scheduleExpression?: string;
  readonly state: RuleState;
  readonly description?: string;
  readonly roleArn?: string;
  readonly managedBy?: string;
  /** The account that created the rule. */
  readonly createdBy: string;
  readonly createdAt: number;
}

/**
 * A rule's target, kept in AWS's own Target shape (Id, Arn, RoleArn, Input, InputPath,
 * InputTransformer, RetryPolicy, DeadLetterConfig, SqsParameters, HttpParameters, ...), validated
 * by the API before it is stored.
 */
export interface Target {
  readonly Id: string;
  readonly Arn: string;
  readonly [member: string]: unknown;
}

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

/** An event accepted by PutEvents: its envelope, as the JSON text targets will receive. */
export interface StoredEvent extends Scope {
  readonly id: string;
  readonly eventBusName: string;
  readonly envelope: string;
  readonly ingestedAt: number;
  readonly traceHeader?: string;
  /**
   * For an event a bus target forwarded (src/delivery/bus-target.ts): the ARNs of the buses its
   * ancestors were on, oldest first, not counting the bus it is on now. Absent for PutEvents'.
   */
  readonly via?: readonly string[];
  /** For an event a bus target forwarded: the event it came from, and that delivery's rule and target. */
  readonly forwardedFrom?: ForwardedFrom;
}

export interface ForwardedFrom {
  readonly eventId: string;
  readonly ruleArn: string;
  readonly targetId: string;
}

/** A delivery owed to one target of one rule that the event matched when it was accepted. */
export interface OwedDelivery {
  readonly eventId: string;
  readonly ruleArn: string;
  readonly targetId: string;
  readonly targetArn: string;
}

/** An accepted event with the deliveries it is owed, committed together. */
export interface AcceptedEvent {
  readonly event: StoredEvent;
  readonly deliveries: readonly OwedDelivery[];
}

/** What kind of target an ARN names; it decides which adapter delivers (arn.ts targetKind). */
export type TargetKind = 'queue' | 'api-destination' | 'bus' | 'other';

/** A delivery not yet made, as the dispatcher reads it: what is owed, to whom, and the event. */
export interface PendingDelivery extends OwedDelivery {
  /** Which adapter delivers it (src/domain/arn.ts targetKind). */
  readonly kind: TargetKind;
  /** The store's key of the delivery (opaque outside the store; orders deliveries). */
  readonly key: string;
  readonly envelope: string;
  readonly ingestedAt: number;
  /** PutEvents' TraceHeader, when the event had one. */
  readonly traceHeader?: string;
  /** The buses a forwarded event came through (StoredEvent.via). */
  readonly via?: readonly string[];
  readonly attempts: number;
  /**
   * When it was last redriven after being dropped (docs/dropped-deliveries.md), and how many
   * attempts had been made by then: the retry policy's window counts from there, not from
   * ingestion. Absent for a delivery never redriven.
   */
  readonly redriven?: { readonly at: number; readonly attempts: number };
}

/** A delivery kept as dropped (owed state 2), as listed for a person to inspect and redrive. */
export interface DroppedDelivery extends OwedDelivery {
  /** The store's key (opaque outside the store; orders the listing, pages start after one). */
  readonly key: string;
  readonly attempts: number;
  readonly lastError?: string;
  /** When its last attempt started, ms since the epoch. */
  readonly droppedAt?: number;
}

/** Which dropped deliveries of a scope: all, or those of one rule and/or one target id. */
export interface DroppedFilter {
  readonly ruleArn?: string;
  readonly targetId?: string;
}

/** What redriving one chosen delivery came to. */
export type RedriveOutcome = 'redriven' | 'not-found' | 'not-dropped';

/** One attempt to make a delivery, as recorded (table `attempts`). */
export interface DeliveryAttempt {
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly outcome: 'delivered' | 'failed';
  /** The target's HTTP status, when it answered. */
  readonly status?: number;
  readonly error?: string;
}

/** Where a delivery goes after an attempt (docs/delivery.md's state machine). */
export type DeliveryNext =
  | { readonly state: 'delivered' }
  | { readonly state: 'waiting'; readonly dueAt: number }
  | { readonly state: 'dropped' | 'dead-lettered'; readonly error: string };
