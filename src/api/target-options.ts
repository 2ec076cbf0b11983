/**
 * Switchyard's target options through its own API (docs/target-options.md), beside the rule tags
 * that hold them: these operations read and write the `switchyard:target:<TargetId>:*` tags, so
 * there is one truth, visible to ListTagsForResource and to infrastructure-as-code tools.
 *
 *   PutTargetOptions     {Rule, EventBusName?, TargetId, Options} -> {RuleArn, TargetId, Options}
 *                        (replaces every option of the target; an empty Options clears them)
 *   GetTargetOptions     {Rule, EventBusName?, TargetId}
 *                        -> {RuleArn, TargetId, Options, CircuitBreaker?: {State, Changes}}
 *   DeleteTargetOptions  {Rule, EventBusName?, TargetId} -> {}
 *
 *   Options: {TimeoutSeconds?, RateLimitPerSecond?, RateLimitBurst?, MaxConcurrency?,
 *             CircuitBreaker?: {FailurePercent, MinimumAttempts?, WindowSeconds?, CooldownSeconds?},
 *             OrderBy?}
 *
 * The rule must be the caller's (ResourceNotFoundException as DescribeRule words it); the target
 * need not exist yet. A bad value is refused as the tag would be (ValidationException).
 */
import { OPTION_TAG_PREFIX } from '../delivery/target-options.js';
import { SwitchyardError } from '../domain/errors.js';
import type { Rule, Tag } from '../domain/model.js';
import type { Handler, RequestContext } from '../http/server.js';
import type { BreakerRecord } from '../store/port.js';
import { requireBus } from './buses.js';
import type { Input } from './input.js';
import { optString, reqString } from './input.js';
import { checkRuleTags, MESSAGES, refreshTargetOptions } from './rules.js';
import type { Services } from './services.js';
import { invalid, reqMatching, TARGET_ID, TARGET_WHAT } from './switchyard.js';

export interface TargetOptionsApiDeps {
  readonly services: Services;
  /** The breaker's state now, if the target has one in memory (the dispatcher's lane). */
  readonly breakerState: (ruleArn: string, targetId: string) => string | undefined;
}

/** Changes of a breaker shown by GetTargetOptions, newest first. */
const CHANGES_SHOWN = 20;

/** API member -> tag option, for the flat options. */
const FLAT: readonly (readonly [string, string])[] = [
  ['TimeoutSeconds', 'timeout-seconds'],
  ['RateLimitPerSecond', 'rate-limit-per-second'],
  ['RateLimitBurst', 'rate-limit-burst'],
  ['MaxConcurrency', 'max-concurrency'],
  ['OrderBy', 'order-by'],
];
/** CircuitBreaker member -> tag option. */
const BREAKER: readonly (readonly [string, string])[] = [
  ['FailurePercent', 'circuit-breaker-failure-percent'],
  ['MinimumAttempts', 'circuit-breaker-minimum-attempts'],
  ['WindowSeconds', 'circuit-breaker-window-seconds'],
  ['CooldownSeconds', 'circuit-breaker-cooldown-seconds'],
];

const prefixOf = (targetId: string): string => `${OPTION_TAG_PREFIX}target:${targetId}:`;

function scalar(v: unknown, at: string): string {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string') return v;
  throw invalid(`${at} must be a number or a string.`);
}

/** The tags that set `options` for the target. */
function tagsOf(targetId: string, options: Record<string, unknown>): Tag[] {
  const known = new Set([...FLAT.map(([m]) => m), 'CircuitBreaker']);
  for (const k of Object.keys(options)) if (!known.has(k)) throw invalid(`Unknown member Options.${k}.`);
  const tags: Tag[] = [];
  for (const [member, option] of FLAT) {
    const v = options[member];
    if (v !== undefined && v !== null) tags.push({ Key: `${prefixOf(targetId)}${option}`, Value: scalar(v, `Options.${member}`) });
  }
  const breaker = options.CircuitBreaker;
  if (breaker !== undefined && breaker !== null) {
    if (typeof breaker !== 'object' || Array.isArray(breaker)) throw invalid('Options.CircuitBreaker must be an object.');
    const b = breaker as Record<string, unknown>;
    const knownB = new Set(BREAKER.map(([m]) => m));
    for (const k of Object.keys(b)) if (!knownB.has(k)) throw invalid(`Unknown member Options.CircuitBreaker.${k}.`);
    if (b.FailurePercent === undefined || b.FailurePercent === null) throw invalid('Options.CircuitBreaker.FailurePercent is required.');
    for (const [member, option] of BREAKER) {
      const v = b[member];
      if (v !== undefined && v !== null) tags.push({ Key: `${prefixOf(targetId)}${option}`, Value: scalar(v, `Options.CircuitBreaker.${member}`) });
    }
  }
  return tags;
}

