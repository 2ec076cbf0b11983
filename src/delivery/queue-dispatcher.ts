/**
 * Delivery of owed events to Switchyard's own queues (rule targets with an SQS queue ARN).
 *
 * A delivery to a built-in queue needs no network: the store enqueues the message and marks the
 * delivery made in one transaction, so each owed delivery becomes exactly one message, even
 * across a crash. The dispatcher walks the pending deliveries to queue ARNs in acceptance order,
 * from a cursor kept in memory (it starts from the beginning after a restart); deliveries to
 * other kinds of target are left pending for the general dispatcher (issue 5), unread.
 *
 *   group commit of a batch with queue deliveries --committed()--> drain:
 *     pending queue deliveries after the cursor --each--> body (src/transform) -> SQS's checks
 *                                                         ok: enqueue + mark delivered (one tx)
 *                                                         refused: mark failed, with the error
 *
 * A drain is started at start-up and after each commit that owes a queue something; a commit
 * during a drain makes it look again when done, so no delivery waits for another commit.
 *
 * What a queue receives: the event, or its target's Input / InputPath / InputTransformer result;
 * SqsParameters.MessageGroupId as the MessageGroupId; on a FIFO queue without content-based
 * deduplication the event id as MessageDeduplicationId (AWS refuses such a queue as a target at
 * delivery; Switchyard deduplicates by event instead, docs/queues.md).
 */
import { SwitchyardError } from '../domain/errors.js';
import type { AcceptedEvent, PendingDelivery } from '../domain/model.js';
import type { QueueEngine } from '../queues/engine.js';
import { DEDUPLICATION_WINDOW_MS } from '../queues/engine.js';
import type { Router } from '../rules/router.js';
import type { Store } from '../store/port.js';
import { targetBody } from '../transform/index.js';
import type { TargetInput } from '../transform/index.js';

/** The ARNs of queues (Switchyard's own: every SQS ARN names one, or none). */
const QUEUE_ARN_PREFIX = 'arn:aws:sqs:';
/** Deliveries read per store call. */
const PAGE = 256;
/** The SenderId queue messages from EventBridge carry. */
export const EVENTBRIDGE_SENDER = 'events.amazonaws.com';

export interface QueueDispatcherOptions {
  readonly store: Store;
  readonly engine: QueueEngine;
  readonly router: Router;
  readonly now: () => number;
  readonly log: (line: Record<string, unknown>) => void;
}

export class QueueDispatcher {
  private readonly o: QueueDispatcherOptions;
  /** The key of the last delivery looked at. */
  private cursor: string | undefined;
  private draining: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(options: QueueDispatcherOptions) {
    this.o = options;
  }

  /** Events were committed: drain if any of them is owed to a queue. */
  committed(batch: readonly AcceptedEvent[]): void {
    if (batch.some((e) => e.deliveries.some((d) => d.targetArn.startsWith(QUEUE_ARN_PREFIX)))) this.poke();
  }

  /** New deliveries may be pending (e.g. a group commit just finished). */
  poke(): void {
    if (this.closed) return;
    if (this.draining !== null) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((e: unknown) => this.o.log({ level: 'error', msg: 'queue delivery failed', err: String((e as Error)?.stack ?? e) }))
      .finally(() => {
        this.draining = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves when every delivery pending now has been looked at (tests, shutdown). */
  async settle(): Promise<void> {
    this.poke();
    while (this.draining !== null) await this.draining;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.draining !== null) await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const page = await this.o.store.pendingDeliveries(QUEUE_ARN_PREFIX, this.cursor, PAGE);
      for (const d of page) {
        if (this.closed) return;
        await this.deliver(d);
        this.cursor = d.key;
      }
      if (page.length < PAGE) return;
    }
  }

  private async deliver(d: PendingDelivery): Promise<void> {
    const { engine, store } = this.o;
    const queue = await engine.queueByArn(d.targetArn);
    if (queue === undefined) return this.fail(d, 'QueueDoesNotExist', 'The specified queue does not exist.');
    const target = this.o.router.targetOf(d.ruleArn, d.targetId);
    const current = target !== undefined && target.Arn === d.targetArn ? target : undefined;
    const body = targetBody(d.envelope, (current ?? {}) as TargetInput, {
      ruleArn: d.ruleArn,
      ruleName: d.ruleArn.slice(d.ruleArn.lastIndexOf('/') + 1),
      ingestionTime: new Date(d.ingestedAt).toISOString(),
    });
    const groupId = (current?.SqsParameters as { MessageGroupId?: string } | undefined)?.MessageGroupId;
    const dedupById = queue.fifo && queue.attributes.ContentBasedDeduplication !== 'true';
    try {
      const checked = engine.check(queue, {
        MessageBody: body,
        ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
        ...(dedupById ? { MessageDeduplicationId: d.eventId } : {}),
      });
      const now = this.o.now();
      await store.deliverToQueue(d, queue, engine.prepare(checked, EVENTBRIDGE_SENDER, now), now, DEDUPLICATION_WINDOW_MS);
      engine.wake(queue.id);
    } catch (e) {
      if (!(e instanceof SwitchyardError)) throw e;
      await this.fail(d, e.code, e.message);
    }
  }

  private async fail(d: PendingDelivery, code: string, message: string): Promise<void> {
    this.o.log({ level: 'warn', msg: 'delivery to a queue refused', eventId: d.eventId, rule: d.ruleArn, target: d.targetId, code, message });
    await this.o.store.failDelivery(d, `${code}: ${message}`);
  }
}
