/**
 * Switchyard's own API, beside AWS's: what EventBridge lacks (docs/dropped-deliveries.md). Same
 * wire as EventBridge: AWS JSON 1.1, `X-Amz-Target: Switchyard.<Operation>`, SigV4 with the
 * signing name `events` (so the same credentials and loopback rule apply), and errors in AWS's
 * shape from the catalogue (src/domain/errors.ts).
 *
 *   ListDroppedDeliveries     {RuleArn?, TargetId?, Limit? (1-100, 100), NextToken?}
 *                             -> {DroppedDeliveries: [{EventId, RuleArn, TargetId, TargetArn,
 *                                 Attempts, LastError?, DroppedAt? (epoch seconds)}], NextToken?}
 *   CountDroppedDeliveries    {RuleArn?, TargetId?} -> {Count}
 *   RedriveDroppedDeliveries  {Entries: [{EventId, RuleArn, TargetId}] (1-100)}
 *                             or {All: true, RuleArn?, TargetId?}
 *                             -> {RedrivenCount, FailedEntryCount, FailedEntries: [{EventId,
 *                                 RuleArn, TargetId, ErrorCode, ErrorMessage}]}
 *
 * Everything is in the caller's scope: the account and region of the bus the event was put on.
 */
import { SwitchyardError } from '../domain/errors.js';
import type { DroppedFilter, Scope } from '../domain/model.js';
import type { Handler, JsonService } from '../http/server.js';
import type { Store } from '../store/port.js';
import { decodeToken, encodeToken } from './input.js';
import type { Input } from './input.js';

export const SWITCHYARD_TARGET_PREFIX = 'Switchyard';

export interface SwitchyardApiDeps {
  readonly store: Store;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Deliveries were set back to pending: a hint for the dispatcher to look for due work. */
  readonly redriven: () => void;
}

export const RULE_ARN = /^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:rule\/[.\-_A-Za-z0-9/]+$/;
export const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
export const EVENT_ID = /^[\x21-\x7e]{1,128}$/;
const MAX_LIMIT = 100;
const MAX_ENTRIES = 100;

export function invalid(message: string): SwitchyardError {
  return new SwitchyardError('ValidationException', message);
}

