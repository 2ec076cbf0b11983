/**
 * Switchyard's options on a rule target, beyond EventBridge's Target (docs/target-options.md).
 *
 * The AWS SDKs cannot send fields EventBridge does not have, so the options live in the rule's
 * tags, under a documented key scheme that any EventBridge tool (the AWS CLI, CloudFormation,
 * Terraform) can set with TagResource or PutRule's Tags:
 *
 *   switchyard:target:<TargetId>:<option> = <value>
 *
 *   timeout-seconds        HTTP targets (API destinations): the deadline of one attempt,
 *                          connecting, the headers and the body: 1 to 300 s, default 5
 *                          (EventBridge's fixed timeout)
 *   rate-limit-per-second  any target: at most this many attempts per second (0.01 to 100000),
 *                          with rate-limit-burst (1 to 100000, default: the rate, at least 1)
 *                          attempts at once after a quiet spell; excess waits in order
 *   max-concurrency        any target: attempts under way at once (1 to 1000; default 32, and
 *                          1 for built-in queues)
 *   circuit-breaker-failure-percent    any target: the breaker opens when at least this
 *                          percentage (1 to 100) of the attempts in the window failed (with
 *                          a retryable failure) ...
 *   circuit-breaker-minimum-attempts   ... out of at least this many (1 to 100000, default 10) ...
 *   circuit-breaker-window-seconds     ... in the last this many seconds (1 to 86400, default 60);
 *   circuit-breaker-cooldown-seconds   open, it holds deliveries this long (1 to 86400, default
 *                          30), then lets one probe decide (circuit-breaker.ts)
 *   order-by               any target: deliveries of one group one at a time, in acceptance
 *                          order: a JSONPath into the event ($.detail.orderId), or
 *                          MessageGroupId (the target's SqsParameters.MessageGroupId)
 *
 * This module parses and checks such tags (a bad one is refused when it is set, so a typo never
 * goes unnoticed) and keeps the options of every rule in memory for the dispatcher: the API
 * updates it whenever a rule's tags change (src/api/tags.ts, rules.ts).
 */
import type { Tag } from '../domain/model.js';
import { ALL, parsePath, selectPath } from '../transform/json-path.js';
import type { Segment } from '../transform/json-path.js';

export const OPTION_TAG_PREFIX = 'switchyard:';
const TARGET_PREFIX = `${OPTION_TAG_PREFIX}target:`;

/** The options of one target. Absent members take their defaults. */
export interface TargetOptions {
  /** timeout-seconds, in ms. */
  readonly timeoutMs?: number;
  readonly ratePerSecond?: number;
  readonly rateBurst?: number;
  readonly maxConcurrency?: number;
  /** circuit-breaker-failure-percent as a ratio (0, 1]; the breaker is on when it is set. */
  readonly breakerFailureRatio?: number;
  readonly breakerMinimumAttempts?: number;
  readonly breakerWindowMs?: number;
  readonly breakerCooldownMs?: number;
  /** order-by: a JSONPath (parsed) or the target's MessageGroupId. */
  readonly orderBy?: OrderBy;
}

export type OrderBy = { readonly path: string; readonly segments: readonly Segment[] } | 'MessageGroupId';

const NONE: TargetOptions = Object.freeze({});

/** A `switchyard:` tag that does not follow the scheme; the message says why, for a ValidationException. */
export class TargetOptionError extends Error {}

const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;

/** Each option: its tag name and how its value is read (throws TargetOptionError). */
const OPTIONS: Record<string, (value: string, key: string) => TargetOptions> = {
  'timeout-seconds': (value, key) => ({ timeoutMs: 1_000 * integerIn(value, key, 1, 300) }),
  'rate-limit-per-second': (value, key) => ({ ratePerSecond: numberIn(value, key, 0.01, 100_000) }),
  'rate-limit-burst': (value, key) => ({ rateBurst: integerIn(value, key, 1, 100_000) }),
  'max-concurrency': (value, key) => ({ maxConcurrency: integerIn(value, key, 1, 1_000) }),
  'circuit-breaker-failure-percent': (value, key) => ({ breakerFailureRatio: integerIn(value, key, 1, 100) / 100 }),
  'circuit-breaker-minimum-attempts': (value, key) => ({ breakerMinimumAttempts: integerIn(value, key, 1, 100_000) }),
  'circuit-breaker-window-seconds': (value, key) => ({ breakerWindowMs: 1_000 * integerIn(value, key, 1, 86_400) }),
  'circuit-breaker-cooldown-seconds': (value, key) => ({ breakerCooldownMs: 1_000 * integerIn(value, key, 1, 86_400) }),
  'order-by': (value, key) => ({ orderBy: orderByOf(value, key) }),
};

