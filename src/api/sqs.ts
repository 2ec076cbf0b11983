/**
 * The SQS service on AWS JSON 1.0 (and, through src/http/query.ts, on SQS's query protocol): one
 * handler per operation, each input validated against AWS's own model (models/sqs.generated.ts,
 * awsQueryCompatible: missing parameters read as SQS's MissingParameter) before it runs. Handlers
 * translate between wire shapes and the queue engine (src/queues/), which owns the behaviour.
 */
import { invalidParameterValue, queryCode, sqsJsonType, SwitchyardError } from '../domain/errors.js';
import type { Scope } from '../domain/model.js';
import type { Handler, JsonService, RequestContext } from '../http/server.js';
import { SQS_QUERY } from '../http/sqs-query.js';
import { ATTRIBUTES, COMPUTED_ATTRIBUTES } from '../queues/attributes.js';
import type { QueueEngine } from '../queues/engine.js';
import { encodeReceipt } from '../queues/engine.js';
import { md5OfAttributes } from '../queues/md5.js';
import type { CheckedMessage, MessageInput } from '../queues/messages.js';
import { MESSAGES as MESSAGE_TEXTS } from '../queues/messages.js';
import type { MessageAttribute, MoveTask, Queue, StoredMessage } from '../queues/model.js';
import { queueUrl } from '../queues/names.js';
import { addPermission, removePermission } from '../queues/permissions.js';
import { decodeToken, definedOnly, encodeToken, optArray, optNumber, optObject, optString, reqString } from './input.js';
import type { Input } from './input.js';
import { SQS_MODEL } from './models/sqs.generated.js';
import { validateInput } from './validate.js';

export const MESSAGES = {
  emptyBatch: (kind: string) => `There should be at least one ${kind}RequestEntry in the request.`,
  tooManyEntries: (n: number) => `Maximum number of entries per request are 10. You have sent ${n}.`,
  badEntryId: 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
  repeatedId: (id: string) => `Id ${id} repeated.`,
  batchTooLong: (n: number) => `Batch requests cannot be longer than ${BATCH_LIMIT} bytes. You have sent ${n} bytes.`,
  batchReceipt: (handle: string) => `The receipt handle "${handle}" is not valid for this queue.`,
  queueName: 'Value for parameter QueueName is invalid. Reason: Must specify a queue name.',
  emptyQueueName: 'Queue name cannot be empty',
  maxResults: (n: number) => `Value ${n} for parameter MaxResults is invalid. Reason: Must be between 1 and 1000, if provided.`,
  tagKey: 'Tag keys must be between 1 and 128 characters in length.',
  tooManyTags: (name: string) => `Too many tags added for queue ${name}.`,
  moveResults: (n: number) => `Value ${n} for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.`,
  nextToken: 'Invalid NextToken value.',
};

/** Total bytes of a SendMessageBatch (bodies and attributes), whatever the queue's MaximumMessageSize. */
const BATCH_LIMIT = 1_048_576;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
/** System attribute names a receiver may ask for (besides All). */
const SYSTEM_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;
/** A ReceiveRequestAttemptId: 1 to 128 alphanumeric or punctuation characters (§8). */
const ATTEMPT_ID = /^[!-~]{1,128}$/;
/** How long a FIFO ReceiveRequestAttemptId is remembered. */
const ATTEMPT_MS = 5 * 60 * 1000;

export interface SqsServiceDeps {
  readonly engine: QueueEngine;
  readonly now: () => number;
  /** The base of queue URLs for a request: `http://HOST:PORT`. */
  readonly baseUrl: (ctx: RequestContext) => string;
}

type Attributes = Record<string, string>;

function stringMap(input: Input, name: string): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(optObject(input, name) ?? {})) out[k] = String(v);
  return out;
}


/** Tags to add to a queue (CreateQueue, TagQueue): keys 1 to 128 characters, at most 50 in all (§2.7). */
function checkTags(queueName: string, existing: Readonly<Record<string, string>>, tags: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(tags)) if (key.length < 1 || key.length > 128) throw invalidParameterValue(MESSAGES.tagKey);
  if (Object.keys({ ...existing, ...tags }).length > 50) throw invalidParameterValue(MESSAGES.tooManyTags(queueName));
}

