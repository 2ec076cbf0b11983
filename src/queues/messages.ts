/**
 * What SQS checks about one message before it is enqueued (SendMessage, SendMessageBatch, and
 * EventBridge deliveries), and the digests it answers with. Wording of errors: MESSAGES below,
 * from docs/notes/aws-sqs-api.md.
 */
import { createHash } from 'node:crypto';
import { invalidParameterValue, SwitchyardError } from '../domain/errors.js';
import { md5Hex, md5OfAttributes } from './md5.js';
import type { MessageAttribute, NewMessage, Queue } from './model.js';

export const MESSAGES = {
  invalidContents: (codePoint: number) =>
    `Invalid binary character '#x${codePoint.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].`,
  tooLong: (max: number) => `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`,
  emptyBody: 'The request must contain the parameter MessageBody.',
  fifoDelay: (value: number) =>
    `Value ${value} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
  standardDedup: (value: string) =>
    `Value ${value} for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.`,
  groupRequired: 'The request must contain the parameter MessageGroupId.',
  dedupRequired: 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
  delay: (value: number) => `Value ${value} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
  id: (name: string, value: string) =>
    `Value ${value} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
  tooManyAttributes: (n: number) => `Number of message attributes [${n}] exceeds the allowed maximum [10].`,
  emptyName: (kind: string) => `The request must contain non-empty message (${kind}) attribute names.`,
  nameTooLong: (kind: string) => `Message (${kind}) attribute name must be shorter than 256 bytes.`,
  typeTooLong: (kind: string) => `Message (${kind}) attribute type must be shorter than 256 bytes.`,
  reservedName: "You can't use message attribute names beginning with 'AWS.' or 'Amazon'. These strings are reserved for internal use.",
  leadingDot: (kind: string) => `Message (${kind}) attribute name must not begin with character '.'.`,
  trailingDot: (kind: string) => `Message (${kind}) attribute name must not end with character '.'.`,
  doubleDot: (kind: string) => `Message (${kind}) attribute name must not have successive '.' characters.`,
  badNameChars: (kind: string, name: string) => `Message (${kind}) attribute name '${name}' is invalid.`,
  noType: (kind: string, name: string) => `The message (${kind}) attribute '${name}' must contain a non-empty message attribute type.`,
  badType: (kind: string, name: string) =>
    `The type of message (${kind}) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
  emptyValue: (kind: string, name: string, type: string) => `Message (${kind}) attribute '${name}' must contain a non-empty value of type '${type}'.`,
  twoValues: (kind: string, name: string) => `Message (${kind}) attribute '${name}' must have a single value.`,
  wrongField: (kind: string, name: string, type: string, field: string) =>
    `Message (${kind}) attribute '${name}' with type '${type}' must use field '${field}'.`,
  notNumber: (kind: string, name: string) => `Can't cast the value of message (${kind}) attribute '${name}' to a number.`,
  listValues: 'Message attribute list values in SendMessage operation are not supported.',
  systemName: (name: string) => `Message system attribute name '${name}' is invalid.`,
};

/** A message as the API received it (SendMessage's members, or one batch entry's). */
export interface MessageInput {
  readonly MessageBody?: string;
  readonly DelaySeconds?: number;
  readonly MessageAttributes?: Readonly<Record<string, MessageAttribute>>;
  readonly MessageSystemAttributes?: Readonly<Record<string, MessageAttribute>>;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
}

/** Characters SQS accepts in a body or a string attribute (XML 1.0's, surrogate pairs whole). */
const INVALID_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const ATTRIBUTE_NAME = /^[A-Za-z0-9_\-.]{1,256}$/;
const ATTRIBUTE_TYPE = /^(String|Number|Binary)(\..+)?$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** MessageGroupId and MessageDeduplicationId: 1 to 128 of these. */
const ID = /^[!-~]{1,128}$/;


/** Characters a string may hold: the first one outside the set, or -1. */
function firstInvalid(text: string): number {
  const m = INVALID_CHARS.exec(text);
  return m === null ? -1 : (m[0].codePointAt(0) as number);
}

