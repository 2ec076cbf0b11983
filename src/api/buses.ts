/**
 * Event buses: CreateEventBus, DescribeEventBus, ListEventBuses, UpdateEventBus, DeleteEventBus.
 *
 * Every account has a bus named "default" in each region, created on first use (AWS has it from
 * the start). Bus names in requests may be names or event-bus ARNs.
 */
import { busArn, busFromNameOrArn, DEFAULT_BUS } from '../domain/arn.js';
import { SwitchyardError } from '../domain/errors.js';
import type { EventBus, Scope, Tag } from '../domain/model.js';
import { policyAllows } from '../domain/policy.js';
import type { Handler, RequestContext } from '../http/server.js';
import type { Input } from './input.js';
import { decodeToken, definedOnly, epochSeconds, optNumber, optObject, optString, page, reqString } from './input.js';
import { EVENTS_MODEL } from './models/events.generated.js';
import { pruneToShape } from './prune.js';
import type { Services } from './services.js';

export const MESSAGES = {
  busNotFound: (name: string) => `Event bus ${name} does not exist.`,
  busExists: (name: string) => `Event bus ${name} already exists.`,
  deleteDefault: 'Cannot delete event bus default.',
  slashInName: "Event bus name must not contain '/'.",
  hasRules: "EventBus can't be deleted since it has rules.",
};

/** Scopes whose default bus is known to exist. */
const defaultsCreated = new WeakMap<Services, Set<string>>();

export async function ensureDefaultBus(s: Services, scope: Scope): Promise<void> {
  let seen = defaultsCreated.get(s);
  if (seen === undefined) defaultsCreated.set(s, (seen = new Set()));
  const key = `${scope.account}/${scope.region}`;
  if (seen.has(key)) return;
  const now = s.now();
  await s.store.insertBus({
    account: scope.account,
    region: scope.region,
    name: DEFAULT_BUS,
    arn: busArn(scope, DEFAULT_BUS),
    createdAt: now,
    modifiedAt: now,
  });
  seen.add(key);
}

/** IAM's refusal of an action on another account's resource. */
export function notAuthorized(account: string, action: string, resource: string): string {
  return `User: arn:aws:iam::${account}:root is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`;
}

/**
 * The bus a request names (default when absent), which must exist. A bus of another account
 * (named by ARN) is usable only when its resource policy grants the caller the operation's
 * action (events:<Operation>); otherwise the caller learns nothing about it, not even whether it
 * exists.
 */
export async function requireBus(s: Services, ctx: RequestContext, nameOrArn: string | undefined): Promise<EventBus> {
  const ref = busFromNameOrArn(ctx.caller, nameOrArn ?? DEFAULT_BUS);
  const own = ref.account === ctx.caller.account;
  if (own) await ensureDefaultBus(s, ref);
  const bus = await s.store.getBus(ref, ref.name);
  if (!own) {
    const action = `events:${ctx.operation}`;
    const arn = busArn(ref, ref.name);
    if (bus === undefined || !policyAllows(bus.policy, ctx.caller.account, action, arn)) {
      throw new SwitchyardError('AccessDeniedException', notAuthorized(ctx.caller.account, action, arn));
    }
  }
  if (bus === undefined) throw new SwitchyardError('ResourceNotFoundException', MESSAGES.busNotFound(ref.name));
  return bus;
}

function describe(bus: EventBus): Record<string, unknown> {
  return definedOnly({
    Name: bus.name,
    Arn: bus.arn,
    Description: bus.description,
    KmsKeyIdentifier: bus.kmsKeyIdentifier,
    DeadLetterConfig: bus.deadLetterConfig,
    Policy: bus.policy,
    CreationTime: epochSeconds(bus.createdAt),
    LastModifiedTime: epochSeconds(bus.modifiedAt),
  });
}