/** The API's Options from the target's tags (numbers as numbers). */
function optionsOf(targetId: string, tags: readonly Tag[]): Record<string, unknown> {
  const prefix = prefixOf(targetId);
  const value = (option: string): string | undefined => tags.find((t) => t.Key === `${prefix}${option}`)?.Value;
  const out: Record<string, unknown> = {};
  for (const [member, option] of FLAT) {
    const v = value(option);
    if (v !== undefined) out[member] = option === 'order-by' ? v : Number(v);
  }
  const breaker: Record<string, number> = {};
  for (const [member, option] of BREAKER) {
    const v = value(option);
    if (v !== undefined) breaker[member] = Number(v);
  }
  if (Object.keys(breaker).length > 0) out.CircuitBreaker = breaker;
  return out;
}

export function targetOptionsOperations(deps: TargetOptionsApiDeps): Record<string, Handler> {
  const s = deps.services;

  const ruleOf = async (ctx: RequestContext, input: Input): Promise<{ rule: Rule; targetId: string }> => {
    const bus = await requireBus(s, ctx, optString(input, 'EventBusName'));
    const name = reqString(input, 'Rule');
    const rule = await s.store.getRule(bus, bus.name, name);
    if (rule === undefined) throw new SwitchyardError('ResourceNotFoundException', MESSAGES.ruleNotFound(name, bus.name));
    return { rule, targetId: reqMatching(input, 'TargetId', TARGET_ID, TARGET_WHAT) };
  };

  /** Replace the target's option tags with `tags` (none: clear them). */
  const replace = async (rule: Rule, targetId: string, tags: readonly Tag[]): Promise<void> => {
    checkRuleTags(tags);
    const old = (await s.store.getTags(rule.arn)).filter((t) => t.Key.startsWith(prefixOf(targetId))).map((t) => t.Key);
    if (old.length > 0) await s.store.removeTags(rule.arn, old);
    if (tags.length > 0) await s.store.putTags(rule.arn, tags);
    await refreshTargetOptions(s, rule.arn);
  };

  return {
    async PutTargetOptions(ctx, input) {
      const { rule, targetId } = await ruleOf(ctx, input);
      const options = input.Options;
      if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw invalid('Options is required: an object (an empty one clears every option).');
      }
      await replace(rule, targetId, tagsOf(targetId, options as Record<string, unknown>));
      return { RuleArn: rule.arn, TargetId: targetId, Options: optionsOf(targetId, await s.store.getTags(rule.arn)) };
    },

    async GetTargetOptions(ctx, input) {
      const { rule, targetId } = await ruleOf(ctx, input);
      const options = optionsOf(targetId, await s.store.getTags(rule.arn));
      const changes = await s.store.breakers.latest(rule.arn, targetId, CHANGES_SHOWN);
      const state = deps.breakerState(rule.arn, targetId) ?? changes[0]?.to ?? (options.CircuitBreaker === undefined ? undefined : 'CLOSED');
      return {
        RuleArn: rule.arn,
        TargetId: targetId,
        Options: options,
        ...(state === undefined && changes.length === 0 ? {} : { CircuitBreaker: { State: state ?? 'CLOSED', Changes: changes.map(changeOf) } }),
      };
    },

    async DeleteTargetOptions(ctx, input) {
      const { rule, targetId } = await ruleOf(ctx, input);
      await replace(rule, targetId, []);
      return {};
    },
  };
}

function changeOf(c: BreakerRecord): Record<string, unknown> {
  return { At: c.at / 1000, From: c.from, To: c.to, Reason: c.reason };
}
