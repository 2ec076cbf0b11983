/**
 * Message move tasks: StartMessageMoveTask, CancelMessageMoveTask and ListMessageMoveTasks move
 * messages out of a dead-letter queue, back to the queues they were dead-lettered from or to a
 * named destination, at a rate. A task is kept in the store (MoveTask) and driven by a timer in
 * the process that runs it; tasks a previous process left unfinished are taken over the next time
 * a task of their source is listed, started or cancelled.
 */
import { randomUUID } from 'node:crypto';
import { invalidParameterValue, queryCode, SwitchyardError } from '../domain/errors.js';
import type { Scope } from '../domain/model.js';
import type { QueueStore } from '../store/port.js';
import type { QueueEngine } from './engine.js';
import type { MoveTask, Queue } from './model.js';

export const MESSAGES = {
  sourceNotDlq: 'Source queue must be configured as a Dead Letter Queue.',
  running: 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
  missing: (parameter: string) => `The resource that you specified for the ${parameter} parameter doesn't exist.`,
  taskMissing: 'Task does not exist.',
  taskHandle: 'Value for parameter TaskHandle is invalid.',
  taskNotRunning: 'Only tasks in RUNNING status can be cancelled.',
  rate: "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and 500.",
  same: 'Source queue arn and destination queue arn cannot be the same.',
  kinds: 'The source queue and destination queue must be of the same queue type.',
};


/** How often a move task moves a slice of messages. */
const MOVE_TICK_MS = 100;
/** Default (and most) messages per second of a move task without a rate. */
const MOVE_DEFAULT_RATE = 500;

export class MoveTasks {
  private readonly engine: QueueEngine;
  private readonly store: QueueStore;
  private readonly now: () => number;
  /** Move tasks running in this process: handle -> their timer. */
  private readonly tasks = new Map<string, ReturnType<typeof setInterval>>();
  /** Handles of running tasks asked to stop (CancelMessageMoveTask); their next tick ends them. */
  private readonly cancelling = new Set<string>();
  private closed = false;

  constructor(engine: QueueEngine, store: QueueStore, now: () => number) {
    this.engine = engine;
    this.store = store;
    this.now = now;
  }

  /** Stop every task's timer (the tasks stay RUNNING in the store, for the next process). */
  close(): void {
    this.closed = true;
    for (const t of this.tasks.values()) clearInterval(t);
    this.tasks.clear();
  }

