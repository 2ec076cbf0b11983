/**
 * Queue names, URLs and ARNs, built and read in one place.
 *
 *   name  orders            orders.fifo (a FIFO queue's name ends in .fifo)
 *   URL   http://127.0.0.1:4010/123456789012/orders      (SPEC.md: http://HOST:PORT/<account>/<name>)
 *   ARN   arn:aws:sqs:us-east-1:123456789012:orders
 *
 * A QueueUrl is read by its path alone (any host), as clients may reach the server by several
 * names; its region is the caller's.
 */
import { parseArn } from '../domain/arn.js';
import type { Scope } from '../domain/model.js';

export const FIFO_SUFFIX = '.fifo';
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function isFifoName(name: string): boolean {
  return name.endsWith(FIFO_SUFFIX);
}

/** Whether `name` is a valid queue name of its kind (the .fifo suffix counts toward the 80). */
export function isValidQueueName(name: string): boolean {
  if (name.length > 80) return false;
  return NAME.test(isFifoName(name) ? name.slice(0, -FIFO_SUFFIX.length) : name);
}

export function queueArn(scope: Scope, name: string): string {
  return `arn:aws:sqs:${scope.region}:${scope.account}:${name}`;
}

export function queueUrl(base: string, scope: Scope, name: string): string {
  return `${base}/${scope.account}/${name}`;
}

/** The queue an ARN names, or null when it is not an SQS queue ARN. */
export function queueFromArn(arn: string): (Scope & { name: string }) | null {
  const parsed = parseArn(arn);
  if (parsed === null || parsed.service !== 'sqs' || !/^\d{12}$/.test(parsed.account) || parsed.resource === '') return null;
  return { account: parsed.account, region: parsed.region, name: parsed.resource };
}

/** The account and name in a QueueUrl's path (`/<account>/<name>`), or null. */
export function queueFromUrl(url: string): { account: string; name: string } | null {
  let path: string;
  try {
    path = url.includes('://') ? new URL(url).pathname : url;
  } catch {
    return null;
  }
  const m = /^\/(\d{12})\/([^/]+)\/?$/.exec(path);
  if (m === null) return null;
  try {
    return { account: m[1] as string, name: decodeURIComponent(m[2] as string) };
  } catch {
    // A malformed %-escape names no queue.
    return null;
  }
}
