/**
 * The per-event trace (docs/event-trace.md), an operation of Switchyard's own API
 * (src/api/switchyard.ts: same wire, `X-Amz-Target: Switchyard.GetEventTrace`):
 *
 *   GetEventTrace  {EventId}
 *                  -> {EventId, EventBusArn, Account, Region, IngestedAt (epoch s), Via?,
 *                      ForwardedFrom?: {EventId, RuleArn, TargetId},
 *                      Outcome, Rules: [{RuleArn, Targets: [{TargetId, TargetArn, State,
 *                      ForwardedEventId? (a bus target: the event it became on that bus),
 *                      Attempts: [{Number, StartedAt (epoch s), LatencyMs, Outcome, HttpStatus?,
 *                      Error?}], NextAttemptAt?, LastError?, RedrivenAt?}]}]}
 *
 * The event must be on a bus of the caller's account and region; any other event is "not found",
 * word for word as one that does not exist, so a trace tells nothing about other accounts.
 *
 * A target's State, from its owed delivery (docs/delivery.md's state machine):
 *
 *   PENDING        owed, no attempt made yet (or only attempts a crash cut short)
 *   WAITING        pending with a time set for its next attempt (NextAttemptAt): an attempt failed
 *                  and a retry is scheduled, or it was redriven after being dropped
 *   DELIVERED      an attempt succeeded
 *   DEAD_LETTERED  given up on, sent to the target's dead-letter queue
 *   DROPPED        given up on, kept as a dropped delivery (docs/dropped-deliveries.md)
 *
 * The event's Outcome, from its targets' states, the first that applies:
 *
 *   NO_TARGETS     it was owed to no target (no rule matched, or those that did had no targets)
 *   PENDING        some target is PENDING or WAITING
 *   DELIVERED      every target is DELIVERED
 *   DEAD_LETTERED  every target is DEAD_LETTERED
 *   PARTIAL        some target is DELIVERED, the others DEAD_LETTERED or DROPPED
 *   DROPPED        none is DELIVERED and some is DROPPED (the others DEAD_LETTERED)
 */
import { busArn } from '../domain/arn.js';
import { SwitchyardError } from '../domain/errors.js';
import type { Handler } from '../http/server.js';
import type { EventTrace, Store, TracedDelivery } from '../store/port.js';
import { EVENT_ID, EVENT_WHAT, reqMatching, scopeOf } from './switchyard.js';

export interface TraceApiDeps {
  readonly store: Store;
}

export type TargetState = 'PENDING' | 'WAITING' | 'DELIVERED' | 'DEAD_LETTERED' | 'DROPPED';
export type EventOutcome = 'NO_TARGETS' | 'PENDING' | 'DELIVERED' | 'DEAD_LETTERED' | 'PARTIAL' | 'DROPPED';

/** A target's State from its owed delivery. */
export function targetState(d: TracedDelivery): TargetState {
  switch (d.state) {
    case 'pending':
      return d.dueAt === undefined ? 'PENDING' : 'WAITING';
    case 'delivered':
      return 'DELIVERED';
    case 'dead-lettered':
      return 'DEAD_LETTERED';
    case 'dropped':
      return 'DROPPED';
  }
}

/** The event's Outcome from its targets' states (the table in this module's comment). */
export function eventOutcome(states: readonly TargetState[]): EventOutcome {
  if (states.length === 0) return 'NO_TARGETS';
  if (states.some((s) => s === 'PENDING' || s === 'WAITING')) return 'PENDING';
  if (states.every((s) => s === 'DELIVERED')) return 'DELIVERED';
  if (states.every((s) => s === 'DEAD_LETTERED')) return 'DEAD_LETTERED';
  if (states.includes('DELIVERED')) return 'PARTIAL';
  return 'DROPPED';
}

/** Epoch milliseconds as the wire's epoch seconds (milliseconds as a fraction). */
const seconds = (ms: number): number => ms / 1000;

/** The wire shape of a trace. */
export function traceOutput(trace: EventTrace): Record<string, unknown> {
  const { event } = trace;
  const rules: { RuleArn: string; Targets: Record<string, unknown>[] }[] = [];
  const states: TargetState[] = [];
  for (const d of trace.deliveries) {
    const state = targetState(d);
    states.push(state);
    let rule = rules[rules.length - 1];
    if (rule === undefined || rule.RuleArn !== d.ruleArn) rules.push((rule = { RuleArn: d.ruleArn, Targets: [] }));
    const forwarded = trace.forwardedTo.find((f) => f.ruleArn === d.ruleArn && f.targetId === d.targetId);
    rule.Targets.push({
      TargetId: d.targetId,
      TargetArn: d.targetArn,
      State: state,
      ...(forwarded === undefined ? {} : { ForwardedEventId: forwarded.eventId }),
      Attempts: d.attempts.map((a) => ({
        Number: a.number,
        StartedAt: seconds(a.startedAt),
        LatencyMs: a.latencyMs,
        Outcome: a.outcome === 'delivered' ? 'DELIVERED' : 'FAILED',
        ...(a.status === undefined ? {} : { HttpStatus: a.status }),
        ...(a.error === undefined ? {} : { Error: a.error }),
      })),
      ...(state === 'WAITING' && d.dueAt !== undefined ? { NextAttemptAt: seconds(d.dueAt) } : {}),
      ...(d.lastError === undefined ? {} : { LastError: d.lastError }),
      ...(d.redrivenAt === undefined ? {} : { RedrivenAt: seconds(d.redrivenAt) }),
    });
  }
  return {
    EventId: event.id,
    EventBusArn: busArn(event, event.eventBusName),
    Account: event.account,
    Region: event.region,
    IngestedAt: seconds(event.ingestedAt),
    ...(event.via === undefined ? {} : { Via: [...event.via] }),
    ...(event.forwardedFrom === undefined
      ? {}
      : { ForwardedFrom: { EventId: event.forwardedFrom.eventId, RuleArn: event.forwardedFrom.ruleArn, TargetId: event.forwardedFrom.targetId } }),
    Outcome: eventOutcome(states),
    Rules: rules,
  };
}

/** The trace operations, a family of the Switchyard service (src/server.ts registers it). */
export function traceOperations(deps: TraceApiDeps): Record<string, Handler> {
  return {
    async GetEventTrace(ctx, input) {
      const eventId = reqMatching(input, 'EventId', EVENT_ID, EVENT_WHAT);
      const trace = await deps.store.eventTrace(scopeOf(ctx.caller), eventId);
      if (trace === undefined) throw new SwitchyardError('ResourceNotFoundException', `Event ${eventId} does not exist.`);
      return traceOutput(trace);
    },
  };
}