/** Check message (user or system) attributes; their size in bytes as SQS counts it. */
function checkAttributes(attributes: Readonly<Record<string, MessageAttribute>>, kind: 'user' | 'system'): number {
  const names = Object.keys(attributes);
  if (names.length > 10) throw invalidParameterValue(MESSAGES.tooManyAttributes(names.length));
  let size = 0;
  for (const name of names) {
    const a = attributes[name] as MessageAttribute & { StringListValues?: unknown; BinaryListValues?: unknown };
    if (kind === 'system' && name !== 'AWSTraceHeader') throw invalidParameterValue(MESSAGES.systemName(name));
    if (name === '') throw invalidParameterValue(MESSAGES.emptyName(kind));
    if (Buffer.byteLength(name) > 256) throw invalidParameterValue(MESSAGES.nameTooLong(kind));
    const lower = name.toLowerCase();
    if (lower.startsWith('aws.') || lower.startsWith('amazon.')) throw invalidParameterValue(MESSAGES.reservedName);
    if (name.startsWith('.')) throw invalidParameterValue(MESSAGES.leadingDot(kind));
    if (name.endsWith('.')) throw invalidParameterValue(MESSAGES.trailingDot(kind));
    if (name.includes('..')) throw invalidParameterValue(MESSAGES.doubleDot(kind));
    if (!ATTRIBUTE_NAME.test(name)) throw invalidParameterValue(MESSAGES.badNameChars(kind, name));
    const type = a.DataType;
    if (typeof type !== 'string' || type === '') throw invalidParameterValue(MESSAGES.noType(kind, name));
    if (Buffer.byteLength(type) > 256) throw invalidParameterValue(MESSAGES.typeTooLong(kind));
    if (!ATTRIBUTE_TYPE.test(type)) throw invalidParameterValue(MESSAGES.badType(kind, name));
    if ((Array.isArray(a.StringListValues) && a.StringListValues.length > 0) || (Array.isArray(a.BinaryListValues) && a.BinaryListValues.length > 0)) {
      throw new SwitchyardError('UnsupportedOperation', MESSAGES.listValues);
    }
    if (a.StringValue !== undefined && a.BinaryValue !== undefined) throw invalidParameterValue(MESSAGES.twoValues(kind, name));
    const binary = type.startsWith('Binary');
    const value = binary ? a.BinaryValue : a.StringValue;
    if (value === undefined) {
      const given = binary ? a.StringValue : a.BinaryValue;
      if (given !== undefined) throw invalidParameterValue(MESSAGES.wrongField(kind, name, type, binary ? 'Binary' : 'String'));
      throw invalidParameterValue(MESSAGES.emptyValue(kind, name, type));
    }
    if (value === '') throw invalidParameterValue(MESSAGES.emptyValue(kind, name, type));
    if (!binary) {
      const bad = firstInvalid(value);
      if (bad >= 0) throw new SwitchyardError('InvalidMessageContents', MESSAGES.invalidContents(bad));
      if (type.startsWith('Number') && !NUMBER.test(value)) throw invalidParameterValue(MESSAGES.notNumber(kind, name));
    }
    size += Buffer.byteLength(name) + Buffer.byteLength(type) + (binary ? Buffer.from(value, 'base64').length : Buffer.byteLength(value));
  }
  return size;
}

/** A checked message's parts, ready for the store (its id, sender and times are the engine's). */
export type CheckedMessage = Omit<NewMessage, 'messageId' | 'senderId' | 'sentAt' | 'visibleAt'> & {
  /** Seconds. */
  readonly delaySeconds: number;
};

/** Check one message for `queue` as SQS does; throws SQS's error for the first problem. */
export function checkMessage(queue: Queue, m: MessageInput): CheckedMessage {
  const body = m.MessageBody;
  if (body === undefined || body === '') throw new SwitchyardError('MissingParameter', MESSAGES.emptyBody);
  const bad = firstInvalid(body);
  if (bad >= 0) throw new SwitchyardError('InvalidMessageContents', MESSAGES.invalidContents(bad));
  const attributes = m.MessageAttributes ?? {};
  const systemAttributes = m.MessageSystemAttributes ?? {};
  const size = Buffer.byteLength(body) + checkAttributes(attributes, 'user') + checkAttributes(systemAttributes, 'system');
  const max = Number(queue.attributes.MaximumMessageSize);
  if (size > max) throw invalidParameterValue(MESSAGES.tooLong(max));
  const delay = m.DelaySeconds;
  if (delay !== undefined) {
    if (queue.fifo && delay !== 0) throw invalidParameterValue(MESSAGES.fifoDelay(delay));
    if (delay < 0 || delay > 900) throw invalidParameterValue(MESSAGES.delay(delay));
  }
  let groupId: string | undefined;
  let deduplication: { deduplicationId: string; deduplicationKey: string } | undefined;
  if (m.MessageGroupId !== undefined) {
    if (!ID.test(m.MessageGroupId)) throw invalidParameterValue(MESSAGES.id('MessageGroupId', m.MessageGroupId));
    // Standard queues accept one too (fair queues); there it orders nothing.
    groupId = m.MessageGroupId;
  }
  if (queue.fifo) {
    if (groupId === undefined) throw new SwitchyardError('MissingParameter', MESSAGES.groupRequired);
    let id = m.MessageDeduplicationId;
    if (id === undefined) {
      if (queue.attributes.ContentBasedDeduplication !== 'true') throw invalidParameterValue(MESSAGES.dedupRequired);
      id = createHash('sha256').update(body, 'utf8').digest('hex');
    } else if (!ID.test(id)) {
      throw invalidParameterValue(MESSAGES.id('MessageDeduplicationId', id));
    }
    const key = queue.attributes.DeduplicationScope === 'messageGroup' ? `${groupId}\u0000${id}` : id;
    deduplication = { deduplicationId: id, deduplicationKey: key };
  } else if (m.MessageDeduplicationId !== undefined) {
    throw invalidParameterValue(MESSAGES.standardDedup(m.MessageDeduplicationId));
  }
  const md5OfUser = md5OfAttributes(attributes);
  const md5OfSystem = md5OfAttributes(systemAttributes);
  return {
    body,
    attributes,
    systemAttributes,
    md5OfBody: md5Hex(body),
    ...(md5OfUser === undefined ? {} : { md5OfAttributes: md5OfUser }),
    ...(md5OfSystem === undefined ? {} : { md5OfSystemAttributes: md5OfSystem }),
    delaySeconds: queue.fifo || delay === undefined ? Number(queue.attributes.DelaySeconds) : delay,
    ...(groupId === undefined ? {} : { groupId }),
    ...(deduplication ?? {}),
  };
}