/** Batch entries: at least one, at most 10, ids well formed and distinct (whole-request errors). */
function batchEntries(input: Input, kind: string): Input[] {
  const entries = (optArray(input, 'Entries') ?? []) as Input[];
  if (entries.length === 0) throw new SwitchyardError('EmptyBatchRequest', MESSAGES.emptyBatch(kind));
  if (entries.length > 10) throw new SwitchyardError('TooManyEntriesInBatchRequest', MESSAGES.tooManyEntries(entries.length));
  const seen = new Set<string>();
  for (const e of entries) {
    const id = optString(e, 'Id') ?? '';
    if (!BATCH_ID.test(id)) throw new SwitchyardError('InvalidBatchEntryId', MESSAGES.badEntryId);
    if (seen.has(id)) throw new SwitchyardError('BatchEntryIdsNotDistinct', MESSAGES.repeatedId(id));
    seen.add(id);
  }
  return entries;
}

/** A batch entry's failure; a receipt handle SQS never issued is worded for the batch (§2.6). */
function failure(id: string, e: unknown, handle?: string): Record<string, unknown> {
  if (!(e instanceof SwitchyardError)) throw e;
  const message = e.code === 'ReceiptHandleIsInvalid' && handle !== undefined ? MESSAGES.batchReceipt(handle) : e.message;
  return { Id: id, SenderFault: e.status < 500, Code: queryCode(e.code), Message: message };
}

/** The name a NextToken carries (InvalidParameterValue when it is not one of ours). */
function pageAfter(input: Input): string | undefined {
  try {
    return decodeToken(optString(input, 'NextToken'));
  } catch {
    throw invalidParameterValue(MESSAGES.nextToken);
  }
}

/** A delete or visibility batch's answer: each entry in Successful, or in Failed with its error. */
function batchResult(entries: readonly Input[], errors: readonly (SwitchyardError | null)[], handles: readonly string[]): Record<string, unknown> {
  const successful: Record<string, unknown>[] = [];
  const failed: Record<string, unknown>[] = [];
  entries.forEach((e, i) => {
    const id = reqString(e, 'Id');
    const error = errors[i];
    if (error) failed.push(failure(id, error, handles[i]));
    else successful.push({ Id: id });
  });
  return { Successful: successful, Failed: failed };
}

function messageInput(input: Input): MessageInput {
  return {
    ...(optString(input, 'MessageBody') === undefined ? {} : { MessageBody: optString(input, 'MessageBody') }),
    ...(optNumber(input, 'DelaySeconds') === undefined ? {} : { DelaySeconds: optNumber(input, 'DelaySeconds') }),
    ...(optObject(input, 'MessageAttributes') === undefined ? {} : { MessageAttributes: optObject(input, 'MessageAttributes') as Record<string, MessageAttribute> }),
    ...(optObject(input, 'MessageSystemAttributes') === undefined
      ? {}
      : { MessageSystemAttributes: optObject(input, 'MessageSystemAttributes') as Record<string, MessageAttribute> }),
    ...(optString(input, 'MessageGroupId') === undefined ? {} : { MessageGroupId: optString(input, 'MessageGroupId') }),
    ...(optString(input, 'MessageDeduplicationId') === undefined ? {} : { MessageDeduplicationId: optString(input, 'MessageDeduplicationId') }),
  } as MessageInput;
}

/** Which message attributes a receive asked for: All, .*, exact names, or `prefix.*`. */
function attributeFilter(names: readonly string[]): (name: string) => boolean {
  if (names.some((n) => n === 'All' || n === '.*' || n === '*')) return () => true;
  const exact = new Set(names.filter((n) => !n.endsWith('.*')));
  const prefixes = names.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -2));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

