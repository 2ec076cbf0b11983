/**
 * Event buses as targets (docs/bus-targets.md): the adapter that forwards an event from the bus
 * its rule is on to the target bus, for the dispatcher (dispatcher.ts; contract in adapter.ts).
 *
 * As EventBridge documents it, the event arrives on the target bus as a new event: a new id and
 * ingestion time, the rest of the envelope (source, detail-type, account, time, region,
 * resources, detail) as it was, and the target bus's rules match it as usual. Input, InputPath
 * and InputTransformer do not apply: a bus receives the whole event.
 *
 * Refused, and not retried: a bus that does not exist (NO_RESOURCE); a bus of another account
 * whose resource policy does not let the rule's account PutEvents to it (NO_PERMISSIONS); a bus
 * the event, or an event it was forwarded from, has already been on (LOOP_DETECTED, so a cycle of
 * bus targets ends instead of multiplying events forever).
 *
 * The forwarded event, the deliveries it is owed on the target bus and the attempt that forwarded
 * it are committed in one transaction (Store.forwardDeliveries): a forward is made exactly once,
 * even if the process dies between the commit and the dispatcher hearing of it. Forwards made
 * while a commit is under way share the next one (group commit, as PutEvents' events do), so a
 * busy bus target costs an fsync per batch, not per event.
 */
import { busArn, DEFAULT_BUS, parseArn } from '../domain/arn.js';
import type { AcceptedEvent, OwedDelivery, PendingDelivery, StoredEvent } from '../domain/model.js';
import { policyAllows } from '../domain/policy.js';
import type { Router } from '../rules/router.js';
import { GroupCommit } from '../ingest/group-commit.js';
import type { Forward, Store } from '../store/port.js';
import { refusal } from './adapter.js';
import type { AttemptResult, TargetAdapter } from './adapter.js';

export interface BusTargetOptions {
  readonly store: Store;
  readonly router: Router;
  readonly now: () => number;
  readonly newId: () => string;
  /** Told of a forwarded event once it is committed (so its own deliveries start). */
  readonly committed: (batch: readonly AcceptedEvent[]) => void;
}

export class BusAdapter implements TargetAdapter {
  private readonly o: BusTargetOptions;
  private readonly forwards: GroupCommit<Forward>;

  constructor(options: BusTargetOptions) {
    this.o = options;
    this.forwards = new GroupCommit<Forward>(async (batch) => {
      await options.store.forwardDeliveries(batch);
      options.committed(batch.map((f) => f.forwarded));
    });
  }

  async attempt(d: PendingDelivery, _target: unknown, startedAt: number): Promise<AttemptResult | 'recorded'> {
    const { store, router } = this.o;
    const to = parseArn(d.targetArn);
    const rule = parseArn(d.ruleArn);
    if (to === null || rule === null) return refusal({ kind: 'target-missing' }, `Not an event bus ARN: ${d.targetArn}`);
    const name = to.resource.slice('event-bus/'.length);
    const bus = await store.getBus(to, name);
    if (bus === undefined) return refusal({ kind: 'target-missing' }, `Event bus ${name} does not exist.`);

    const via = [...(d.via ?? []), busOfRule(d.ruleArn)];
    if (via.includes(bus.arn)) {
      return refusal({ kind: 'loop' }, `The event has already been on event bus ${bus.arn}.`);
    }
    if (bus.account !== rule.account && !policyAllows(bus.policy, rule.account, 'events:PutEvents', bus.arn)) {
      return refusal(
        { kind: 'refused' },
        `The policy of event bus ${bus.arn} does not allow account ${rule.account} to perform events:PutEvents.`,
      );
    }

    const id = this.o.newId();
    const { detail, ...head } = JSON.parse(d.envelope) as Record<string, unknown>;
    head.id = id;
    const deliveries: OwedDelivery[] = [];
    for (const route of router.route(bus, bus.name, head, JSON.stringify(detail))) {
      for (const t of route.targets) deliveries.push({ eventId: id, ruleArn: route.ruleArn, targetId: t.Id, targetArn: t.Arn });
    }
    const now = this.o.now();
    const event: StoredEvent = {
      id,
      account: bus.account,
      region: bus.region,
      eventBusName: bus.name,
      envelope: withId(d.envelope, d.eventId, id),
      ingestedAt: now,
      via,
      forwardedFrom: { eventId: d.eventId, ruleArn: d.ruleArn, targetId: d.targetId },
      ...(d.traceHeader === undefined ? {} : { traceHeader: d.traceHeader }),
    };
    const forwarded: AcceptedEvent = { event, deliveries };
    await this.forwards.commit([{ delivery: d, forwarded, attempt: { startedAt, latencyMs: Math.max(0, now - startedAt), outcome: 'delivered' } }]);
    return 'recorded';
  }
}

/**
 * The envelope with another id, every other byte as it was. Envelopes are written with the id
 * second (src/api/events.ts envelopeText), so only the head is replaced.
 */
export function withId(envelope: string, oldId: string, newId: string): string {
  const head = `{"version":"0","id":"${oldId}"`;
  if (envelope.startsWith(head)) return `{"version":"0","id":"${newId}"${envelope.slice(head.length)}`;
  // Not written by Switchyard's PutEvents (never expected): rebuild it, member order kept.
  return JSON.stringify({ ...(JSON.parse(envelope) as object), id: newId });
}

/**
 * The ARN of the bus a rule is on: rule/<name> is on the default bus, rule/<bus>/<name> on <bus>
 * (rule names cannot hold '/').
 */
export function busOfRule(ruleArn: string): string {
  const parsed = parseArn(ruleArn);
  if (parsed === null) throw new RangeError(`not a rule ARN: ${ruleArn}`);
  const path = parsed.resource.slice('rule/'.length);
  const slash = path.lastIndexOf('/');
  return busArn(parsed, slash < 0 ? DEFAULT_BUS : path.slice(0, slash));
}
