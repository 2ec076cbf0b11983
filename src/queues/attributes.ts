/**
 * Queue attributes: which exist, their defaults, and what values each accepts, as SQS checks
 * them (CreateQueue and SetQueueAttributes). Values travel as strings, as in SQS's API.
 *
 * `check` answers null for a good value, or the SwitchyardError SQS would give. Attributes that
 * depend on each other (FIFO-only ones, DeduplicationScope with FifoThroughputLimit, a redrive
 * policy's dead-letter queue) are checked by the engine, which can see the queue and the store.
 */
import { SwitchyardError } from '../domain/errors.js';
import { queueFromArn } from './names.js';

export const MESSAGES = {
  unknownAttribute: (name: string) => `Unknown Attribute ${name}.`,
  invalidValue: (name: string) => `Invalid value for the parameter ${name}.`,
  fifoOnly: (name: string) => `You can specify the ${name} only when FifoQueue is set to true.`,
  modifyType: 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
  throughput:
    'Invalid value for the parameter FifoThroughputLimit. Reason: To set FifoThroughputLimit to perMessageGroupId, the DeduplicationScope must be messageGroup.',
  twoKindsOfSse: 'You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.',
  redrive: (raw: string, reason: string) => `Value ${raw} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
  redriveNotMap: 'Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.',
  allowFormat: 'Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can\u2019t create the redrive allow policy, as it\u2019s in an unsupported format.',
  allowArnsNeedByQueue: (raw: string) =>
    `Value ${raw} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy. To specify one or more source queue ARNs, you must set redrivePermission to byQueue.`,
  allowByQueueNeedsArns: (raw: string) =>
    `Value ${raw} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy. When you specify the byQueue permission type, you must also specify one or more sourceQueueArns values.`,
  allowTooManyArns: (raw: string) =>
    `Value ${raw} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the redrive allow policy. The maximum number of source queue ARNs you can specify is 10.`,
};

interface AttributeRule {
  /** Set on a new queue when not given (absent: the attribute is only shown once set). */
  readonly default?: string;
  /** FIFO queues only. */
  readonly fifoOnly?: boolean;
  /** Only at CreateQueue (FifoQueue). */
  readonly createOnly?: boolean;
  readonly check: (value: string) => boolean;
  /** A specific error for a bad value, where SQS has one (checked before `check`). */
  readonly problem?: (value: string) => SwitchyardError | null;
}

function integer(min: number, max: number): (v: string) => boolean {
  return (v) => /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= max;
}

const bool = (v: string): boolean => v === 'true' || v === 'false';

function json(v: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The parsed RedrivePolicy, or null when it is not one. */
export function parseRedrivePolicy(v: string): { deadLetterTargetArn: string; maxReceiveCount: number } | null {
  return redriveProblem(v) === null ? redriveOf(json(v) as Record<string, unknown>) : null;
}

function redriveOf(p: Record<string, unknown>): { deadLetterTargetArn: string; maxReceiveCount: number } {
  const count = p.maxReceiveCount;
  return { deadLetterTargetArn: p.deadLetterTargetArn as string, maxReceiveCount: typeof count === 'string' ? Number(count) : (count as number) };
}

/** What is wrong with a RedrivePolicy value (AWS's message), or null. */
function redriveProblem(raw: string): SwitchyardError | null {
  const p = json(raw);
  const bad = (reason: string): SwitchyardError => new SwitchyardError('InvalidParameterValue', MESSAGES.redrive(raw, reason));
  if (!isObject(p)) return new SwitchyardError('InvalidParameterValue', MESSAGES.redriveNotMap);
  for (const key of Object.keys(p)) {
    if (key !== 'deadLetterTargetArn' && key !== 'maxReceiveCount') return bad('Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn].');
  }
  for (const key of ['maxReceiveCount', 'deadLetterTargetArn']) {
    if (!(key in p)) return bad(`Redrive policy does not contain mandatory attribute: ${key}.`);
  }
  const arn = p.deadLetterTargetArn;
  if (typeof arn !== 'string' || !arn.startsWith('arn:') || arn.split(':').length < 6) return bad('Invalid value for deadLetterTargetArn.');
  if (queueFromArn(arn) === null) return bad('Only SQS queues are valid resources for deadLetterTargetArn.');
  const count = typeof p.maxReceiveCount === 'string' && /^\d+$/.test(p.maxReceiveCount) ? Number(p.maxReceiveCount) : p.maxReceiveCount;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
    return bad(`Invalid value for maxReceiveCount: ${String(p.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`);
  }
  return null;
}

/** The parsed RedriveAllowPolicy, or null when it is not one. */
export function parseRedriveAllowPolicy(v: string): { redrivePermission: string; sourceQueueArns: string[] } | null {
  if (allowProblem(v) !== null) return null;
  const p = json(v) as Record<string, unknown>;
  return { redrivePermission: p.redrivePermission as string, sourceQueueArns: (p.sourceQueueArns as string[] | undefined) ?? [] };
}

function allowProblem(raw: string): SwitchyardError | null {
  const p = json(raw);
  const bad = (message: string): SwitchyardError => new SwitchyardError('InvalidParameterValue', message);
  if (!isObject(p)) return bad(MESSAGES.allowFormat);
  const permission = p.redrivePermission;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') return bad(MESSAGES.allowFormat);
  const arns = p.sourceQueueArns ?? [];
  if (!Array.isArray(arns) || !arns.every((a) => typeof a === 'string' && queueFromArn(a) !== null)) return bad(MESSAGES.allowFormat);
  if (permission !== 'byQueue' && arns.length > 0) return bad(MESSAGES.allowArnsNeedByQueue(raw));
  if (permission === 'byQueue' && arns.length === 0) return bad(MESSAGES.allowByQueueNeedsArns(raw));
  if (arns.length > 10) return bad(MESSAGES.allowTooManyArns(raw));
  return null;
}

export const ATTRIBUTES: Readonly<Record<string, AttributeRule>> = {
  DelaySeconds: { default: '0', check: integer(0, 900) },
  MaximumMessageSize: { default: '1048576', check: integer(1024, 1_048_576) },
  MessageRetentionPeriod: { default: '345600', check: integer(60, 1_209_600) },
  ReceiveMessageWaitTimeSeconds: { default: '0', check: integer(0, 20) },
  VisibilityTimeout: { default: '30', check: integer(0, 43_200) },
  Policy: { check: (v) => v === '' || isObject(json(v)) },
  RedrivePolicy: { problem: (v) => (v === '' ? null : redriveProblem(v)), check: () => true },
  RedriveAllowPolicy: { problem: (v) => (v === '' ? null : allowProblem(v)), check: () => true },
  KmsMasterKeyId: { check: (v) => v.length <= 2048 },
  KmsDataKeyReusePeriodSeconds: { check: integer(60, 86_400) },
  SqsManagedSseEnabled: { default: 'true', check: bool },
  FifoQueue: { fifoOnly: true, createOnly: true, check: (v) => v === 'true' },
  ContentBasedDeduplication: { default: 'false', fifoOnly: true, check: bool },
  DeduplicationScope: { default: 'queue', fifoOnly: true, check: (v) => v === 'queue' || v === 'messageGroup' },
  FifoThroughputLimit: { default: 'perQueue', fifoOnly: true, check: (v) => v === 'perQueue' || v === 'perMessageGroupId' },
};

/** Attributes GetQueueAttributes computes rather than stores. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/**
 * Check attributes given to CreateQueue (`creating`) or SetQueueAttributes (`current` holds the
 * queue's), for a queue of the given kind; throws SQS's error for the first bad one.
 */
export function checkAttributes(
  given: Readonly<Record<string, string>>,
  fifo: boolean,
  creating: boolean,
  current: Readonly<Record<string, string>> = {},
): void {
  for (const [name, value] of Object.entries(given)) {
    const rule = ATTRIBUTES[name];
    if (rule === undefined) throw new SwitchyardError('InvalidAttributeName', MESSAGES.unknownAttribute(name));
    if (rule.fifoOnly === true && !fifo) {
      const message = name === 'DeduplicationScope' || name === 'FifoThroughputLimit' ? MESSAGES.fifoOnly(name) : MESSAGES.unknownAttribute(name);
      throw new SwitchyardError('InvalidAttributeName', message);
    }
    if (rule.createOnly === true && !creating) {
      if (value === 'true') continue;
      throw new SwitchyardError('InvalidAttributeValue', MESSAGES.modifyType);
    }
    const problem = rule.problem?.(value) ?? null;
    if (problem !== null) throw problem;
    if (!rule.check(value)) throw new SwitchyardError('InvalidAttributeValue', MESSAGES.invalidValue(name));
  }
  const merged = { ...current, ...given };
  if (fifo && merged.FifoThroughputLimit === 'perMessageGroupId' && (merged.DeduplicationScope ?? 'queue') !== 'messageGroup') {
    throw new SwitchyardError('InvalidAttributeValue', MESSAGES.throughput);
  }
  if (merged.SqsManagedSseEnabled === 'true' && given.KmsMasterKeyId !== undefined && given.SqsManagedSseEnabled === 'true') {
    throw new SwitchyardError('InvalidAttributeName', MESSAGES.twoKindsOfSse);
  }
}

/** A new queue's stored attributes: the defaults of its kind, then what was given. */
export function withDefaults(given: Readonly<Record<string, string>>, fifo: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, rule] of Object.entries(ATTRIBUTES)) {
    if (rule.fifoOnly === true && !fifo) continue;
    if (rule.default !== undefined) out[name] = rule.default;
  }
  if (fifo) out.FifoQueue = 'true';
  return applyAttributes(out, given);
}

/**
 * Checked attributes applied to a queue's: an empty Policy, RedrivePolicy or RedriveAllowPolicy
 * removes it; a RedrivePolicy is kept in SQS's canonical form,
 * `{"deadLetterTargetArn":"<arn>","maxReceiveCount":<number>}`, whatever order and number form
 * it was given in.
 */
export function applyAttributes(current: Readonly<Record<string, string>>, given: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...current };
  for (const [name, value] of Object.entries(given)) {
    if (value === '' && (name === 'Policy' || name === 'RedrivePolicy' || name === 'RedriveAllowPolicy')) delete out[name];
    else out[name] = name === 'RedrivePolicy' ? canonicalRedrivePolicy(value) : value;
  }
  return out;
}

function canonicalRedrivePolicy(raw: string): string {
  const p = parseRedrivePolicy(raw);
  return p === null ? raw : JSON.stringify({ deadLetterTargetArn: p.deadLetterTargetArn, maxReceiveCount: p.maxReceiveCount });
}
