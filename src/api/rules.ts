/**
 * Rules: PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule,
 * ListRuleNamesByTarget. Each successful write is mirrored into the router, so the next PutEvents
 * sees it.
 */
import { ruleArn } from '../domain/arn.js';
import { checkOptionTags, TargetOptionError } from '../delivery/target-options.js';
import { SwitchyardError } from '../domain/errors.js';
import type { EventBus, Rule, RuleState, Tag } from '../domain/model.js';
import type { Handler, RequestContext } from '../http/server.js';
import { requireBus } from './buses.js';
import type { Input } from './input.js';
import { decodeToken, definedOnly, optNumber, optString, page, reqString } from './input.js';
import { isValidSchedule } from './schedule.js';
import type { Services } from './services.js';

export const MESSAGES = {
  ruleNotFound: (name: string, bus: string) => `Rule ${name} does not exist on EventBus ${bus}.`,
  needPatternOrSchedule: 'Parameter(s) EventPattern or ScheduleExpression must be specified.',
  scheduleOnCustomBus: 'ScheduleExpression is supported only on the default event bus.',
  badSchedule: 'Parameter ScheduleExpression is not valid.',
  hasTargets: "Rule can't be deleted since it has targets.",
  patternTooLong: (name: string, max: number) => `Parameter EventPattern for rule ${name} exceeds limit of ${max}.`,
};

export async function requireRule(s: Services, ctx: RequestContext, input: Input): Promise<{ bus: EventBus; rule: Rule }> {
  const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
  const name = reqString(input, 'Name') || reqString(input, 'Rule');
  const rule = await s.store.getRule(bus, bus.name, name);
  if (rule === undefined) throw new SwitchyardError('ResourceNotFoundException', MESSAGES.ruleNotFound(name, bus.name));
  return { bus, rule };
}

function listed(rule: Rule): Record<string, unknown> {
  return definedOnly({
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.eventPattern,
    State: rule.state,
    Description: rule.description,
    ScheduleExpression: rule.scheduleExpression,
    RoleArn: rule.roleArn,
    ManagedBy: rule.managedBy,
    EventBusName: rule.eventBusName,
  });
}

/** Refuses (ValidationException) `switchyard:` tags that do not follow the target-options scheme. */
export function checkRuleTags(tags: readonly Tag[]): void {
  try {
    checkOptionTags(tags);
  } catch (e) {
    if (e instanceof TargetOptionError) throw new SwitchyardError('ValidationException', e.message);
    throw e;
  }
}

/** After a rule's tags changed in the store: the dispatcher's view of its target options follows. */
export async function refreshTargetOptions(s: Services, ruleArn: string): Promise<void> {
  s.targetOptions.setRuleTags(ruleArn, await s.store.getTags(ruleArn));
}

export function ruleOperations(s: Services): Record<string, Handler> {
  const setState = async (ctx: RequestContext, input: Input, state: RuleState): Promise<object> => {
    const { rule } = await requireRule(s, ctx, input);
    const updated: Rule = { ...rule, state };
    await s.store.putRule(updated);
    s.router.putRule(updated);
    return {};
  };

  return {
    async PutRule(ctx, input) {
      const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
      const name = reqString(input, 'Name');
      const tags = (input.Tags as Tag[] | undefined) ?? [];
      checkRuleTags(tags);
      const eventPattern = optString(input, 'EventPattern');
      const scheduleExpression = optString(input, 'ScheduleExpression');
      if (eventPattern === undefined && scheduleExpression === undefined) {
        throw new SwitchyardError('ValidationException', MESSAGES.needPatternOrSchedule);
      }
      if (scheduleExpression !== undefined) {
        if (bus.name !== 'default') throw new SwitchyardError('ValidationException', MESSAGES.scheduleOnCustomBus);
        if (!isValidSchedule(scheduleExpression)) throw new SwitchyardError('ValidationException', MESSAGES.badSchedule);
      }
      if (eventPattern !== undefined) {
        const max = s.options.maxPatternLength;
        if (eventPattern.length > max) throw new SwitchyardError('ValidationException', MESSAGES.patternTooLong(name, max));
        s.compilePattern(eventPattern);
      }
      const existing = await s.store.getRule(bus, bus.name, name);
      const description = optString(input, 'Description');
      const roleArn = optString(input, 'RoleArn');
      const rule: Rule = {
        account: bus.account,
        region: bus.region,
        eventBusName: bus.name,
        name,
        arn: ruleArn(bus, bus.name, name),
        ...(eventPattern === undefined ? {} : { eventPattern }),
        ...(scheduleExpression === undefined ? {} : { scheduleExpression }),
        state: (optString(input, 'State') as RuleState | undefined) ?? 'ENABLED',
        ...(description === undefined ? {} : { description }),
        ...(roleArn === undefined ? {} : { roleArn }),
        ...(existing?.managedBy === undefined ? {} : { managedBy: existing.managedBy }),
        createdBy: existing?.createdBy ?? ctx.caller.account,
        createdAt: existing?.createdAt ?? s.now(),
      };
      await s.store.putRule(rule);
      if (tags.length > 0) {
        await s.store.putTags(rule.arn, tags);
        await refreshTargetOptions(s, rule.arn);
      }
      s.router.putRule(rule);
      return { RuleArn: rule.arn };
    },

    async DescribeRule(ctx, input) {
      const { rule } = await requireRule(s, ctx, input);
      return { ...listed(rule), CreatedBy: rule.createdBy };
    },

    async ListRules(ctx, input) {
      const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
      const limit = optNumber(input, 'Limit') ?? 100;
      const after = decodeToken(optString(input, 'NextToken'));
      const prefix = optString(input, 'NamePrefix');
      const found = await s.store.listRules(bus, bus.name, {
        limit: limit + 1,
        ...(after === undefined ? {} : { after }),
        ...(prefix === undefined ? {} : { namePrefix: prefix }),
      });
      const { items, next } = page(found, limit, (r) => r.name);
      return { Rules: items.map(listed), ...(next === undefined ? {} : { NextToken: next }) };
    },

    EnableRule: (ctx, input) => setState(ctx, input, 'ENABLED'),
    DisableRule: (ctx, input) => setState(ctx, input, 'DISABLED'),

    async DeleteRule(ctx, input) {
      const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
      const rule = await s.store.getRule(bus, bus.name, reqString(input, 'Name'));
      if (rule === undefined) return {};
      if ((await s.store.listTargets(rule.arn)).length > 0) {
        throw new SwitchyardError('ValidationException', MESSAGES.hasTargets);
      }
      await s.store.deleteRule(bus, bus.name, rule.name);
      s.router.deleteRule(rule.arn);
      s.targetOptions.deleteRule(rule.arn);
      return {};
    },

    async ListRuleNamesByTarget(ctx, input) {
      const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
      const targetArn = reqString(input, 'TargetArn');
      const limit = optNumber(input, 'Limit') ?? 100;
      const after = decodeToken(optString(input, 'NextToken'));
      const names: string[] = [];
      for (const rule of await s.store.listRules(bus, bus.name, { limit: Number.MAX_SAFE_INTEGER })) {
        if (after !== undefined && rule.name <= after) continue;
        if ((await s.store.listTargets(rule.arn)).some((t) => t.Arn === targetArn)) names.push(rule.name);
        if (names.length > limit) break;
      }
      const { items, next } = page(names, limit, (n) => n);
      return { RuleNames: items, ...(next === undefined ? {} : { NextToken: next }) };
    },
  };
}
