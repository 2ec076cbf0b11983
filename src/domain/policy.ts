/**
 * Event-bus resource policies: building the statements PutPermission adds, and deciding whether a
 * policy lets another account act on the bus (PutEvents, or managing rules on it).
 *
 * A statement allows account A an action (e.g. events:PutEvents) on bus B when its Effect is
 * Allow, its Action covers the action ("events:PutEvents", "events:*" or "*"), its Principal covers A ("*",
 * {"AWS": "*"}, {"AWS": "A"} or {"AWS": "arn:aws:iam::A:root"}, or a list of these), its
 * Resource (if any) covers B's ARN, and it has no Condition we cannot check. Switchyard has no
 * AWS Organizations, so an aws:PrincipalOrgID condition is never satisfied (docs: operations).
 * An explicit Deny for A wins over any Allow.
 */

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: unknown;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: unknown;
}

export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly Statement[];
}

/** Parse a policy document; throws SyntaxError unless it is an object whose statements are objects. */
export function parsePolicy(text: string | undefined): PolicyDocument {
  if (text === undefined) return { Version: '2012-10-17', Statement: [] };
  const doc: unknown = JSON.parse(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new SyntaxError('a policy is a JSON object');
  const { Version, Statement } = doc as { Version?: unknown; Statement?: unknown };
  const statements = Statement === undefined ? [] : Array.isArray(Statement) ? Statement : [Statement];
  if (!statements.every((st) => st !== null && typeof st === 'object' && !Array.isArray(st))) {
    throw new SyntaxError('policy statements are JSON objects');
  }
  return { Version: typeof Version === 'string' ? Version : '2012-10-17', Statement: statements as Statement[] };
}

function list<T>(v: T | readonly T[] | undefined): readonly T[] {
  return v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

function wildcardEquals(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

function principalCovers(principal: unknown, account: string): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  return list((principal as { AWS?: string | string[] }).AWS).some(
    (p) => p === '*' || p === account || p === `arn:aws:iam::${account}:root`,
  );
}

function covers(st: Statement, account: string, action: string, resource: string): boolean {
  return (
    principalCovers(st.Principal, account) &&
    // Action names are case-insensitive in IAM ("SQS:SendMessage" grants sqs:SendMessage).
    list(st.Action).some((a) => wildcardEquals(a.toLowerCase(), action.toLowerCase())) &&
    (st.Resource === undefined || list(st.Resource).some((r) => wildcardEquals(r, resource)))
  );
}

/** Does the bus's policy let `account` perform `action` (e.g. 'events:PutEvents') on `resource`? */
export function policyAllows(policyText: string | undefined, account: string, action: string, resource: string): boolean {
  const policy = parsePolicy(policyText);
  const applicable = policy.Statement.filter((st) => covers(st, account, action, resource));
  if (applicable.some((st) => st.Effect === 'Deny')) return false;
  return applicable.some((st) => st.Effect === 'Allow' && st.Condition === undefined);
}
