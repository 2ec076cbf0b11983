/**
 * The queue engine: SQS's behaviour over the store's QueueStore. It owns what is not the store's
 * to decide: validation, ids and receipt handles, the clock, long polling, the 60-second rules
 * (purge, re-creation after delete) and retention sweeps; message move tasks are move-tasks.ts's.
 *
 * Long polling. A receive that finds nothing waits (up to its WaitTimeSeconds) on the queue's
 * waiters. A waiter is woken by a send, a visibility change, a FIFO delete (it may free a message
 * group), a move into the queue or the queue's deletion, and by a
 * timer set for the queue's next visible_at (a delay or a visibility timeout ending); it then
 * looks again. The wake-up is only a hint: whatever it finds is decided by the store's claim.
 * Wake-ups are counted per queue, and a receive notes the count before it claims: if a wake came
 * between its claim and its wait, it does not wait but looks again, so no wake-up is lost.
 *
 *   receive --claim--> messages? --yes--> answer
 *                        | no, wait > 0
 *                        v
 *                   wait on queue <--wake-- send / change visibility / FIFO delete / move / next visible_at timer
 *                        |                      or the wait's end --> claim once more, answer
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { invalidParameterValue, SwitchyardError } from '../domain/errors.js';
import type { Scope } from '../domain/model.js';
import type { Page, QueueStore } from '../store/port.js';
import { applyAttributes, checkAttributes, parseRedriveAllowPolicy, parseRedrivePolicy, withDefaults } from './attributes.js';
import { checkMessage } from './messages.js';
import type { CheckedMessage, MessageInput } from './messages.js';
import type { NewMessage, Queue, Receipt, SendOutcome, StoredMessage } from './model.js';
import { MoveTasks } from './move-tasks.js';
import { isFifoName, isValidQueueName, queueArn, queueFromArn, queueFromUrl } from './names.js';
import { MESSAGES as PERMISSION_MESSAGES, queueAllows } from './permissions.js';

export const MESSAGES = {
  noQueue: 'The specified queue does not exist.',
  badName: 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
  badFifoName:
    'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
  exists: (name: string) => `A queue already exists with the same name and a different value for attribute ${name}`,
  deletedRecently: 'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
  purgeInProgress: (name: string) => `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`,
  badReceipt: (handle: string) => `The input receipt handle "${handle}" is not a valid receipt handle.`,
  notInflight: (handle: string) =>
    `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
  expired: (handle: string) => `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
  redrive: (raw: string, reason: string) => `Value ${raw} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
  visibility: (value: number) => `Value ${value} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
  totalVisibility: (value: number) =>
    `Value ${value} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
  receiveVisibility: (value: number) =>
    `Value ${value} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`,
  maxMessages: (value: number) => `Value ${value} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
  waitTime: (value: number) => `Value ${value} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
};

/** FIFO deduplication interval. */
export const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;
/** PurgeQueue at most once per this, and a deleted queue's name free again after it. */
const SIXTY_SECONDS = 60_000;
/** How often messages past retention are swept (receives skip them meanwhile). */
const SWEEP_EVERY_MS = 60_000;

export interface EngineOptions {
  readonly store: QueueStore;
  readonly now: () => number;
}

export interface ReceiveOptions {
  readonly max: number;
  /** Seconds; the queue's VisibilityTimeout when absent. */
  readonly visibilityTimeout?: number;
  /** Seconds; the queue's ReceiveMessageWaitTimeSeconds when absent. */
  readonly waitTimeSeconds?: number;
  /** Ends the wait early (the client went away, or the server is closing). */
  readonly signal?: AbortSignal;
}


/**
 * What a receipt handle carries: the message's receipt, and when it was received (the 12 hours a
 * message may stay invisible count from then). Base64 of `queueId:seq:nonce:receivedAt`.
 */
export interface ReceiptHandle extends Receipt {
  readonly receivedAt: number;
}

export function encodeReceipt(r: ReceiptHandle): string {
  return Buffer.from(`${r.queueId}:${r.seq}:${r.nonce}:${r.receivedAt}`, 'utf8').toString('base64');
}

export function decodeReceipt(handle: string): ReceiptHandle | null {
  const m = /^(\d+):(\d+):([0-9a-f]{32}):(\d+)$/.exec(Buffer.from(handle, 'base64').toString('utf8'));
  return m === null ? null : { queueId: Number(m[1]), seq: Number(m[2]), nonce: m[3] as string, receivedAt: Number(m[4]) };
}

