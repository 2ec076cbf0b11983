/**
 * PutEvents and TestEventPattern.
 *
 * PutEvents, per entry: validate as AWS does (per-entry errors do not fail the request), build the
 * envelope AWS delivers, find the bus (name or ARN; another account's bus only when its policy
 * allows), and ask the router which (rule, target) deliveries the event is owed. Then every
 * accepted entry, with its owed deliveries, is committed durably through group commit, and only
 * then do the entries get their EventIds in the 200 response. An entry for a bus of the caller's
 * that does not exist is accepted and dropped, as AWS does, and counted (never silently).
 */
import { busArn, busFromNameOrArn, DEFAULT_BUS } from '../domain/arn.js';
import { SwitchyardError } from '../domain/errors.js';
import type { AcceptedEvent, EventBus, OwedDelivery, StoredEvent } from '../domain/model.js';
import { policyAllows } from '../domain/policy.js';
import type { Handler, RequestContext } from '../http/server.js';
import { EventSyntaxError, testEventPattern } from '../pattern/index.js';
import { ensureDefaultBus, notAuthorized } from './buses.js';
import type { Input } from './input.js';
import { reqString } from './input.js';
import type { Services } from './services.js';

/** Most bytes of all entries of one PutEvents request, counted as AWS counts (entrySize). */
export const MAX_PUT_EVENTS_BYTES = 1024 * 1024;
export const DROPPED_NO_BUS = 'events-dropped-no-bus';

