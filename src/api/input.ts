/**
 * Reading operation inputs. Inputs have passed model validation (validate.ts) before a handler
 * runs, so member types are right; these helpers only narrow them for TypeScript and apply
 * defaults. Pagination tokens are opaque to clients: base64 of the last name of the page.
 */
import { SwitchyardError } from '../domain/errors.js';

export type Input = Record<string, unknown>;

export function optString(input: Input, name: string): string | undefined {
  const v = input[name];
  return typeof v === 'string' ? v : undefined;
}

export function reqString(input: Input, name: string): string {
  return optString(input, name) ?? '';
}

export function optNumber(input: Input, name: string): number | undefined {
  const v = input[name];
  return typeof v === 'number' ? v : undefined;
}

export function optObject(input: Input, name: string): Input | undefined {
  const v = input[name];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Input) : undefined;
}

export function optArray(input: Input, name: string): unknown[] | undefined {
  const v = input[name];
  return Array.isArray(v) ? v : undefined;
}

/** A response object without its undefined members (AWS leaves absent optional fields out). */
export function definedOnly(members: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(members)) if (v !== undefined) out[k] = v;
  return out;
}

/** Epoch milliseconds as the JSON protocols send timestamps: epoch seconds. */
export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64');
}

export function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new SwitchyardError('ValidationException', 'The NextToken provided is invalid.');
}

/** One page of `items` (fetched with limit + 1) and the NextToken, if there is more. */
export function page<T>(items: T[], limit: number, nameOf: (item: T) => string): { items: T[]; next?: string } {
  if (items.length <= limit) return { items };
  const shown = items.slice(0, limit);
  return { items: shown, next: encodeToken(nameOf(shown[shown.length - 1] as T)) };
}