function systemAttributes(m: StoredMessage, wanted: ReadonlySet<string>): Attributes | undefined {
  const all = wanted.has('All');
  const values: Partial<Record<(typeof SYSTEM_NAMES)[number], string | undefined>> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentAt),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: m.firstReceivedAt === undefined ? undefined : String(m.firstReceivedAt),
    SequenceNumber: m.sequenceNumber,
    MessageDeduplicationId: m.deduplicationId,
    MessageGroupId: m.groupId,
    AWSTraceHeader: m.systemAttributes.AWSTraceHeader?.StringValue,
    DeadLetterQueueSourceArn: m.deadLetterSourceArn,
  };
  const out: Attributes = {};
  for (const name of SYSTEM_NAMES) {
    const v = values[name];
    if (v !== undefined && (all || wanted.has(name))) out[name] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

export function sqsOperations(d: SqsServiceDeps): Record<string, Handler> {
  const { engine } = d;
  const scope = (ctx: RequestContext): Scope => ctx.caller;
  const url = (ctx: RequestContext, q: Queue): string => queueUrl(d.baseUrl(ctx), q, q.name);
  /** The queue of the request's QueueUrl, for the operation `action` (another account's needs its policy). */
  const queueOf = (ctx: RequestContext, input: Input, action: string): Promise<Queue> => engine.queueAt(scope(ctx), reqString(input, 'QueueUrl'), action);
  const senderId = (ctx: RequestContext): string => ctx.caller.accessKeyId ?? ctx.caller.account;
  /** FIFO ReceiveRequestAttemptId -> what that receive answered, until it expires. */
  const attempts = new Map<string, { expires: number; messages: StoredMessage[] }>();

  /** A received message as ReceiveMessage answers it, with the attributes the request asked for. */
  const messageOut = (queue: Queue, m: StoredMessage, input: Input): Record<string, unknown> => {
    const wantedSystem = new Set([
      ...((optArray(input, 'AttributeNames') ?? []) as string[]),
      ...((optArray(input, 'MessageSystemAttributeNames') ?? []) as string[]),
    ]);
    const filter = (optArray(input, 'MessageAttributeNames') ?? []) as string[];
    const keep = attributeFilter(filter);
    const chosen: Record<string, MessageAttribute> = {};
    if (filter.length > 0) for (const [n, a] of Object.entries(m.attributes)) if (keep(n)) chosen[n] = a;
    const any = Object.keys(chosen).length > 0;
    return definedOnly({
      MessageId: m.messageId,
      ReceiptHandle: encodeReceipt({ queueId: queue.id, seq: m.seq, nonce: m.receipt ?? '', receivedAt: m.receivedAt ?? 0 }),
      MD5OfBody: m.md5OfBody,
      Body: m.body,
      Attributes: systemAttributes(m, wantedSystem),
      // The digest covers only the attributes returned.
      MD5OfMessageAttributes: any ? md5OfAttributes(chosen) : undefined,
      MessageAttributes: any ? chosen : undefined,
    });
  };

  const sendOne = async (ctx: RequestContext, queue: Queue, checked: CheckedMessage): Promise<Record<string, unknown>> => {
    const [outcome] = await engine.send(queue, [checked], senderId(ctx));
    return definedOnly({
      MD5OfMessageBody: checked.md5OfBody,
      MD5OfMessageAttributes: checked.md5OfAttributes,
      MD5OfMessageSystemAttributes: checked.md5OfSystemAttributes,
      MessageId: outcome?.messageId,
      SequenceNumber: outcome?.sequenceNumber,
    });
  };

  return {
    async CreateQueue(ctx, input) {
      const name = optString(input, 'QueueName');
      if (name === undefined) throw invalidParameterValue(MESSAGES.queueName);
      const tags = stringMap(input, 'tags');
      checkTags(name, {}, tags);
      const queue = await engine.createQueue(scope(ctx), name, stringMap(input, 'Attributes'), tags);
      return { QueueUrl: url(ctx, queue) };
    },

    async GetQueueUrl(ctx, input) {
      const name = optString(input, 'QueueName');
      if (name === undefined) throw invalidParameterValue(MESSAGES.queueName);
      // Another account's queue: when its policy allows the caller GetQueueUrl (permissions.ts).
      const owner = optString(input, 'QueueOwnerAWSAccountId') ?? ctx.caller.account;
      if (owner === ctx.caller.account) return { QueueUrl: url(ctx, await engine.getQueue(scope(ctx), name)) };
      const ownerScope = { account: owner, region: ctx.caller.region };
      const named = queueUrl(d.baseUrl(ctx), ownerScope, name);
      return { QueueUrl: url(ctx, await engine.othersQueue(ownerScope, name, ctx.caller.account, 'GetQueueUrl', named)) };
    },

    async ListQueues(ctx, input) {
      const max = optNumber(input, 'MaxResults');
      if (max !== undefined && (max < 1 || max > 1000)) throw invalidParameterValue(MESSAGES.maxResults(max));
      const after = pageAfter(input);
      const prefix = optString(input, 'QueueNamePrefix');
      const limit = max ?? 1000;
      const page = await engine.listQueues(scope(ctx), { limit: limit + 1, ...(after === undefined ? {} : { after }), ...(prefix === undefined ? {} : { namePrefix: prefix }) });
      const shown = page.slice(0, limit);
      const more = max !== undefined && page.length > limit;
      return definedOnly({
        QueueUrls: shown.length === 0 ? undefined : shown.map((q) => url(ctx, q)),
        NextToken: more ? encodeToken((shown[shown.length - 1] as Queue).name) : undefined,
      });
    },

    async GetQueueAttributes(ctx, input) {
      const queue = await queueOf(ctx, input, 'GetQueueAttributes');
      const names = (optArray(input, 'AttributeNames') ?? []) as string[];
      if (names.length === 0) return {};
      const all = await engine.allAttributes(queue);
      const known = (n: string): boolean => n === 'All' || n in ATTRIBUTES || (COMPUTED_ATTRIBUTES as readonly string[]).includes(n);
      const unknown = names.find((n) => !known(n));
      if (unknown !== undefined) throw new SwitchyardError('InvalidAttributeName', `Unknown Attribute ${unknown}.`);
      const out: Attributes = {};
      for (const [k, v] of Object.entries(all)) if (names.includes('All') || names.includes(k)) out[k] = v;
      return Object.keys(out).length === 0 ? { Attributes: {} } : { Attributes: out };
    },

    async SetQueueAttributes(ctx, input) {
      const queue = await queueOf(ctx, input, 'SetQueueAttributes');
      await engine.setAttributes(queue, stringMap(input, 'Attributes'));
      return {};
    },

    async AddPermission(ctx, input) {
      const queue = await queueOf(ctx, input, 'AddPermission');
      // An empty list is an absent one on the query protocol: the same answer on both.
      for (const list of ['AWSAccountIds', 'Actions']) {
        if ((input[list] as unknown[]).length === 0) throw new SwitchyardError('MissingParameter', `The request must contain the parameter ${list}.`);
      }
      const policy = addPermission(queue, reqString(input, 'Label'), input.AWSAccountIds as string[], input.Actions as string[]);
      await engine.setAttributes(queue, { Policy: policy });
      return {};
    },

    async RemovePermission(ctx, input) {
      const queue = await queueOf(ctx, input, 'RemovePermission');
      await engine.setAttributes(queue, { Policy: removePermission(queue, reqString(input, 'Label')) });
      return {};
    },

    async DeleteQueue(ctx, input) {
      await engine.deleteQueue(await queueOf(ctx, input, 'DeleteQueue'));
      return {};
    },

    async PurgeQueue(ctx, input) {
      await engine.purgeQueue(await queueOf(ctx, input, 'PurgeQueue'));
      return {};
    },

    async TagQueue(ctx, input) {
      const queue = await queueOf(ctx, input, 'TagQueue');
      const tags = stringMap(input, 'Tags');
      checkTags(queue.name, queue.tags, tags);
      await engine.setTags(queue, tags, []);
      return {};
    },

    async UntagQueue(ctx, input) {
      const queue = await queueOf(ctx, input, 'UntagQueue');
      await engine.setTags(queue, {}, (optArray(input, 'TagKeys') ?? []) as string[]);
      return {};
    },

    async ListQueueTags(ctx, input) {
      const queue = await queueOf(ctx, input, 'ListQueueTags');
      return { Tags: { ...queue.tags } };
    },

    async ListDeadLetterSourceQueues(ctx, input) {
      const queue = await queueOf(ctx, input, 'ListDeadLetterSourceQueues');
      const max = optNumber(input, 'MaxResults');
      if (max !== undefined && (max < 1 || max > 1000)) throw invalidParameterValue(MESSAGES.maxResults(max));
      const after = pageAfter(input);
      const sources = (await engine.deadLetterSources(queue)).filter((q) => after === undefined || q.name > after);
      const limit = max ?? 1000;
      const shown = sources.slice(0, limit);
      return definedOnly({
        // None: an empty answer (§4.4).
        queueUrls: shown.length === 0 ? undefined : shown.map((q) => url(ctx, q)),
        NextToken: max !== undefined && sources.length > limit ? encodeToken((shown[shown.length - 1] as Queue).name) : undefined,
      });
    },

    async SendMessage(ctx, input) {
      const queue = await queueOf(ctx, input, 'SendMessage');
      return sendOne(ctx, queue, engine.check(queue, messageInput(input)));
    },

    async SendMessageBatch(ctx, input) {
      const queue = await queueOf(ctx, input, 'SendMessageBatch');
      const entries = batchEntries(input, 'SendMessageBatch');
      let total = 0;
      for (const e of entries) {
        total += Buffer.byteLength(optString(e, 'MessageBody') ?? '');
        for (const [name, a] of Object.entries(optObject(e, 'MessageAttributes') ?? {})) {
          const attr = a as MessageAttribute;
          total += Buffer.byteLength(name) + Buffer.byteLength(attr.DataType ?? '') + Buffer.byteLength(attr.StringValue ?? '') + Buffer.from(attr.BinaryValue ?? '', 'base64').length;
        }
      }
      if (total > BATCH_LIMIT) throw new SwitchyardError('BatchRequestTooLong', MESSAGES.batchTooLong(total));
      const successful: Record<string, unknown>[] = [];
      const failed: Record<string, unknown>[] = [];
      const good: { id: string; checked: CheckedMessage }[] = [];
      for (const e of entries) {
        const id = reqString(e, 'Id');
        try {
          good.push({ id, checked: engine.check(queue, messageInput(e)) });
        } catch (err) {
          // On a FIFO queue a missing group or deduplication id fails the whole request.
          if (err instanceof SwitchyardError && (err.message === MESSAGE_TEXTS.groupRequired || err.message === MESSAGE_TEXTS.dedupRequired)) {
            throw invalidParameterValue(err.message);
          }
          failed.push(failure(id, err));
        }
      }
      const outcomes = good.length === 0 ? [] : await engine.send(queue, good.map((g) => g.checked), senderId(ctx));
      good.forEach(({ id, checked }, i) => {
        const o = outcomes[i];
        successful.push(
          definedOnly({
            Id: id,
            MessageId: o?.messageId,
            MD5OfMessageBody: checked.md5OfBody,
            MD5OfMessageAttributes: checked.md5OfAttributes,
            MD5OfMessageSystemAttributes: checked.md5OfSystemAttributes,
            SequenceNumber: o?.sequenceNumber,
          }),
        );
      });
      return { Successful: successful, Failed: failed };
    },

    async ReceiveMessage(ctx, input) {
      const queue = await queueOf(ctx, input, 'ReceiveMessage');
      // FIFO only (a standard queue ignores it); worded as SQS words its other FIFO ids (inferred).
      const attemptId = queue.fifo ? optString(input, 'ReceiveRequestAttemptId') : undefined;
      if (attemptId !== undefined && !ATTEMPT_ID.test(attemptId)) throw invalidParameterValue(MESSAGE_TEXTS.id('ReceiveRequestAttemptId', attemptId));
      const attemptKey = attemptId === undefined ? undefined : `${queue.id}\u0000${attemptId}`;
      const now = d.now();
      for (const [k, a] of attempts) if (a.expires <= now) attempts.delete(k);
      const visibility = optNumber(input, 'VisibilityTimeout');
      let messages: StoredMessage[] | undefined;
      const previous = attemptKey === undefined ? undefined : attempts.get(attemptKey);
      if (previous !== undefined) messages = await engine.repeatReceive(queue, previous.messages, visibility);
      if (messages === undefined) {
        const wait = optNumber(input, 'WaitTimeSeconds');
        messages = await engine.receive(queue, {
          max: optNumber(input, 'MaxNumberOfMessages') ?? 1,
          ...(visibility === undefined ? {} : { visibilityTimeout: visibility }),
          ...(wait === undefined ? {} : { waitTimeSeconds: wait }),
          ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        });
        if (attemptKey !== undefined && messages.length > 0) attempts.set(attemptKey, { expires: now + ATTEMPT_MS, messages });
      }
      if (messages.length === 0) return {};
      return { Messages: messages.map((m) => messageOut(queue, m, input)) };
    },

    async DeleteMessage(ctx, input) {
      const queue = await queueOf(ctx, input, 'DeleteMessage');
      await engine.deleteMessage(queue, reqString(input, 'ReceiptHandle'));
      return {};
    },

    async DeleteMessageBatch(ctx, input) {
      const queue = await queueOf(ctx, input, 'DeleteMessageBatch');
      const entries = batchEntries(input, 'DeleteMessageBatch');
      const handles = entries.map((e) => reqString(e, 'ReceiptHandle'));
      const errors = await engine.deleteMessages(queue, handles);
      return batchResult(entries, errors, handles);
    },

    async ChangeMessageVisibility(ctx, input) {
      const queue = await queueOf(ctx, input, 'ChangeMessageVisibility');
      await engine.changeVisibility(queue, reqString(input, 'ReceiptHandle'), optNumber(input, 'VisibilityTimeout') ?? 0);
      return {};
    },

    async ChangeMessageVisibilityBatch(ctx, input) {
      const queue = await queueOf(ctx, input, 'ChangeMessageVisibilityBatch');
      const entries = batchEntries(input, 'ChangeMessageVisibilityBatch');
      const handles = entries.map((e) => reqString(e, 'ReceiptHandle'));
      const errors = await engine.changeVisibilities(queue, entries.map((e, i) => ({ handle: handles[i] as string, seconds: optNumber(e, 'VisibilityTimeout') ?? 0 })));
      return batchResult(entries, errors, handles);
    },

    async StartMessageMoveTask(ctx, input) {
      const task = await engine.moveTasks.start(
        scope(ctx),
        reqString(input, 'SourceArn'),
        optString(input, 'DestinationArn'),
        optNumber(input, 'MaxNumberOfMessagesPerSecond'),
      );
      return { TaskHandle: task.handle };
    },

    async CancelMessageMoveTask(ctx, input) {
      const task = await engine.moveTasks.cancel(scope(ctx), reqString(input, 'TaskHandle'));
      return { ApproximateNumberOfMessagesMoved: task.moved };
    },

    async ListMessageMoveTasks(ctx, input) {
      const max = optNumber(input, 'MaxResults') ?? 1;
      if (max < 1 || max > 10) throw invalidParameterValue(MESSAGES.moveResults(max));
      const tasks = await engine.moveTasks.list(scope(ctx), reqString(input, 'SourceArn'), max);
      return { Results: tasks.map(moveTaskOut) };
    },
  };
}

function moveTaskOut(t: MoveTask): Record<string, unknown> {
  return definedOnly({
    TaskHandle: t.status === 'RUNNING' ? t.handle : undefined,
    Status: t.status,
    SourceArn: t.sourceArn,
    DestinationArn: t.destinationArn,
    MaxNumberOfMessagesPerSecond: t.maxPerSecond,
    ApproximateNumberOfMessagesMoved: t.moved,
    ApproximateNumberOfMessagesToMove: t.toMove,
    FailureReason: t.failureReason,
    StartedTimestamp: t.startedAt,
  });
}

export function sqsService(d: SqsServiceDeps): JsonService {
  const operations = new Map<string, Handler>();
  for (const [name, handler] of Object.entries(sqsOperations(d))) {
    operations.set(name, async (ctx, input) => {
      // A missing or empty QueueName has its own words, checked before the model's MissingParameter (§2.1).
      if (name === 'CreateQueue' || name === 'GetQueueUrl') {
        if (input.QueueName === undefined || input.QueueName === null) throw invalidParameterValue(MESSAGES.queueName);
        if (input.QueueName === '') throw invalidParameterValue(MESSAGES.emptyQueueName);
      }
      const failed = validateInput(SQS_MODEL, name, input);
      if (failed !== null) throw new SwitchyardError(failed.code, failed.message);
      return handler(ctx, input);
    });
  }
  return {
    targetPrefix: 'AmazonSQS',
    signingName: 'sqs',
    contentType: 'application/x-amz-json-1.0',
    operations,
    errorType: sqsJsonType,
    queryCompatible: true,
    query: SQS_QUERY,
  };
}
