/**
 * Targets: PutTargets, RemoveTargets, ListTargetsByRule. Targets are kept in AWS's Target shape;
 * this module checks what the model cannot (one input kind per target, JSON inputs, template
 * placeholders, the per-rule limit) and mirrors changes into the router.
 */
import { parseArn } from '../domain/arn.js';
import { SwitchyardError } from '../domain/errors.js';
import type { Target } from '../domain/model.js';
import type { Handler } from '../http/server.js';
import type { Input } from './input.js';
import { decodeToken, optNumber, optString, page } from './input.js';
import { EVENTS_MODEL } from './models/events.generated.js';
import { pruneToShape } from './prune.js';
import { requireRule } from './rules.js';
import type { Services } from './services.js';

export const MAX_TARGETS_PER_RULE = 5;

export const MESSAGES = {
  tooManyTargets: 'The requested resource exceeds the maximum number allowed.',
  duplicateId: (id: string) => `Parameter targets is not valid. Reason: More than one target with Id '${id}' is provided.`,
  badArn: (arn: string) => `Parameter ${arn} is not valid. Reason: Provided Arn is not in correct format.`,
  fifoNeedsSqsParameters: (id: string) => `Parameter(s) SqsParameters must be specified for target: ${id}.`,
  roleRequired: (arn: string) => `RoleArn is required for target ${arn}.`,
  deadLetterService: (service: string) => `${service} is not supported as a dead letter resource`,
  deadLetterFifo: 'SQS FIFO is not supported by Dead Letter Queues',
  oneInputKind: (id: string) => `Only one of Input, InputPath, or InputTransformer must be provided for target ${id}.`,
  inputNotJson: (id: string) => `JSON syntax error in input for target ${id}`,
  badInputPath: (id: string) => `InputPath for target ${id} is invalid.`,
  badPlaceholder: (id: string, name: string) => `InputTemplate for target ${id} contains invalid placeholder ${name}.`,
  crossAccountBusInput: (id: string) => `Parameter(s) Input, InputPath, InputTransformer not valid for target: ${id}. They are not available when the target is an event bus of a different account.`,
  jsonOnlyPlaceholder: (id: string) =>
    `InputTemplate for target ${id} contains placeholder aws.events.event.json valid only for JSON template.`,
};

/** Variables AWS fills in any InputTemplate, beside the InputPathsMap keys. */
const PREDEFINED = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
]);

/** JSONPath as EventBridge accepts it in InputPath and InputPathsMap: $, .name, [n] (not ['name']). */
const JSON_PATH = /^\$(\.[^.[\]'"]+|\[\d+\])*$/;

/** Services AWS invokes with the target's role, so a target of theirs must name one. */
const ROLE_INVOKED = new Set([
  'kinesis',
  'states',
  'ecs',
  'batch',
  'codebuild',
  'codepipeline',
  'firehose',
  'glue',
  'inspector',
  'redshift',
  'sagemaker',
  'ssm',
  'ssm-incidents',
]);

/** Problems the model cannot see, as AWS words them; null when the target is fine. */
function checkTarget(t: Input, ruleAccount: string): string | null {
  const id = t.Id as string;
  const arn = parseArn(t.Arn as string);
  if (arn === null || arn.service === '' || arn.resource === '') return MESSAGES.badArn(t.Arn as string);
  if (arn.service === 'sqs' && arn.resource.endsWith('.fifo') && t.SqsParameters === undefined) {
    return MESSAGES.fifoNeedsSqsParameters(id);
  }
  if (ROLE_INVOKED.has(arn.service) && t.RoleArn === undefined) return MESSAGES.roleRequired(t.Arn as string);
  const dlq = (t.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
  if (dlq !== undefined) {
    const dlqArn = parseArn(dlq);
    if (dlqArn === null) return MESSAGES.badArn(dlq);
    if (dlqArn.service !== 'sqs') return MESSAGES.deadLetterService(dlqArn.service);
    if (dlqArn.resource.endsWith('.fifo')) return MESSAGES.deadLetterFifo;
  }
  const kinds = ['Input', 'InputPath', 'InputTransformer'].filter((k) => t[k] !== undefined);
  if (kinds.length > 1) return MESSAGES.oneInputKind(id);
  // PutTargets' reference: "Input, InputPath, and InputTransformer are not available with
  // PutTarget if the target is an event bus of a different AWS account."
  if (kinds.length > 0 && arn.service === 'events' && arn.resource.startsWith('event-bus/') && arn.account !== ruleAccount) {
    return MESSAGES.crossAccountBusInput(id);
  }
  if (typeof t.Input === 'string') {
    try {
      JSON.parse(t.Input);
    } catch {
      return MESSAGES.inputNotJson(id);
    }
  }
  if (typeof t.InputPath === 'string' && !JSON_PATH.test(t.InputPath)) return MESSAGES.badInputPath(id);
  const transformer = t.InputTransformer as { InputPathsMap?: Record<string, string>; InputTemplate?: string } | undefined;
  if (transformer !== undefined) {
    const paths = transformer.InputPathsMap ?? {};
    for (const path of Object.values(paths)) {
      if (!JSON_PATH.test(path)) return MESSAGES.badInputPath(id);
    }
    const template = transformer.InputTemplate ?? '';
    for (const m of template.matchAll(/<([^<>\s]+)>/g)) {
      const name = m[1] as string;
      if (!Object.hasOwn(paths, name) && !PREDEFINED.has(name)) return MESSAGES.badPlaceholder(id, name);
      if (name === 'aws.events.event.json' && !template.trimStart().startsWith('{')) return MESSAGES.jsonOnlyPlaceholder(id);
    }
  }
  return null;
}

export function targetOperations(s: Services): Record<string, Handler> {
  return {
    async PutTargets(ctx, input) {
      const { rule } = await requireRule(s, ctx, { ...input, Name: input.Rule });
      const targets = (input.Targets as Input[]).map((t) => pruneToShape(EVENTS_MODEL, 'Target', t) as Target);
      const seen = new Set<string>();
      for (const t of targets) {
        if (seen.has(t.Id)) throw new SwitchyardError('ValidationException', MESSAGES.duplicateId(t.Id));
        seen.add(t.Id);
      }
      for (const t of targets) {
        const problem = checkTarget(t as unknown as Input, rule.account);
        if (problem !== null) throw new SwitchyardError('ValidationException', problem);
      }
      const existing = new Set((await s.store.listTargets(rule.arn)).map((t) => t.Id));
      for (const t of targets) existing.add(t.Id);
      if (existing.size > MAX_TARGETS_PER_RULE) throw new SwitchyardError('LimitExceededException', MESSAGES.tooManyTargets);
      await s.store.putTargets(rule.arn, targets);
      s.router.putTargets(rule.arn, targets);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    async RemoveTargets(ctx, input) {
      const { rule } = await requireRule(s, ctx, { ...input, Name: input.Rule });
      const ids = input.Ids as string[];
      await s.store.removeTargets(rule.arn, ids);
      s.router.removeTargets(rule.arn, ids);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },

    async ListTargetsByRule(ctx, input) {
      const { rule } = await requireRule(s, ctx, { ...input, Name: input.Rule });
      const limit = optNumber(input, 'Limit') ?? 100;
      const after = decodeToken(optString(input, 'NextToken'));
      const all = (await s.store.listTargets(rule.arn)).filter((t) => after === undefined || t.Id > after);
      const { items, next } = page(all, limit, (t) => t.Id);
      return { Targets: items, ...(next === undefined ? {} : { NextToken: next }) };
    },
  };
}
