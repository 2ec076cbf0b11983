// The load generator of the queue benchmark. It runs in its own process (the runner forks it and
// talks to it over IPC), so that the client and the server under test never share an event loop:
// on a 2-core machine each gets a core. Two kinds of round:
//
// Throughput (a closed loop, for `durationMs`):
//   producers  each: SendMessageBatch of 10 messages, await the answer, again; a producer waits
//              while the backlog (messages acknowledged or being sent, not yet deleted) would pass
//              `maxBacklog`, so the queue stays short and the server's per-message cost, not the
//              length of the queue, is measured (moto scans its whole queue on every receive
//              and every delete).
//   consumers  each: ReceiveMessage (MaxNumberOfMessages 10, WaitTimeSeconds `waitTimeSeconds`),
//              then DeleteMessageBatch of what it got, again.
//   Producers stop at `durationMs`; consumers go on until every acknowledged message has been
//   received and deleted. messages/s = messages deleted (distinct MessageIds; each was sent,
//   received and deleted) / time from the round's start to the last delete's answer. A round
//   that stops making progress for `stallMs` (a message lost, or left in flight) gives up and
//   reports the shortfall. Consumers blocked in a long poll when the last delete lands return
//   empty within `waitTimeSeconds`; that tail is not timed.
//
// Long-poll wake-up (`trials` in turn, one at a time):
//   a consumer sends ReceiveMessage (WaitTimeSeconds 20, MaxNumberOfMessages 1) to an empty
//   queue; once the request is written and `settleMs` more have passed (so that the server is
//   waiting on it), a producer on another connection sends one message (SendMessage). Recorded:
//   the time from the send's answer to the receive's answer (what a consumer waits beyond the
//   producer's own call; it can be slightly negative when the server answers the receive first),
//   and from the send's start to the receive's answer. The message is then deleted (not timed).
//   The settle pause is a benchmark's pacing, not a correctness wait: if the server had not yet
//   parked the receive when the message arrives, it finds it at once, which only flatters it.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../common/run-kit.js';
import { SqsClient, messagesOf } from './client.js';
import type { Endpoint } from './client.js';

export interface ThroughputSpec extends Endpoint {
  readonly queueUrl: string;
  readonly fifo: boolean;
  readonly producers: number;
  readonly consumers: number;
  readonly durationMs: number;
  readonly maxBacklog: number;
  readonly waitTimeSeconds: number;
  /** Bytes of each message body. */
  readonly bodyBytes: number;
  /** FIFO: message groups; each batch goes to one group, the groups in turn. */
  readonly groups: number;
  readonly stallMs: number;
}

export interface ThroughputResult {
  /** Messages acknowledged by SendMessageBatch (with a MessageId). */
  readonly sent: number;
  /** Messages received (duplicates included). */
  readonly received: number;
  /** Distinct messages received and then deleted. */
  readonly deleted: number;
  /** Messages received again after a first receive. */
  readonly duplicates: number;
  /** Receives that answered no message. */
  readonly emptyReceives: number;
  /** From the first request to the last delete's answer. */
  readonly elapsedMs: number;
  readonly messagesPerSec: number;
  readonly sendP50Ms: number;
  readonly sendP99Ms: number;
  /** Receives that answered messages. */
  readonly receiveP50Ms: number;
  readonly receiveP99Ms: number;
  readonly deleteP50Ms: number;
  readonly deleteP99Ms: number;
  /** Failed batch entries, non-200 answers, transport errors, and a stall's shortfall. */
  readonly errors: number;
  readonly firstError?: string;
  readonly clientCpuPct: number;
}

export interface LatencySpec extends Endpoint {
  readonly queueUrl: string;
  readonly fifo: boolean;
  readonly trials: number;
  readonly settleMs: number;
}

export interface LatencyResult {
  /** Receive's answer minus send's answer, per trial (ms). */
  readonly afterSendMs: readonly number[];
  /** Receive's answer minus send's start, per trial (ms). */
  readonly fromSendStartMs: readonly number[];
  /** SendMessage's own latency, per trial (ms). */
  readonly sendMs: readonly number[];
  /** Receives that ended with no message (the 20 s ran out: a missed wake-up). */
  readonly misses: number;
  readonly errors: number;
  readonly firstError?: string;
}

/** Numbers every message of this process, so FIFO deduplication ids never repeat across rounds. */
let nextMessage = 0;

const MAX_ERRORS = 100;