function integerIn(value: string, key: string, min: number, max: number): number {
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new TargetOptionError(`Tag ${key}: the value '${value}' must be a whole number from ${min} to ${max}.`);
  }
  return n;
}

function numberIn(value: string, key: string, min: number, max: number): number {
  const n = /^\d{1,6}(\.\d{1,6})?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new TargetOptionError(`Tag ${key}: the value '${value}' must be a number from ${min} to ${max}.`);
  }
  return n;
}

function orderByOf(value: string, key: string): OrderBy {
  if (value === 'MessageGroupId') return value;
  const segments = value.startsWith('$') ? parsePath(value) : null;
  if (segments === null || segments.includes(ALL)) {
    throw new TargetOptionError(`Tag ${key}: the value '${value}' must be a JSONPath to one value ($.detail.orderId) or MessageGroupId.`);
  }
  return { path: value, segments };
}

/**
 * The group of an event for an ordered target: the value at the order-by path as JSON text
 * ("" when absent: those events form one group), or the target's MessageGroupId.
 */
export function orderGroupOf(orderBy: OrderBy, envelope: string, messageGroupId: string | undefined): string {
  if (orderBy === 'MessageGroupId') return messageGroupId ?? '';
  const value = selectPath(JSON.parse(envelope), orderBy.segments);
  return value === undefined ? '' : JSON.stringify(value);
}

/** The target id and option a tag sets, or null for a tag outside the `switchyard:` scheme. */
function parseKey(key: string): { targetId: string; option: string } | null {
  if (!key.startsWith(OPTION_TAG_PREFIX)) return null;
  const rest = key.startsWith(TARGET_PREFIX) ? key.slice(TARGET_PREFIX.length) : '';
  const colon = rest.lastIndexOf(':');
  const targetId = rest.slice(0, colon);
  const option = rest.slice(colon + 1);
  if (colon < 0 || !TARGET_ID.test(targetId)) {
    throw new TargetOptionError(`Tag ${key}: Switchyard's tag keys are switchyard:target:<TargetId>:<option>.`);
  }
  if (OPTIONS[option] === undefined) {
    throw new TargetOptionError(`Tag ${key}: unknown option '${option}'; the options are ${Object.keys(OPTIONS).join(', ')}.`);
  }
  return { targetId, option };
}

/** Throws TargetOptionError for the first `switchyard:` tag that does not follow the scheme. */
export function checkOptionTags(tags: readonly Tag[]): void {
  targetOptionsOf(tags);
}

/** The options the tags set, by target id (tags outside the scheme are ignored). */
export function targetOptionsOf(tags: readonly Tag[]): Map<string, TargetOptions> {
  const byTarget = new Map<string, TargetOptions>();
  for (const { Key, Value } of tags) {
    const parsed = parseKey(Key);
    if (parsed === null) continue;
    const read = (OPTIONS[parsed.option] as (typeof OPTIONS)[string])(Value, Key);
    byTarget.set(parsed.targetId, { ...(byTarget.get(parsed.targetId) ?? NONE), ...read });
  }
  return byTarget;
}

/** Every rule's target options, in memory (the dispatcher reads them on each attempt). */
export class TargetOptionsRegistry {
  private readonly byRule = new Map<string, Map<string, TargetOptions>>();

  /** The rule's tags are now these (a rule's tags were checked when set; bad ones are skipped). */
  setRuleTags(ruleArn: string, tags: readonly Tag[]): void {
    let options: Map<string, TargetOptions>;
    try {
      options = targetOptionsOf(tags);
    } catch {
      options = targetOptionsOf(tags.filter((t) => isValid(t)));
    }
    if (options.size === 0) this.byRule.delete(ruleArn);
    else this.byRule.set(ruleArn, options);
  }

  deleteRule(ruleArn: string): void {
    this.byRule.delete(ruleArn);
  }

  get(ruleArn: string, targetId: string): TargetOptions {
    return this.byRule.get(ruleArn)?.get(targetId) ?? NONE;
  }

  /** Whether any target is ordered (order-by). */
  anyOrdered(): boolean {
    for (const targets of this.byRule.values()) for (const o of targets.values()) if (o.orderBy !== undefined) return true;
    return false;
  }
}

function isValid(tag: Tag): boolean {
  try {
    targetOptionsOf([tag]);
    return true;
  } catch {
    return false;
  }
}