export class QueueEngine {
  private readonly store: QueueStore;
  private readonly now: () => number;
  /** Receives waiting for messages, by queue id. */
  private readonly waiters = new Map<number, Set<() => void>>();
  /** Queue id -> how many times it was woken; a receive that looked before a wake does not wait. */
  private readonly wakes = new Map<number, number>();
  /** Queue (account/region/name) -> when it was deleted; its name is taken for 60 s. */
  private readonly deleted = new Map<string, number>();
  /** Queue id -> when it was last purged. */
  private readonly purged = new Map<number, number>();
  /** Message move tasks (StartMessageMoveTask and the rest). */
  readonly moveTasks: MoveTasks;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(opts: EngineOptions) {
    this.store = opts.store;
    this.now = opts.now;
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
    this.moveTasks = new MoveTasks(this, opts.store, opts.now);
  }

  /** Stop timers and end every long poll (each answers with what it has: nothing). */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.moveTasks.close();
    for (const set of this.waiters.values()) for (const wake of set) wake();
  }

  async sweep(): Promise<number> {
    return this.store.expire(this.now(), (q) => Number(q.attributes.MessageRetentionPeriod) * 1000);
  }

  // Queues ---------------------------------------------------------------------------------

  async createQueue(scope: Scope, name: string, given: Readonly<Record<string, string>>, tags: Readonly<Record<string, string>>): Promise<Queue> {
    const fifo = isFifoName(name);
    if (given.FifoQueue === 'true' && !isValidQueueName(name)) throw invalidParameterValue(MESSAGES.badFifoName);
    if (given.FifoQueue === 'true' && !fifo) throw invalidParameterValue(MESSAGES.badFifoName);
    // A .fifo name without FifoQueue=true is refused with the plain name message (AWS's).
    if (!isValidQueueName(name) || (fifo && given.FifoQueue !== 'true')) throw invalidParameterValue(MESSAGES.badName);
    checkAttributes(given, fifo, true);
    const attributes = withDefaults(given, fifo);
    await this.checkRelations(scope, queueArn(scope, name), attributes, fifo);
    const key = `${scope.account}/${scope.region}/${name}`;
    const deletedAt = this.deleted.get(key);
    const now = this.now();
    if (deletedAt !== undefined && now - deletedAt < SIXTY_SECONDS) {
      throw new SwitchyardError('QueueDeletedRecently', MESSAGES.deletedRecently);
    }
    const { queue, created } = await this.store.createQueue({
      account: scope.account,
      region: scope.region,
      name,
      arn: queueArn(scope, name),
      fifo,
      attributes,
      tags,
      createdAt: now,
      modifiedAt: now,
    });
    if (!created) {
      // The same name again: fine with the same attributes (tags are not compared), else refused.
      const differing = Object.keys(given).find((k) => queue.attributes[k] !== attributes[k]);
      if (differing !== undefined) throw new SwitchyardError('QueueNameExists', MESSAGES.exists(differing));
    }
    return queue;
  }

  /** Attribute rules that involve other queues: a redrive policy's dead-letter queue. */
  private async checkRelations(scope: Scope, arn: string, attributes: Readonly<Record<string, string>>, fifo: boolean): Promise<void> {
    const raw = attributes.RedrivePolicy;
    const redrive = raw === undefined ? null : parseRedrivePolicy(raw);
    if (raw === undefined || redrive === null) return;
    const target = queueFromArn(redrive.deadLetterTargetArn);
    const dlq = target === null || target.account !== scope.account || target.region !== scope.region ? undefined : await this.store.getQueue(target, target.name);
    if (dlq === undefined) throw invalidParameterValue(MESSAGES.redrive(raw, 'Dead letter target does not exist.'));
    if (dlq.fifo !== fifo) throw invalidParameterValue(MESSAGES.redrive(raw, 'Dead-letter queue must be same type of queue as the source.'));
    if (!allowsSource(dlq, arn)) throw invalidParameterValue(MESSAGES.redrive(raw, 'Dead-letter queue does not allow this queue as a source.'));
  }

  async listQueues(scope: Scope, page: Page): Promise<Queue[]> {
    return this.store.listQueues(scope, page);
  }

  async getQueue(scope: Scope, name: string): Promise<Queue> {
    const queue = await this.store.getQueue(scope, name);
    if (queue === undefined) throw new SwitchyardError('QueueDoesNotExist', MESSAGES.noQueue);
    return queue;
  }

  /** The queue a QueueUrl names, in the caller's region. */
  /**
   * The queue a QueueUrl names, for `action` (an SQS operation name): the caller's own, or
   * another account's whose policy allows the caller the action (permissions.ts; else
   * AccessDenied).
   */
  async queueAt(scope: Scope, url: string, action: string): Promise<Queue> {
    const ref = queueFromUrl(url);
    if (ref === null) throw new SwitchyardError('QueueDoesNotExist', MESSAGES.noQueue);
    if (ref.account === scope.account) return this.getQueue(scope, ref.name);
    return this.othersQueue({ account: ref.account, region: scope.region }, ref.name, scope.account, action, url);
  }

  /** Another account's queue, if its policy lets `caller` perform `action` on it. */
  async othersQueue(owner: Scope, name: string, caller: string, action: string, url: string): Promise<Queue> {
    const queue = await this.getQueue(owner, name);
    if (!queueAllows(queue, caller, action)) throw new SwitchyardError('SqsAccessDenied', PERMISSION_MESSAGES.accessDenied(url));
    return queue;
  }

  /** The queue an ARN names (EventBridge targets, redrive policies), if it exists. */
  async queueByArn(arn: string): Promise<Queue | undefined> {
    const ref = queueFromArn(arn);
    return ref === null ? undefined : this.store.getQueue(ref, ref.name);
  }

  async setAttributes(queue: Queue, given: Readonly<Record<string, string>>): Promise<void> {
    checkAttributes(given, queue.fifo, false, queue.attributes);
    const attributes = applyAttributes(queue.attributes, given);
    await this.checkRelations(queue, queue.arn, attributes, queue.fifo);
    await this.store.updateQueue({ ...queue, attributes, modifiedAt: this.now() });
  }

  /** Every attribute of a queue, computed ones included, as AWS's strings. */
  async allAttributes(queue: Queue): Promise<Record<string, string>> {
    const counts = await this.count(queue);
    return {
      ...queue.attributes,
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
    };
  }

  /** A queue's messages by state, now; those past retention (not yet swept) left out. */
  /** The queue's messages by state, leaving out those past retention. */
  async count(queue: Queue): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const now = this.now();
    return this.store.countMessages(queue, now, expiredBefore(queue, now));
  }

  async setTags(queue: Queue, tags: Readonly<Record<string, string>>, removed: readonly string[]): Promise<void> {
    const next = { ...queue.tags, ...tags };
    for (const key of removed) delete next[key];
    await this.store.updateQueue({ ...queue, tags: next });
  }

  async deleteQueue(queue: Queue): Promise<void> {
    await this.store.deleteQueue(queue);
    this.deleted.set(`${queue.account}/${queue.region}/${queue.name}`, this.now());
    this.wake(queue.id);
  }

  async purgeQueue(queue: Queue): Promise<void> {
    const now = this.now();
    const last = this.purged.get(queue.id);
    if (last !== undefined && now - last < SIXTY_SECONDS) throw new SwitchyardError('PurgeQueueInProgress', MESSAGES.purgeInProgress(queue.name));
    this.purged.set(queue.id, now);
    await this.store.purgeQueue(queue);
  }

  /** The queues of the scope whose RedrivePolicy names `queue` as their dead-letter queue. */
  async deadLetterSources(queue: Queue): Promise<Queue[]> {
    return (await this.store.allQueues(queue)).filter((q) => {
      const p = q.attributes.RedrivePolicy === undefined ? null : parseRedrivePolicy(q.attributes.RedrivePolicy);
      return p !== null && p.deadLetterTargetArn === queue.arn;
    });
  }

  // Messages -------------------------------------------------------------------------------

  /** Check a message for the queue (throws SQS's error); separate so a batch can report per entry. */
  check(queue: Queue, input: MessageInput): CheckedMessage {
    return checkMessage(queue, input);
  }

  /** Enqueue checked messages, in order, durably. */
  async send(queue: Queue, messages: readonly CheckedMessage[], senderId: string): Promise<SendOutcome[]> {
    const now = this.now();
    const rows = messages.map((m) => this.prepare(m, senderId, now));
    const outcomes = await this.store.sendMessages(queue, rows, now, DEDUPLICATION_WINDOW_MS);
    this.wake(queue.id);
    return outcomes;
  }

  /** A checked message as the store keeps it: a new id, sent `now`, visible after its delay. */
  prepare(m: CheckedMessage, senderId: string, now: number): NewMessage {
    return {
      messageId: randomUUID(),
      body: m.body,
      attributes: m.attributes,
      systemAttributes: m.systemAttributes,
      md5OfBody: m.md5OfBody,
      ...(m.md5OfAttributes === undefined ? {} : { md5OfAttributes: m.md5OfAttributes }),
      ...(m.md5OfSystemAttributes === undefined ? {} : { md5OfSystemAttributes: m.md5OfSystemAttributes }),
      senderId,
      sentAt: now,
      visibleAt: now + m.delaySeconds * 1000,
      ...(m.groupId === undefined ? {} : { groupId: m.groupId }),
      ...(m.deduplicationId === undefined ? {} : { deduplicationId: m.deduplicationId, deduplicationKey: m.deduplicationKey }),
    };
  }

  async receive(queue: Queue, opts: ReceiveOptions): Promise<StoredMessage[]> {
    if (!Number.isInteger(opts.max) || opts.max < 1 || opts.max > 10) throw invalidParameterValue(MESSAGES.maxMessages(opts.max));
    const visibility = opts.visibilityTimeout ?? Number(queue.attributes.VisibilityTimeout);
    if (visibility < 0 || visibility > 43_200) throw invalidParameterValue(MESSAGES.receiveVisibility(visibility));
    const wait = opts.waitTimeSeconds ?? Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
    if (wait < 0 || wait > 20) throw invalidParameterValue(MESSAGES.waitTime(wait));
    const deadline = this.now() + wait * 1000;
    for (;;) {
      const seen = this.wakes.get(queue.id) ?? 0;
      const found = await this.claim(queue, opts.max, visibility);
      if (found.length > 0 || this.now() >= deadline || opts.signal?.aborted === true || this.closed) return found;
      await this.waitFor(queue, deadline, seen, opts.signal);
      // The queue may have been deleted meanwhile: then it answers empty, as SQS does.
      if ((await this.store.getQueue(queue, queue.name))?.id !== queue.id) return [];
    }
  }

  /**
   * A FIFO receive retried with the same ReceiveRequestAttemptId: the same messages with the same
   * receipt handles, their visibility timeout restarted, when none of them has been deleted,
   * changed or received again since; undefined when that no longer holds (receive anew).
   */
  async repeatReceive(queue: Queue, previous: readonly StoredMessage[], visibilityTimeout: number | undefined): Promise<StoredMessage[] | undefined> {
    const seconds = visibilityTimeout ?? Number(queue.attributes.VisibilityTimeout);
    const now = this.now();
    const changes = previous.map((m) => ({ receipt: { queueId: queue.id, seq: m.seq, nonce: m.receipt ?? '' }, visibleAt: now + seconds * 1000 }));
    const outcomes = await this.store.changeVisibilities(queue, changes, now);
    if (outcomes.some((o) => o !== 'changed')) return undefined;
    return previous.map((m) => ({ ...m, visibleAt: now + seconds * 1000 }));
  }

  private async claim(queue: Queue, max: number, visibilitySeconds: number): Promise<StoredMessage[]> {
    const now = this.now();
    const redrive = queue.attributes.RedrivePolicy === undefined ? null : parseRedrivePolicy(queue.attributes.RedrivePolicy);
    const dlq = redrive === null ? undefined : await this.queueByArn(redrive.deadLetterTargetArn);
    const claimed = await this.store.receiveMessages(queue, {
      max,
      now,
      visibleUntil: now + visibilitySeconds * 1000,
      nonce: () => randomBytes(16).toString('hex'),
      expiredBefore: expiredBefore(queue, now),
      ...(redrive === null || dlq === undefined ? {} : { deadLetter: { queue: dlq, maxReceiveCount: redrive.maxReceiveCount } }),
    });
    if (dlq !== undefined) this.wake(dlq.id);
    return claimed;
  }

  /**
   * Resolves when the queue may have a message for us, or at the deadline; at once when it was
   * woken since the receive noted `seen` (a send between its claim and now is not missed).
   */
  private async waitFor(queue: Queue, deadline: number, seen: number, signal?: AbortSignal): Promise<void> {
    const next = await this.store.nextVisibleAt(queue, this.now());
    const until = Math.min(deadline, next ?? deadline);
    await new Promise<void>((resolve) => {
      let set = this.waiters.get(queue.id);
      if (set === undefined) this.waiters.set(queue.id, (set = new Set()));
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(queue.id);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - this.now()));
      waiters.add(done);
      signal?.addEventListener('abort', done);
      // Woken, closed or abandoned while this receive was looking: do not wait at all.
      if (this.closed || signal?.aborted === true || (this.wakes.get(queue.id) ?? 0) !== seen) done();
    });
  }

  /** Wake the receives waiting on a queue (a latency hint: they claim again). */
  wake(queueId: number): void {
    this.wakes.set(queueId, (this.wakes.get(queueId) ?? 0) + 1);
    const set = this.waiters.get(queueId);
    if (set !== undefined) for (const w of [...set]) w();
  }

  /** A receipt handle's parts, or the ReceiptHandleIsInvalid error when it is not one. */
  private tryReceipt(handle: string): ReceiptHandle | SwitchyardError {
    return decodeReceipt(handle) ?? new SwitchyardError('ReceiptHandleIsInvalid', MESSAGES.badReceipt(handle));
  }

  /**
   * Delete by receipt handles, in one transaction; for each handle the SQS error it gets, or null.
   * On a standard queue a stale handle (the message was received again since) succeeds without
   * deleting, as SQS documents; on a FIFO queue a handle whose visibility timeout has ended is
   * refused as expired. A message already gone: success.
   */
  async deleteMessages(queue: Queue, handles: readonly string[]): Promise<(SwitchyardError | null)[]> {
    const parsed = handles.map((h) => this.tryReceipt(h));
    const valid = parsed.filter((r): r is ReceiptHandle => !(r instanceof SwitchyardError));
    const outcomes = valid.length === 0 ? [] : await this.store.deleteMessages(queue, valid, this.now(), queue.fifo);
    let at = 0;
    const errors = parsed.map((r, i) => {
      if (r instanceof SwitchyardError) return r;
      return outcomes[at++] === 'expired' ? invalidParameterValue(MESSAGES.expired(handles[i] as string)) : null;
    });
    // On a FIFO queue a delete may free a message group for the receives waiting.
    if (queue.fifo && outcomes.includes('deleted')) this.wake(queue.id);
    return errors;
  }

  async deleteMessage(queue: Queue, handle: string): Promise<void> {
    const [error] = await this.deleteMessages(queue, [handle]);
    if (error) throw error;
  }

  /** Change visibility timeouts, in one transaction; for each entry the SQS error it gets, or null. */
  async changeVisibilities(queue: Queue, entries: readonly { readonly handle: string; readonly seconds: number }[]): Promise<(SwitchyardError | null)[]> {
    const now = this.now();
    const checked = entries.map(({ handle, seconds }): SwitchyardError | { receipt: ReceiptHandle; visibleAt: number } => {
      const receipt = this.tryReceipt(handle);
      if (receipt instanceof SwitchyardError) return receipt;
      if (seconds < 0 || seconds > 43_200) return invalidParameterValue(MESSAGES.visibility(seconds));
      // At most 12 hours invisible since the receive, counted in whole seconds.
      if (Math.floor((now - receipt.receivedAt) / 1000) + seconds > 43_200) return invalidParameterValue(MESSAGES.totalVisibility(seconds));
      return { receipt, visibleAt: now + seconds * 1000 };
    });
    const changes = checked.filter((c): c is { receipt: ReceiptHandle; visibleAt: number } => !(c instanceof SwitchyardError));
    const outcomes = changes.length === 0 ? [] : await this.store.changeVisibilities(queue, changes, now);
    let at = 0;
    const errors = checked.map((c, i) => {
      if (c instanceof SwitchyardError) return c;
      return outcomes[at++] === 'changed' ? null : invalidParameterValue(MESSAGES.notInflight((entries[i] as { handle: string }).handle));
    });
    if (outcomes.includes('changed')) this.wake(queue.id);
    return errors;
  }

  async changeVisibility(queue: Queue, handle: string, seconds: number): Promise<void> {
    const [error] = await this.changeVisibilities(queue, [{ handle, seconds }]);
    if (error) throw error;
  }
}

/** Messages of `queue` enqueued before this are past its retention period. */
function expiredBefore(queue: Queue, now: number): number {
  return now - Number(queue.attributes.MessageRetentionPeriod) * 1000;
}

/** Whether a dead-letter queue's RedriveAllowPolicy lets `sourceArn` name it. */
function allowsSource(dlq: Queue, sourceArn: string): boolean {
  const p = dlq.attributes.RedriveAllowPolicy === undefined ? null : parseRedriveAllowPolicy(dlq.attributes.RedriveAllowPolicy);
  if (p === null || p.redrivePermission === 'allowAll') return true;
  if (p.redrivePermission === 'denyAll') return false;
  return p.sourceQueueArns.includes(sourceArn);
}
