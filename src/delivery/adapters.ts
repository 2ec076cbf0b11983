/**
 * The adapters that make one delivery attempt to one kind of target, for the dispatcher
 * (dispatcher.ts; the contract is adapter.ts): built-in queues and API destinations.
 */
import { performance } from 'node:perf_hooks';

import type { ConnectionVault } from '../connections/vault.js';
import type { PendingDelivery, Target } from '../domain/model.js';
import type { QueueEngine } from '../queues/engine.js';
import { DEDUPLICATION_WINDOW_MS } from '../queues/engine.js';
import type { Store } from '../store/port.js';
import { EVENTBRIDGE_SENDER, refusal, targetBody } from './adapter.js';
import type { AttemptResult, TargetAdapter } from './adapter.js';
import type { HttpTargets } from './http-target.js';
import type { TargetOptionsRegistry } from './target-options.js';

/**
 * Built-in queues: the body from src/transform, SQS's checks, SqsParameters.MessageGroupId, the
 * event id as MessageDeduplicationId on a FIFO queue without content-based deduplication
 * (docs/queues.md); the message and the delivery's record in one transaction.
 */
export class QueueAdapter implements TargetAdapter {
  private readonly store: Store;
  private readonly engine: QueueEngine;
  private readonly now: () => number;

  constructor(store: Store, engine: QueueEngine, now: () => number) {
    this.store = store;
    this.engine = engine;
    this.now = now;
  }

  async attempt(d: PendingDelivery, target: Target | undefined, startedAt: number): Promise<AttemptResult | 'recorded'> {
    const { engine, store } = this;
    const queue = await engine.queueByArn(d.targetArn);
    if (queue === undefined) return refusal({ kind: 'target-missing' }, 'The specified queue does not exist.');
    const body = targetBody(d, target);
    const groupId = (target?.SqsParameters as { MessageGroupId?: string } | undefined)?.MessageGroupId;
    const dedupById = queue.fifo && queue.attributes.ContentBasedDeduplication !== 'true';
    let checked;
    try {
      checked = engine.check(queue, {
        MessageBody: body,
        ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
        ...(dedupById ? { MessageDeduplicationId: d.eventId } : {}),
      });
    } catch (e) {
      // SQS refused the message (too large, empty, ...): the target answered with an error.
      return refusal({ kind: 'http', status: 400, isApiDestination: false }, (e as Error).message);
    }
    const now = this.now();
    await store.enqueueDelivery(d, queue, engine.prepare(checked, EVENTBRIDGE_SENDER, now), DEDUPLICATION_WINDOW_MS, {
      startedAt,
      latencyMs: Math.max(0, now - startedAt),
      outcome: 'delivered',
    }, { state: 'delivered' });
    engine.wake(queue.id);
    return 'recorded';
  }
}

/**
 * API destinations: the destination and its connection's credentials (from the vault, in clear
 * only here), then one HTTP attempt (http-target.ts: auth, parameters, SSRF-pinned address,
 * timeout: the target's timeout-seconds option, target-options.ts). A destination or connection
 * that is gone, or deauthorized, is a missing target.
 */
export class ApiDestinationAdapter implements TargetAdapter {
  private readonly store: Store;
  private readonly vault: ConnectionVault;
  private readonly http: HttpTargets;
  private readonly options: TargetOptionsRegistry;
  /** Per destination ARN: the times (real ms) of its last InvocationRateLimitPerSecond requests. */
  private readonly sent = new Map<string, number[]>();

  constructor(store: Store, vault: ConnectionVault, http: HttpTargets, options: TargetOptionsRegistry) {
    this.store = store;
    this.vault = vault;
    this.http = http;
    this.options = options;
  }

  async attempt(d: PendingDelivery, target: Target | undefined): Promise<AttemptResult> {
    const destination = await this.store.getApiDestinationByArn(d.targetArn);
    if (destination === undefined) return refusal({ kind: 'target-missing' }, 'The API destination does not exist.');
    const secrets = await this.vault.connectionSecrets(destination.connectionArn);
    if (secrets === undefined) return refusal({ kind: 'target-missing' }, 'The connection does not exist or is deauthorized.');
    await this.pace(destination.arn, destination.invocationRateLimitPerSecond);
    return this.http.invoke({
      destination,
      secrets,
      target: target ?? { Id: d.targetId, Arn: d.targetArn },
      body: targetBody(d, target),
      eventId: d.eventId,
      traceHeader: d.traceHeader,
      timeoutMs: this.options.get(d.ruleArn, d.targetId).timeoutMs,
    });
  }

  /**
   * InvocationRateLimitPerSecond: at most `rate` requests in any second to one destination: a
   * request goes no sooner than 1 s after the one `rate` requests before it (times reserved in
   * order, the last `rate` kept). Excess waits, in the order it reserved; it is never dropped (its
   * retries still count against the event's maximum age). Real time, not the injected clock:
   * this paces the network.
   */
  private async pace(arn: string, rate: number): Promise<void> {
    const n = Math.max(1, Math.floor(rate));
    const now = performance.now();
    const times = this.sent.get(arn) ?? [];
    const at = times.length >= n ? Math.max(now, (times[times.length - n] as number) + 1000) : now;
    times.push(at);
    if (times.length > n) times.splice(0, times.length - n);
    this.sent.set(arn, times);
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }
}