/** A member that must be a string matching `shape` when present; `what` words the constraint. */
export function optMatching(input: Input, name: string, shape: RegExp, what: string, at = name): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${at} must be a string.`);
  if (!shape.test(v)) throw invalid(`Value '${v}' at '${at}' failed to satisfy constraint: ${what}`);
  return v;
}

export function reqMatching(input: Input, name: string, shape: RegExp, what: string, at = name): string {
  const v = optMatching(input, name, shape, what, at);
  if (v === undefined) throw invalid(`${at} is required.`);
  return v;
}

export const RULE_WHAT = 'Member must be a rule ARN (arn:aws:events:<region>:<account>:rule/[<bus>/]<name>)';
export const TARGET_WHAT = 'Member must have length between 1 and 64 and match [.\\-_A-Za-z0-9]+';
export const EVENT_WHAT = 'Member must have length between 1 and 128 printable ASCII characters';

function filterOf(input: Input): DroppedFilter {
  const ruleArn = optMatching(input, 'RuleArn', RULE_ARN, RULE_WHAT);
  const targetId = optMatching(input, 'TargetId', TARGET_ID, TARGET_WHAT);
  return { ...(ruleArn === undefined ? {} : { ruleArn }), ...(targetId === undefined ? {} : { targetId }) };
}

function limitOf(input: Input): number {
  const v = input.Limit;
  if (v === undefined || v === null) return MAX_LIMIT;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIMIT) {
    throw invalid(`Value '${String(v)}' at 'Limit' failed to satisfy constraint: Member must be an integer between 1 and ${MAX_LIMIT}`);
  }
  return v;
}

/** The NextToken's store key (`<event>:<destination>`), or undefined on the first page. */
function afterOf(input: Input): string | undefined {
  const token = input.NextToken;
  if (token === undefined || token === null) return undefined;
  if (typeof token !== 'string') throw invalid('The NextToken provided is invalid.');
  const after = decodeToken(token);
  if (after === undefined || !/^\d{1,15}:\d{1,15}$/.test(after)) throw invalid('The NextToken provided is invalid.');
  return after;
}

export function scopeOf(caller: Scope): Scope {
  return { account: caller.account, region: caller.region };
}

const FAILURES = {
  'not-found': {
    code: 'NotFound',
    message: (e: Chosen) => `No delivery of event ${e.eventId} to target ${e.targetId} of rule ${e.ruleArn} exists in this account and region.`,
  },
  'not-dropped': {
    code: 'NotDropped',
    message: (e: Chosen) => `The delivery of event ${e.eventId} to target ${e.targetId} of rule ${e.ruleArn} is not dropped.`,
  },
} as const;

interface Chosen {
  readonly eventId: string;
  readonly ruleArn: string;
  readonly targetId: string;
}

function entriesOf(input: Input): Chosen[] {
  const entries = input.Entries;
  if (!Array.isArray(entries)) throw invalid('Entries must be a list.');
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    throw invalid(`Entries must have between 1 and ${MAX_ENTRIES} members; to redrive more, use All with a filter.`);
  }
  return entries.map((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(`Entries.${i + 1} must be an object.`);
    const e = entry as Input;
    return {
      eventId: reqMatching(e, 'EventId', EVENT_ID, EVENT_WHAT, `Entries.${i + 1}.EventId`),
      ruleArn: reqMatching(e, 'RuleArn', RULE_ARN, RULE_WHAT, `Entries.${i + 1}.RuleArn`),
      targetId: reqMatching(e, 'TargetId', TARGET_ID, TARGET_WHAT, `Entries.${i + 1}.TargetId`),
    };
  });
}

/**
 * The service, with the dropped-delivery operations of this module and the `families` of
 * operations other modules define (each a map from operation name to handler, built in
 * src/server.ts): the helpers above are exported for them.
 */
export function switchyardService(deps: SwitchyardApiDeps, ...families: Record<string, Handler>[]): JsonService {
  const { store } = deps;
  const handlers: Record<string, Handler> = {
    async ListDroppedDeliveries(ctx, input) {
      const filter = filterOf(input);
      const limit = limitOf(input);
      const after = afterOf(input);
      const found = await store.listDroppedDeliveries(scopeOf(ctx.caller), {
        ...filter,
        ...(after === undefined ? {} : { after }),
        limit: limit + 1,
      });
      const shown = found.slice(0, limit);
      const last = shown[shown.length - 1];
      return {
        DroppedDeliveries: shown.map((d) => ({
          EventId: d.eventId,
          RuleArn: d.ruleArn,
          TargetId: d.targetId,
          TargetArn: d.targetArn,
          Attempts: d.attempts,
          ...(d.lastError === undefined ? {} : { LastError: d.lastError }),
          ...(d.droppedAt === undefined ? {} : { DroppedAt: d.droppedAt / 1000 }),
        })),
        ...(found.length > limit && last !== undefined ? { NextToken: encodeToken(last.key) } : {}),
      };
    },

    async CountDroppedDeliveries(ctx, input) {
      return { Count: await store.countDroppedDeliveries(scopeOf(ctx.caller), filterOf(input)) };
    },

    async RedriveDroppedDeliveries(ctx, input) {
      const all = input.All;
      if (all !== undefined && all !== null && typeof all !== 'boolean') throw invalid('All must be a boolean.');
      const hasEntries = input.Entries !== undefined && input.Entries !== null;
      if (all === true && hasEntries) throw invalid('Give either Entries or All, not both.');
      if (all !== true && !hasEntries) throw invalid('Give Entries (the deliveries to redrive) or All: true (every dropped delivery matching RuleArn and TargetId).');
      const scope = scopeOf(ctx.caller);
      if (all === true) {
        const n = await store.redriveDropped(scope, filterOf(input), deps.now());
        if (n > 0) deps.redriven();
        return { RedrivenCount: n, FailedEntryCount: 0, FailedEntries: [] };
      }
      if (input.RuleArn !== undefined || input.TargetId !== undefined) {
        throw invalid('RuleArn and TargetId filter a redrive of All; with Entries, give them in each entry.');
      }
      const chosen = entriesOf(input);
      const outcomes = await store.redriveDeliveries(scope, chosen, deps.now());
      const failed = chosen.flatMap((c, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined || outcome === 'redriven') return [];
        const f = FAILURES[outcome];
        return [{ EventId: c.eventId, RuleArn: c.ruleArn, TargetId: c.targetId, ErrorCode: f.code, ErrorMessage: f.message(c) }];
      });
      const n = chosen.length - failed.length;
      if (n > 0) deps.redriven();
      return { RedrivenCount: n, FailedEntryCount: failed.length, FailedEntries: failed };
    },
  };
  return {
    targetPrefix: SWITCHYARD_TARGET_PREFIX,
    signingName: 'events',
    contentType: 'application/x-amz-json-1.1',
    operations: new Map([...Object.entries(handlers), ...families.flatMap((f) => Object.entries(f))]),
  };
}
