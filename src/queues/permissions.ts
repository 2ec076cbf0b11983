/**
 * Queue policies: AddPermission and RemovePermission edit a queue's Policy attribute as SQS does
 * (docs/notes/aws-sqs-api.md §2.7), and the policy decides whether another account may act on the
 * queue (docs/queues.md, "Other accounts").
 *
 * A statement AddPermission writes (AWS's form, captured from SQS):
 *
 *   {"Version":"2008-10-17","Id":"<QueueArn>/SQSDefaultPolicy","Statement":[{"Sid":"<Label>",
 *    "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::<account>:root"},"Action":"SQS:SendMessage",
 *    "Resource":"<QueueArn>"}]}
 *
 * with Principal.AWS and Action lists when there are several; removing the last statement
 * removes the Policy attribute.
 */
import { SwitchyardError } from '../domain/errors.js';
import { policyAllows } from '../domain/policy.js';
import type { Queue } from './model.js';

/** The actions a queue policy may grant (SQS's API); `*` grants them all. */
export const QUEUE_ACTIONS = [
  'SendMessage',
  'ReceiveMessage',
  'DeleteMessage',
  'ChangeMessageVisibility',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListDeadLetterSourceQueues',
  'PurgeQueue',
  'SetQueueAttributes',
  'DeleteQueue',
  'AddPermission',
  'RemovePermission',
  'ListQueueTags',
  'TagQueue',
  'UntagQueue',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
] as const;

/** "Specifying SendMessage, DeleteMessage, or ChangeMessageVisibility also grants permissions for the corresponding batch versions." */
const BATCH_OF: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

export const MAX_ACTIONS = 7;
const LABEL = /^[A-Za-z0-9_-]{1,80}$/;

export const MESSAGES = {
  labelExists: (label: string) => `Value ${label} for parameter Label is invalid. Reason: Already exists.`,
  labelMissing: (label: string) => `Value ${label} for parameter Label is invalid. Reason: can't find label.`,
  badLabel: (label: string) =>
    `Value ${label} for parameter Label is invalid. Reason: Up to 80 alphanumeric characters, hyphens (-) and underscores (_) are allowed.`,
  badAction: (action: string) => `Value SQS:${action} for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. `,
  badAccount: (account: string) => `Value ${account} for parameter AWSAccountId is invalid. Reason: An AWS account id is 12 digits.`,
  tooManyActions: (n: number) => `${n} Actions were found, maximum allowed is ${MAX_ACTIONS}.`,
  accessDenied: (url: string) => `Access to the resource ${url} is denied.`,
};

interface Statement {
  Sid?: string;
  Effect: string;
  Principal: unknown;
  Action: string | string[];
  Resource?: string | string[];
}

interface Policy {
  Version: string;
  Id?: string;
  Statement: Statement[];
}

const one = <T>(xs: readonly T[]): T | T[] => (xs.length === 1 ? (xs[0] as T) : [...xs]);

function parse(text: string | undefined, queue: Queue): Policy {
  if (text === undefined || text === '') return { Version: '2008-10-17', Id: `${queue.arn}/SQSDefaultPolicy`, Statement: [] };
  const doc = JSON.parse(text) as Partial<Policy>;
  const statements = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return { ...doc, Version: doc.Version ?? '2008-10-17', Statement: statements } as Policy;
}

/** The queue's Policy with a statement `label` added (AddPermission). */
export function addPermission(queue: Queue, label: string, accounts: readonly string[], actions: readonly string[]): string {
  if (!LABEL.test(label)) throw new SwitchyardError('InvalidParameterValue', MESSAGES.badLabel(label));
  if (actions.length > MAX_ACTIONS) throw new SwitchyardError('OverLimit', MESSAGES.tooManyActions(actions.length));
  for (const a of actions) {
    if (a !== '*' && !(QUEUE_ACTIONS as readonly string[]).includes(a)) throw new SwitchyardError('InvalidParameterValue', MESSAGES.badAction(a));
  }
  for (const account of accounts) {
    if (!/^\d{12}$/.test(account)) throw new SwitchyardError('InvalidParameterValue', MESSAGES.badAccount(account));
  }
  const policy = parse(queue.attributes.Policy, queue);
  if (policy.Statement.some((s) => s.Sid === label)) throw new SwitchyardError('InvalidParameterValue', MESSAGES.labelExists(label));
  policy.Statement.push({
    Sid: label,
    Effect: 'Allow',
    Principal: { AWS: one(accounts.map((a) => `arn:aws:iam::${a}:root`)) },
    Action: one(actions.map((a) => `SQS:${a}`)),
    Resource: queue.arn,
  });
  return JSON.stringify(policy);
}

/** The queue's Policy without the statement `label` ('' when none is left: the attribute goes). */
export function removePermission(queue: Queue, label: string): string {
  const policy = parse(queue.attributes.Policy, queue);
  const kept = policy.Statement.filter((s) => s.Sid !== label);
  if (kept.length === policy.Statement.length) throw new SwitchyardError('InvalidParameterValue', MESSAGES.labelMissing(label));
  return kept.length === 0 ? '' : JSON.stringify({ ...policy, Statement: kept });
}

/** Does the queue's policy let `account` perform `action` (an SQS operation name) on it? */
export function queueAllows(queue: Queue, account: string, action: string): boolean {
  const policy = queue.attributes.Policy;
  if (policy === undefined || policy === '') return false;
  try {
    return policyAllows(policy, account, `sqs:${BATCH_OF[action] ?? action}`, queue.arn);
  } catch {
    return false; // a policy SetQueueAttributes accepted as JSON but not as a policy: grants nothing
  }
}