export const MESSAGES = {
  tooLarge: 'Total size of the entries in the request is over the limit.',
  badTime: 'Parameter Time is not valid. Reason: Time is out of range.',
  required: (name: string) => `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
  malformedDetail: 'Detail is malformed.',
  reservedSource: 'Not authorized for the source.',
};

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** AWS's entry size: 14 bytes for a Time, plus the UTF-8 bytes of Source, DetailType, Detail and each Resource. */
export function entrySize(entry: Input): number {
  let size = entry.Time === undefined ? 0 : 14;
  for (const name of ['Source', 'DetailType', 'Detail']) {
    const v = entry[name];
    if (typeof v === 'string') size += Buffer.byteLength(v, 'utf8');
  }
  for (const r of (entry.Resources as unknown[] | undefined) ?? []) {
    if (typeof r === 'string') size += Buffer.byteLength(r, 'utf8');
  }
  return size;
}

let lastSecond = Number.NaN;
let lastSecondText = '';

/** RFC 3339 at second precision, as AWS writes the envelope's time (the last one is reused). */
function envelopeTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastSecondText;
}

/** Latest and earliest times a JavaScript Date holds, in milliseconds. */
const MAX_TIME_MS = 8.64e15;

/**
 * The entry's Time in milliseconds (the JSON protocol sends epoch seconds; an RFC 3339 text is
 * accepted too), `now` when absent, or null when it names no representable time.
 */
function entryTime(v: unknown, now: number): number | null {
  if (v === undefined || v === null) return now;
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS ? ms : null;
}

export function eventOperations(s: Services): Record<string, Handler> {
  /** The bus an entry goes to; null when the caller's own bus does not exist (drop). */
  const busFor = async (ctx: RequestContext, nameOrArn: string | undefined): Promise<EventBus | null> => {
    const ref = busFromNameOrArn(ctx.caller, nameOrArn ?? DEFAULT_BUS);
    if (ref.account === ctx.caller.account) await ensureDefaultBus(s, ref);
    const bus = (await s.store.getBus(ref, ref.name)) ?? null;
    if (ref.account !== ctx.caller.account) {
      const arn = bus?.arn ?? busArn(ref, ref.name);
      if (bus === null || !policyAllows(bus.policy, ctx.caller.account, 'events:PutEvents', arn)) {
        throw new SwitchyardError('AccessDeniedException', notAuthorized(ctx.caller.account, 'events:PutEvents', arn));
      }
    }
    return bus;
  };

  return {
    async PutEvents(ctx, input) {
      const entries = input.Entries as Input[];
      if (entries.reduce((n, e) => n + entrySize(e), 0) > MAX_PUT_EVENTS_BYTES) {
        throw new SwitchyardError('ValidationException', MESSAGES.tooLarge);
      }
      const now = s.now();
      const results: EntryResult[] = [];
      const accepted: AcceptedEvent[] = [];
      /** Buses looked up in this request, by EventBusName. */
      const buses = new Map<string | undefined, EventBus | null>();
      let dropped = 0;
      for (const entry of entries) {
        const problem = entryProblem(entry);
        if (problem !== null) {
          results.push(problem);
          continue;
        }
        const busName = entry.EventBusName as string | undefined;
        let bus = buses.get(busName);
        if (bus === undefined) buses.set(busName, (bus = await busFor(ctx, busName)));
        const time = entryTime(entry.Time, now);
        if (time === null) {
          results.push({ ErrorCode: 'InvalidArgument', ErrorMessage: MESSAGES.badTime });
          continue;
        }
        const id = s.newId();
        const head = envelopeHead(entry, id, ctx.caller.account, bus?.region ?? ctx.caller.region, time);
        const detail = entry.Detail as string;
        let routes;
        try {
          // On a bus that does not exist the event is dropped, but its Detail is still checked.
          routes = bus === null ? s.router.check(head, detail) : s.router.route(bus, bus.name, head, detail);
        } catch (err) {
          if (!(err instanceof EventSyntaxError)) throw err;
          results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: MESSAGES.malformedDetail });
          continue;
        }
        results.push({ EventId: id });
        if (bus === null) {
          dropped++;
          continue;
        }
        const envelope = envelopeText(head, detail);
        const deliveries: OwedDelivery[] = [];
        for (const route of routes) {
          for (const t of route.targets) {
            deliveries.push({ eventId: id, ruleArn: route.ruleArn, targetId: t.Id, targetArn: t.Arn });
          }
        }
        const event: StoredEvent = { id, account: bus.account, region: bus.region, eventBusName: bus.name, envelope, ingestedAt: now };
        if (entry.TraceHeader !== undefined) (event as { traceHeader?: string }).traceHeader = entry.TraceHeader as string;
        accepted.push({ event, deliveries });
      }
      if (accepted.length > 0) await s.commit.commit(accepted);
      if (dropped > 0) await s.store.addToCounter(ctx.caller, DROPPED_NO_BUS, dropped);
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },

    async TestEventPattern(_ctx, input) {
      const max = s.options.maxPatternLength;
      return { Result: testEventPattern(reqString(input, 'Event'), reqString(input, 'EventPattern'), { maxLength: max }) };
    },
  };
}

function entryProblem(entry: Input): EntryResult | null {
  for (const name of ['Source', 'DetailType', 'Detail']) {
    if (typeof entry[name] !== 'string' || entry[name] === '') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: MESSAGES.required(name) };
    }
  }
  if ((entry.Source as string).startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: MESSAGES.reservedSource };
  }
  return null;
}

/** The envelope's members before `detail`, in AWS's order. */
function envelopeHead(entry: Input, id: string, account: string, region: string, timeMs: number): Record<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': entry.DetailType,
    source: entry.Source,
    account,
    time: envelopeTime(timeMs),
    region,
    resources: (entry.Resources as string[] | undefined) ?? [],
  };
}

/** The event as targets receive it: the head's members, then the Detail as sent. */
function envelopeText(head: Record<string, unknown>, detail: string): string {
  const q = JSON.stringify;
  return (
    `{"version":"0","id":"${head.id as string}","detail-type":${q(head['detail-type'])},"source":${q(head.source)},` +
    `"account":"${head.account as string}","time":"${head.time as string}","region":${q(head.region)},` +
    `"resources":${q(head.resources)},"detail":${detail.trim()}}`
  );
}
