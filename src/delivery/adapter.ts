/**
 * The contract between the dispatcher (dispatcher.ts) and the adapters that make one attempt to
 * one kind of target (adapters.ts): what an attempt came to, and the body a target receives.
 */
import type { PendingDelivery, Target } from '../domain/model.js';
import { targetBody as transform } from '../transform/index.js';
import type { TargetInput } from '../transform/index.js';
import type { DeliveryFailure } from './retry.js';

/** The SenderId of messages EventBridge puts on queues (targets and dead-letter queues). */
export const EVENTBRIDGE_SENDER = 'events.amazonaws.com';

/** What one attempt came to, as an adapter reports it. */
export type AttemptResult =
  | { readonly ok: true; readonly status?: number; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly failure: DeliveryFailure;
      readonly status?: number;
      /** A Retry-After the target asked for, in ms. */
      readonly retryAfterMs?: number | null;
      readonly latencyMs: number;
      readonly error: string;
    };

/**
 * Makes one attempt to one kind of target. 'recorded' means the adapter has already recorded a
 * successful attempt in the same transaction as its effect (built-in queues).
 */
export interface TargetAdapter {
  attempt(delivery: PendingDelivery, target: Target | undefined, startedAt: number): Promise<AttemptResult | 'recorded'>;
}

/** A failed attempt that never reached the target (it is missing, or refused before sending). */
export function refusal(failure: DeliveryFailure, error: string): AttemptResult {
  return { ok: false, failure, latencyMs: 0, error };
}

/** What a target receives (src/transform): the event, or its Input / InputPath / InputTransformer. */
export function targetBody(d: PendingDelivery, target: Target | undefined): string {
  return transform(d.envelope, (target ?? {}) as TargetInput, {
    ruleArn: d.ruleArn,
    ruleName: d.ruleArn.slice(d.ruleArn.lastIndexOf('/') + 1),
    ingestionTime: new Date(d.ingestedAt).toISOString(),
  });
}
