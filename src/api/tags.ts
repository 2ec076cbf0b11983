/**
 * Tags on buses and rules: TagResource, UntagResource, ListTagsForResource. The resource must
 * exist in the caller's account.
 */
import { parseArn } from '../domain/arn.js';
import { SwitchyardError } from '../domain/errors.js';
import type { Tag } from '../domain/model.js';
import type { Handler, RequestContext } from '../http/server.js';
import { ensureDefaultBus, MESSAGES as BUS } from './buses.js';
import { reqString } from './input.js';
import { checkRuleTags, refreshTargetOptions, MESSAGES as RULE } from './rules.js';
import type { Services } from './services.js';

/** Throw unless `arn` names an existing bus or rule of the caller; which of the two it is. */
async function requireResource(s: Services, ctx: RequestContext, arn: string): Promise<'bus' | 'rule'> {
  const parsed = parseArn(arn);
  if (parsed === null || parsed.service !== 'events') {
    throw new SwitchyardError('ValidationException', `Invalid ARN: ${arn}`);
  }
  const scope = { account: parsed.account, region: parsed.region };
  await ensureDefaultBus(s, ctx.caller);
  const [kind, ...path] = parsed.resource.split('/');
  if (kind === 'event-bus' && path.length === 1) {
    const name = path[0] as string;
    if (scope.account !== ctx.caller.account || (await s.store.getBus(scope, name)) === undefined) {
      throw new SwitchyardError('ResourceNotFoundException', BUS.busNotFound(name));
    }
    return 'bus';
  }
  if (kind === 'rule' && (path.length === 1 || path.length === 2)) {
    const [bus, name] = path.length === 1 ? ['default', path[0] as string] : (path as [string, string]);
    if (scope.account !== ctx.caller.account || (await s.store.getRule(scope, bus, name)) === undefined) {
      throw new SwitchyardError('ResourceNotFoundException', RULE.ruleNotFound(name, bus));
    }
    return 'rule';
  }
  throw new SwitchyardError('ResourceNotFoundException', `Resource ${arn} does not exist.`);
}

export function tagOperations(s: Services): Record<string, Handler> {
  return {
    async TagResource(ctx, input) {
      const arn = reqString(input, 'ResourceARN');
      const keys = (input.Tags as Tag[]).map((tag) => tag.Key);
      if (new Set(keys).size !== keys.length) {
        throw new SwitchyardError('ValidationException', 'Invalid parameter: Duplicated keys are not allowed.');
      }
      const kind = await requireResource(s, ctx, arn);
      // Switchyard's target options (docs/target-options.md) are checked on rules only.
      if (kind === 'rule') checkRuleTags(input.Tags as Tag[]);
      await s.store.putTags(arn, input.Tags as Tag[]);
      if (kind === 'rule') await refreshTargetOptions(s, arn);
      return {};
    },
    async UntagResource(ctx, input) {
      const arn = reqString(input, 'ResourceARN');
      const kind = await requireResource(s, ctx, arn);
      await s.store.removeTags(arn, input.TagKeys as string[]);
      if (kind === 'rule') await refreshTargetOptions(s, arn);
      return {};
    },
    async ListTagsForResource(ctx, input) {
      const arn = reqString(input, 'ResourceARN');
      await requireResource(s, ctx, arn);
      return { Tags: await s.store.getTags(arn) };
    },
  };
}
