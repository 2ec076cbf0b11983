/**
 * ARNs of EventBridge resources, built and read in one place.
 *
 *   arn:aws:events:us-east-1:123456789012:event-bus/orders
 *   arn:aws:events:us-east-1:123456789012:rule/orders/big-orders   (rule on a custom bus)
 *   arn:aws:events:us-east-1:123456789012:rule/big-orders          (rule on the default bus)
 */
import type { Scope, TargetKind } from './model.js';

export const DEFAULT_BUS = 'default';

export function busArn(scope: Scope, name: string): string {
  return `arn:aws:events:${scope.region}:${scope.account}:event-bus/${name}`;
}

export function ruleArn(scope: Scope, busName: string, name: string): string {
  const path = busName === DEFAULT_BUS ? name : `${busName}/${name}`;
  return `arn:aws:events:${scope.region}:${scope.account}:rule/${path}`;
}

export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

export function parseArn(arn: string): ParsedArn | null {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

/** The bus named by an EventBusName parameter that may be a name or an event-bus ARN. */
export function busFromNameOrArn(scope: Scope, nameOrArn: string): Scope & { name: string } {
  const arn = nameOrArn.startsWith('arn:') ? parseArn(nameOrArn) : null;
  if (arn !== null && arn.service === 'events' && arn.resource.startsWith('event-bus/')) {
    return { account: arn.account, region: arn.region, name: arn.resource.slice('event-bus/'.length) };
  }
  return { ...scope, name: nameOrArn };
}

/** What kind of target an ARN names: it decides which adapter delivers to it (src/delivery). */
export function targetKind(arn: string): TargetKind {
  const parsed = parseArn(arn);
  if (parsed === null) return 'other';
  if (parsed.service === 'sqs') return 'queue';
  if (parsed.service === 'events' && parsed.resource.startsWith('api-destination/')) return 'api-destination';
  if (parsed.service === 'events' && parsed.resource.startsWith('event-bus/')) return 'bus';
  return 'other';
}