  async start(scope: Scope, sourceArn: string, destinationArn: string | undefined, maxPerSecond: number | undefined): Promise<MoveTask> {
    const source = await this.engine.queueByArn(sourceArn);
    if (source === undefined || source.account !== scope.account) throw new SwitchyardError('SqsResourceNotFound', MESSAGES.missing('SourceArn'));
    if ((await this.engine.deadLetterSources(source)).length === 0) throw invalidParameterValue(MESSAGES.sourceNotDlq);
    if (destinationArn !== undefined) {
      const destination = await this.engine.queueByArn(destinationArn);
      if (destination === undefined || destination.account !== scope.account) {
        throw new SwitchyardError('SqsResourceNotFound', MESSAGES.missing('DestinationArn'));
      }
      if (destination.arn === source.arn) throw invalidParameterValue(MESSAGES.same);
      if (destination.fifo !== source.fifo) throw invalidParameterValue(MESSAGES.kinds);
    }
    if (maxPerSecond !== undefined && (maxPerSecond < 1 || maxPerSecond > 500)) throw invalidParameterValue(MESSAGES.rate);
    if ((await this.current(scope, sourceArn)).some((t) => t.status === 'RUNNING' || t.status === 'CANCELLING')) {
      throw invalidParameterValue(MESSAGES.running);
    }
    const counts = await this.engine.count(source);
    const task: MoveTask = {
      account: scope.account,
      region: scope.region,
      handle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn }), 'utf8').toString('base64'),
      sourceArn,
      ...(destinationArn === undefined ? {} : { destinationArn }),
      ...(maxPerSecond === undefined ? {} : { maxPerSecond }),
      status: 'RUNNING',
      startedAt: this.now(),
      moved: 0,
      toMove: counts.visible + counts.inFlight + counts.delayed,
    };
    await this.store.putMoveTask(task);
    this.run(task);
    return task;
  }

  /**
   * A source's tasks, newest first, after taking over those a previous process left unfinished:
   * a RUNNING task runs on here, a CANCELLING one is CANCELLED.
   */
  private async current(scope: Scope, sourceArn: string): Promise<MoveTask[]> {
    const tasks = await this.store.listMoveTasks(scope, sourceArn);
    const out: MoveTask[] = [];
    for (const t of tasks) {
      if (this.tasks.has(t.handle) || (t.status !== 'RUNNING' && t.status !== 'CANCELLING')) out.push(t);
      else if (t.status === 'RUNNING') {
        this.run(t);
        out.push(t);
      } else {
        const cancelled: MoveTask = { ...t, status: 'CANCELLED' };
        await this.store.putMoveTask(cancelled);
        out.push(cancelled);
      }
    }
    return out;
  }

  /**
   * Run a task: every MOVE_TICK_MS move what its rate allows by then (one message at once, then
   * `rate` a second, counted in whole ticks so no rounding drifts), each message to the fixed
   * destination or back to the queue it was dead-lettered from.
   *
   *   RUNNING --source empty, or a tick moved less than it could--> COMPLETED
   *      |    --source or destination deleted, or a store failure--> FAILED (FailureReason)
   *      +--CancelMessageMoveTask--> CANCELLING --next tick--> CANCELLED
   *
   * Progress is written after every tick that moved something; a cancel seen by the engine keeps
   * the status CANCELLING in those writes, so a tick cannot undo it.
   */
  private run(started: MoveTask): void {
    let task = started;
    const rate = task.maxPerSecond ?? MOVE_DEFAULT_RATE;
    let ticks = 0;
    let busy = false;
    const status = (): MoveTask['status'] => (this.cancelling.has(task.handle) ? 'CANCELLING' : 'RUNNING');
    const tick = async (): Promise<void> => {
      if (this.cancelling.has(task.handle)) return this.finish(task, 'CANCELLED');
      ticks++;
      const allowed = 1 + Math.floor((rate * ticks * MOVE_TICK_MS) / 1000) - task.moved;
      if (allowed <= 0) return;
      const source = await this.engine.queueByArn(task.sourceArn);
      const fixed = task.destinationArn === undefined ? undefined : await this.engine.queueByArn(task.destinationArn);
      if (source === undefined || (task.destinationArn !== undefined && fixed === undefined)) {
        return this.finish(task, 'FAILED', queryCode('QueueDoesNotExist'));
      }
      const sources = new Map<string, Queue>();
      for (const q of await this.engine.deadLetterSources(source)) sources.set(q.arn, q);
      const moved = await this.store.moveMessages(source, allowed, this.now(), (from) => fixed ?? (from === undefined ? undefined : sources.get(from)));
      if (moved > 0) {
        task = { ...task, moved: task.moved + moved };
        await this.store.putMoveTask({ ...task, status: status() });
        for (const q of [fixed, ...sources.values()]) if (q !== undefined) this.engine.wake(q.id);
      }
      const left = await this.engine.count(source);
      if (moved < allowed || left.visible + left.inFlight + left.delayed === 0) await this.finish(task, 'COMPLETED');
    };
    const timer = setInterval(() => {
      if (busy || this.closed) return;
      busy = true;
      tick()
        .catch((e: unknown) => (this.closed ? undefined : this.finish(task, 'FAILED', (e as Error).message)))
        // Nothing is left to report a failure to (the store itself failed): the task stays as written.
        .catch(() => undefined)
        .finally(() => {
          busy = false;
        });
    }, MOVE_TICK_MS);
    timer.unref();
    this.tasks.set(task.handle, timer);
  }

  private async finish(task: MoveTask, status: MoveTask['status'], failureReason?: string): Promise<void> {
    clearInterval(this.tasks.get(task.handle));
    this.tasks.delete(task.handle);
    this.cancelling.delete(task.handle);
    await this.store.putMoveTask({ ...task, status, ...(failureReason === undefined ? {} : { failureReason }) });
  }

  async cancel(scope: Scope, handle: string): Promise<MoveTask> {
    let sourceArn: unknown;
    try {
      sourceArn = (JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as { sourceArn?: unknown }).sourceArn;
    } catch {
      sourceArn = undefined;
    }
    if (typeof sourceArn !== 'string') throw invalidParameterValue(MESSAGES.taskHandle);
    const source = await this.engine.queueByArn(sourceArn);
    if (source === undefined || source.account !== scope.account) throw new SwitchyardError('SqsResourceNotFound', MESSAGES.missing('SourceArn'));
    const task = (await this.current(scope, sourceArn)).find((t) => t.handle === handle);
    if (task === undefined) throw new SwitchyardError('SqsResourceNotFound', MESSAGES.taskMissing);
    if (task.status !== 'RUNNING' || this.cancelling.has(handle)) throw invalidParameterValue(MESSAGES.taskNotRunning);
    this.cancelling.add(handle);
    const cancelling: MoveTask = { ...task, status: 'CANCELLING' };
    await this.store.putMoveTask(cancelling);
    return cancelling;
  }

  async list(scope: Scope, sourceArn: string, max: number): Promise<MoveTask[]> {
    const source = await this.engine.queueByArn(sourceArn);
    if (source === undefined || source.account !== scope.account) throw new SwitchyardError('SqsResourceNotFound', MESSAGES.missing('SourceArn'));
    return (await this.current(scope, sourceArn)).slice(0, max);
  }
}