function sorted(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export async function throughputRound(spec: ThroughputSpec): Promise<ThroughputResult> {
  const producerClient = new SqsClient(spec, spec.producers);
  const consumerClient = new SqsClient(spec, spec.consumers);
  const filler = 'x'.repeat(Math.max(0, spec.bodyBytes - 12));
  const sendMs: number[] = [];
  const receiveMs: number[] = [];
  const deleteMs: number[] = [];
  const seen = new Set<string>();
  let acked = 0;
  let sending = 0;
  let received = 0;
  let deleted = 0;
  let duplicates = 0;
  let emptyReceives = 0;
  let errors = 0;
  let firstError: string | undefined;
  let producersDone = false;
  let finished = false;
  let doneAt = Number.NaN;
  let lastProgress = performance.now();
  let batch = 0;
  const fail = (what: string): void => {
    errors++;
    firstError ??= what;
  };
  let waitingForRoom: (() => void)[] = [];
  const progressed = (): void => {
    lastProgress = performance.now();
    const w = waitingForRoom;
    waitingForRoom = [];
    for (const wake of w) wake();
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    doneAt = performance.now();
    progressed();
  };
  const full = (): boolean => acked + sending - deleted + 10 > spec.maxBacklog;

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + spec.durationMs;
  const watchdog = setInterval(() => {
    if (!finished && performance.now() - lastProgress > spec.stallMs) {
      fail(`no progress for ${spec.stallMs} ms: ${acked - deleted} acknowledged message(s) not received and deleted`);
      finish();
    }
  }, 100);

  const producer = async (): Promise<void> => {
    while (!finished && errors < MAX_ERRORS) {
      while (full() && !finished) await new Promise<void>((resolve) => waitingForRoom.push(resolve));
      if (finished || performance.now() >= deadline) return;
      const group = `g${batch++ % spec.groups}`;
      const entries = Array.from({ length: 10 }, (_, i) => {
        const n = nextMessage++;
        const body = `m${String(n).padStart(10, '0')} ${filler}`;
        return spec.fifo ? { Id: String(i), MessageBody: body, MessageGroupId: group, MessageDeduplicationId: `d${n}` } : { Id: String(i), MessageBody: body };
      });
      sending += 10;
      const t0 = performance.now();
      try {
        const out = await producerClient.call('SendMessageBatch', { QueueUrl: spec.queueUrl, Entries: entries });
        sendMs.push(performance.now() - t0);
        const ok = Array.isArray(out.Successful) ? out.Successful.length : 0;
        acked += ok;
        if (ok !== 10) fail(`SendMessageBatch: ${10 - ok} failed entries: ${JSON.stringify(out.Failed).slice(0, 300)}`);
      } catch (e) {
        fail(String(e));
      } finally {
        sending -= 10;
      }
    }
  };

  const consumer = async (): Promise<void> => {
    while (!finished && errors < MAX_ERRORS) {
      const t0 = performance.now();
      let messages;
      try {
        messages = messagesOf(
          await consumerClient.call('ReceiveMessage', { QueueUrl: spec.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: spec.waitTimeSeconds }),
        );
      } catch (e) {
        fail(String(e));
        continue;
      }
      if (messages.length === 0) {
        emptyReceives++;
        continue;
      }
      receiveMs.push(performance.now() - t0);
      received += messages.length;
      const fresh = messages.map((m) => {
        if (seen.has(m.MessageId)) {
          duplicates++;
          return false;
        }
        seen.add(m.MessageId);
        return true;
      });
      const t1 = performance.now();
      let out;
      try {
        out = await consumerClient.call('DeleteMessageBatch', {
          QueueUrl: spec.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        });
      } catch (e) {
        // Not deleted: they come back after their visibility timeout and count then.
        messages.forEach((m, i) => fresh[i] && seen.delete(m.MessageId));
        fail(String(e));
        continue;
      }
      deleteMs.push(performance.now() - t1);
      const ok = new Set(((out.Successful ?? []) as { Id: string }[]).map((s) => s.Id));
      messages.forEach((m, i) => {
        if (!fresh[i]) return;
        if (ok.has(String(i))) deleted++;
        else seen.delete(m.MessageId);
      });
      if (ok.size !== messages.length) fail(`DeleteMessageBatch: ${messages.length - ok.size} failed entries: ${JSON.stringify(out.Failed).slice(0, 300)}`);
      progressed();
      if (producersDone && deleted >= acked) finish();
    }
  };

  const producers = Promise.all(Array.from({ length: spec.producers }, producer)).then(() => {
    producersDone = true;
    if (deleted >= acked) finish();
  });
  await Promise.all([producers, ...Array.from({ length: spec.consumers }, consumer)]);
  clearInterval(watchdog);
  finish(); // when the loops gave up on errors
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - start;
  producerClient.close();
  consumerClient.close();

  const elapsed = doneAt - start;
  const s = sorted(sendMs);
  const r = sorted(receiveMs);
  const d = sorted(deleteMs);
  return {
    sent: acked,
    received,
    deleted,
    duplicates,
    emptyReceives,
    elapsedMs: elapsed,
    messagesPerSec: (deleted * 1000) / elapsed,
    sendP50Ms: percentile(s, 0.5),
    sendP99Ms: percentile(s, 0.99),
    receiveP50Ms: percentile(r, 0.5),
    receiveP99Ms: percentile(r, 0.99),
    deleteP50Ms: percentile(d, 0.5),
    deleteP99Ms: percentile(d, 0.99),
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
  };
}

export async function latencyRound(spec: LatencySpec): Promise<LatencyResult> {
  const receiver = new SqsClient(spec, 1);
  const sender = new SqsClient(spec, 1);
  const afterSendMs: number[] = [];
  const fromSendStartMs: number[] = [];
  const sendMs: number[] = [];
  let misses = 0;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (what: string): void => {
    errors++;
    firstError ??= what;
  };
  for (let trial = 0; trial < spec.trials && errors < MAX_ERRORS; trial++) {
    const n = nextMessage++;
    const body = `wake ${n}`;
    let written!: () => void;
    const isWritten = new Promise<void>((resolve) => (written = resolve));
    let receivedAt = Number.NaN;
    const receiving = receiver
      .call('ReceiveMessage', { QueueUrl: spec.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 }, () => written())
      .then((out) => {
        receivedAt = performance.now();
        return messagesOf(out);
      });
    // A receive that fails before it is written must not leave the trial waiting.
    receiving.catch(() => written());
    await isWritten;
    await sleep(spec.settleMs);
    const sendStart = performance.now();
    let sentAt = Number.NaN;
    try {
      await sender
        .call('SendMessage', {
          QueueUrl: spec.queueUrl,
          MessageBody: body,
          ...(spec.fifo ? { MessageGroupId: 'wake', MessageDeduplicationId: `w${n}` } : {}),
        })
        .then(() => (sentAt = performance.now()));
    } catch (e) {
      fail(String(e));
    }
    let messages;
    try {
      messages = await receiving;
    } catch (e) {
      fail(String(e));
      continue;
    }
    const m = messages[0];
    if (m === undefined) {
      misses++;
      continue;
    }
    if (m.Body !== body) fail(`trial ${trial}: received '${m.Body.slice(0, 40)}', not this trial's message`);
    else if (Number.isFinite(sentAt)) {
      afterSendMs.push(receivedAt - sentAt);
      fromSendStartMs.push(receivedAt - sendStart);
      sendMs.push(sentAt - sendStart);
    }
    try {
      await receiver.call('DeleteMessage', { QueueUrl: spec.queueUrl, ReceiptHandle: m.ReceiptHandle });
    } catch (e) {
      fail(String(e));
    }
  }
  receiver.close();
  sender.close();
  return { afterSendMs, fromSendStartMs, sendMs, misses, errors, ...(firstError === undefined ? {} : { firstError }) };
}

/** IPC messages from the runner. */
export type LoadCommand =
  | { readonly type: 'throughput'; readonly id: number; readonly spec: ThroughputSpec }
  | { readonly type: 'latency'; readonly id: number; readonly spec: LatencySpec }
  | { readonly type: 'exit' };

/** IPC messages to the runner. */
export type LoadReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: ThroughputResult | LatencyResult }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

// As a forked child: serve the runner's commands one at a time.
if (process.send !== undefined) {
  const send = (m: LoadReply): void => {
    process.send?.(m);
  };
  let chain = Promise.resolve();
  process.on('message', (m: LoadCommand) => {
    chain = chain.then(async () => {
      if (m.type === 'exit') {
        process.disconnect();
        return;
      }
      try {
        const result = m.type === 'throughput' ? await throughputRound(m.spec) : await latencyRound(m.spec);
        send({ type: 'result', id: m.id, result });
      } catch (e) {
        send({ type: 'error', id: m.id, message: String((e as Error)?.stack ?? e) });
      }
    });
  });
  send({ type: 'ready' });
}