function optionalFields(input: Input): Pick<EventBus, 'description' | 'kmsKeyIdentifier' | 'deadLetterConfig'> {
  const description = optString(input, 'Description');
  const kmsKeyIdentifier = optString(input, 'KmsKeyIdentifier');
  const given = optObject(input, 'DeadLetterConfig');
  const deadLetterConfig =
    given === undefined ? undefined : (pruneToShape(EVENTS_MODEL, 'DeadLetterConfig', given) as EventBus['deadLetterConfig']);
  return {
    ...(description === undefined ? {} : { description }),
    ...(kmsKeyIdentifier === undefined ? {} : { kmsKeyIdentifier }),
    ...(deadLetterConfig === undefined ? {} : { deadLetterConfig }),
  };
}

export function busOperations(s: Services): Record<string, Handler> {
  return {
    async CreateEventBus(ctx, input) {
      const name = reqString(input, 'Name');
      const scope = ctx.caller;
      await ensureDefaultBus(s, scope);
      if (name.includes('/') && optString(input, 'EventSourceName') === undefined) {
        throw new SwitchyardError('ValidationException', MESSAGES.slashInName);
      }
      const now = s.now();
      const bus: EventBus = {
        account: scope.account,
        region: scope.region,
        name,
        arn: busArn(scope, name),
        ...optionalFields(input),
        createdAt: now,
        modifiedAt: now,
      };
      if (!(await s.store.insertBus(bus))) throw new SwitchyardError('ResourceAlreadyExistsException', MESSAGES.busExists(name));
      const tags = (input.Tags as Tag[] | undefined) ?? [];
      if (tags.length > 0) await s.store.putTags(bus.arn, tags);
      return definedOnly({
        EventBusArn: bus.arn,
        Description: bus.description,
        KmsKeyIdentifier: bus.kmsKeyIdentifier,
        DeadLetterConfig: bus.deadLetterConfig,
      });
    },

    async DescribeEventBus(ctx, input) {
      return describe(await requireBus(s, ctx, optString(input, 'Name')));
    },

    async ListEventBuses(ctx, input) {
      await ensureDefaultBus(s, ctx.caller);
      const limit = optNumber(input, 'Limit') ?? 100;
      const after = decodeToken(optString(input, 'NextToken'));
      const prefix = optString(input, 'NamePrefix');
      const found = await s.store.listBuses(ctx.caller, {
        limit: limit + 1,
        ...(after === undefined ? {} : { after }),
        ...(prefix === undefined ? {} : { namePrefix: prefix }),
      });
      const { items, next } = page(found, limit, (b) => b.name);
      return {
        EventBuses: items.map((b) => {
          const { KmsKeyIdentifier: _k, DeadLetterConfig: _d, ...listed } = describe(b);
          return listed;
        }),
        ...(next === undefined ? {} : { NextToken: next }),
      };
    },

    async UpdateEventBus(ctx, input) {
      const bus = await requireBus(s, ctx, optString(input, 'Name'));
      const updated: EventBus = { ...bus, ...optionalFields(input), modifiedAt: s.now() };
      await s.store.updateBus(updated);
      return definedOnly({
        Arn: updated.arn,
        Name: updated.name,
        KmsKeyIdentifier: updated.kmsKeyIdentifier,
        Description: updated.description,
        DeadLetterConfig: updated.deadLetterConfig,
      });
    },

    async DeleteEventBus(ctx, input) {
      const ref = busFromNameOrArn(ctx.caller, reqString(input, 'Name'));
      if (ref.account !== ctx.caller.account) {
        const action = 'events:DeleteEventBus';
        throw new SwitchyardError('AccessDeniedException', notAuthorized(ctx.caller.account, action, busArn(ref, ref.name)));
      }
      if (ref.name === DEFAULT_BUS) throw new SwitchyardError('ValidationException', MESSAGES.deleteDefault);
      if ((await s.store.listRules(ref, ref.name, { limit: 1 })).length > 0) {
        throw new SwitchyardError('ValidationException', MESSAGES.hasRules);
      }
      await s.store.deleteBus(ref, ref.name);
      s.router.deleteBus(ref, ref.name);
      return {};
    },
  };
}
