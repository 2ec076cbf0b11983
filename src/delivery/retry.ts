/**
 * EventBridge's retry policy, as pure functions and tables (../shared/STYLE.md, practice 8).
 *
 * A target's RetryPolicy bounds its retries two ways, as EventBridge documents it: at most
 * MaximumRetryAttempts retries (0-185, default 185) and no retry later than
 * MaximumEventAgeInSeconds (60-86400, default 86400, 24 hours) after the event was accepted.
 * Whichever bound is met first ends the delivery; the dead-letter message then names it in its
 * EXHAUSTED_RETRY_CONDITION attribute, with the retries made in RETRY_ATTEMPTS.
 *
 *   attempt 1 fails at t1 --> retry 1 at t1 + delay(1) --fails--> retry 2 at t2 + delay(2) ...
 *                |                                                     |
 *                +-- not retryable (classifyFailure): dead-letter now  +-- retries made ==
 *                                                                         MaximumRetryAttempts, or
 *                                                                         now >= accepted + age:
 *                                                                         dead-letter (exhausted)
 *
 * The delay before retry n is "full jitter" over [BACKOFF.baseMs, ceiling(n)], where ceiling(n)
 * = min(BACKOFF.capMs, baseMs * 2^(n-1)). Full jitter rather than decorrelated jitter: it depends
 * on the retry number alone, so the dispatcher stores only the attempt count (no previous delay),
 * a restart computes the same bounds, and the bounds are a table docs/retries.md can print. The
 * floor of one base delay keeps a target that fails fast from being retried in a tight loop.
 * With the 15-minute cap the default policy's two limits meet at about the same time (185 retries
 * average about 22 hours), which is how EventBridge describes its default: "24 hours and up to
 * 185 times".
 *
 * A Retry-After from the target moves the retry later, never earlier; a retry that would fall
 * after the event's age limit is not made. A jittered retry past the age limit is clamped to the
 * limit instead, so an event gets one last attempt at its deadline rather than giving up early.
 */

/** A target's RetryPolicy, as PutTargets takes it (both members optional). */
export interface RetryPolicyInput {
  readonly MaximumRetryAttempts?: number | undefined;
  readonly MaximumEventAgeInSeconds?: number | undefined;
}

/** A RetryPolicy with its defaults filled in. */
export interface RetryPolicy {
  readonly MaximumRetryAttempts: number;
  readonly MaximumEventAgeInSeconds: number;
}

/** EventBridge's documented ranges and defaults (API_RetryPolicy, "Event retry policy"). */
export const RETRY_POLICY_LIMITS = {
  MaximumRetryAttempts: { min: 0, max: 185, default: 185 },
  MaximumEventAgeInSeconds: { min: 60, max: 86_400, default: 86_400 },
} as const;

/** The backoff schedule's constants. */
export const BACKOFF = {
  /** The shortest delay, and the ceiling of the first retry. */
  baseMs: 1_000,
  /** Each retry's ceiling is this times the one before... */
  factor: 2,
  /** ...up to this. */
  capMs: 15 * 60 * 1_000,
} as const;

/**
 * The values of the EXHAUSTED_RETRY_CONDITION dead-letter attribute: the name of the RetryPolicy
 * member whose limit ended the retries.
 */
export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

/** What to do after a failed attempt. */
export type RetryDecision =
  | { readonly retry: true; readonly at: number; readonly delayMs: number }
  | {
      readonly retry: false;
      readonly exhausted: ExhaustedRetryCondition;
      /** The retries made (the RETRY_ATTEMPTS attribute): failed attempts minus the first. */
      readonly retryAttempts: number;
    };

/** The policy with EventBridge's defaults for what `input` leaves out. Ranges are PutTargets' job. */
export function resolveRetryPolicy(input?: RetryPolicyInput): RetryPolicy {
  return {
    MaximumRetryAttempts: input?.MaximumRetryAttempts ?? RETRY_POLICY_LIMITS.MaximumRetryAttempts.default,
    MaximumEventAgeInSeconds:
      input?.MaximumEventAgeInSeconds ?? RETRY_POLICY_LIMITS.MaximumEventAgeInSeconds.default,
  };
}

/** The longest delay before retry `retry` (1-based): min(cap, base * factor^(retry-1)). */
export function backoffCeilingMs(retry: number): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be an integer >= 1, got ${retry}`);
  // factor^(retry-1) overflows to Infinity for large retries; min() then gives the cap.
  return Math.min(BACKOFF.capMs, BACKOFF.baseMs * BACKOFF.factor ** (retry - 1));
}

/** The delay before retry `retry`: uniform over [base, ceiling], `random` in [0, 1). */
export function backoffDelayMs(retry: number, random: () => number): number {
  const ceiling = backoffCeilingMs(retry);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(BACKOFF.baseMs + r * (ceiling - BACKOFF.baseMs));
}

/**
 * The decision after failed attempt number `attempt` (1 = the first delivery attempt) made at
 * `now`, for an event accepted at `acceptedAt` (epoch ms; the event's age counts from there).
 * `retryAfterMs`, from the target's Retry-After (parseRetryAfter), is the shortest delay allowed.
 * Attempts are checked before age: when both limits are met, the condition is
 * MaximumRetryAttempts.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attempt: number,
  acceptedAt: number,
  now: number,
  random: () => number,
  retryAfterMs?: number,
): RetryDecision {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  const retryAttempts = attempt - 1;
  if (retryAttempts >= policy.MaximumRetryAttempts) {
    return { retry: false, exhausted: 'MaximumRetryAttempts', retryAttempts };
  }
  const deadline = acceptedAt + policy.MaximumEventAgeInSeconds * 1_000;
  if (now >= deadline) return { retry: false, exhausted: 'MaximumEventAgeInSeconds', retryAttempts };
  const floor = Math.max(0, retryAfterMs ?? 0);
  if (now + floor > deadline) return { retry: false, exhausted: 'MaximumEventAgeInSeconds', retryAttempts };
  const delay = Math.max(backoffDelayMs(attempt, random), floor);
  // deadline >= now + floor, so clamping to it never undercuts Retry-After.
  const at = Math.min(now + delay, deadline);
  return { retry: true, at, delayMs: at - now };
}

/**
 * The delay a Retry-After header asks for, in ms from `now`: delay-seconds ("120") or an
 * HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"; a date in the past is 0). Null when the header is
 * absent or malformed, which means "no constraint".
 */
export function parseRetryAfter(headerValue: string | null | undefined, now: number): number | null {
  if (headerValue === null || headerValue === undefined) return null;
  const value = headerValue.trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) {
    const ms = Number(value) * 1_000;
    return Number.isFinite(ms) ? ms : null;
  }
  // An HTTP-date always names its weekday and month in letters; this keeps Date.parse's
  // leniency (it reads "1" or "2020" as dates) from taking a malformed delay for a date.
  if (!/^[A-Za-z]{3}/.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** One row of the schedule docs/retries.md prints: the bounds of retry `retry`. */
export interface ScheduleRow {
  readonly retry: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** The earliest and latest time of this retry after the first failure, without Retry-After. */
  readonly earliestMs: number;
  readonly latestMs: number;
  /** Its mean time after the first failure (each delay averages (base + ceiling) / 2). */
  readonly meanMs: number;
}

/** The bounds of the first `count` retries (ignoring the event-age limit). */
export function retrySchedule(count: number): ScheduleRow[] {
  const rows: ScheduleRow[] = [];
  let earliest = 0;
  let latest = 0;
  let mean = 0;
  for (let retry = 1; retry <= count; retry++) {
    const maxDelayMs = backoffCeilingMs(retry);
    earliest += BACKOFF.baseMs;
    latest += maxDelayMs;
    mean += (BACKOFF.baseMs + maxDelayMs) / 2;
    rows.push({ retry, minDelayMs: BACKOFF.baseMs, maxDelayMs, earliestMs: earliest, latestMs: latest, meanMs: mean });
  }
  return rows;
}

// --- Which failures are retried ---------------------------------------------------------------

/** How a delivery attempt failed, as the target adapters report it. */
export type DeliveryFailure =
  /** The target answered with a non-2xx status. */
  | { readonly kind: 'http'; readonly status: number; readonly isApiDestination: boolean }
  /** The connection failed: a Node/undici error code such as ECONNREFUSED or UND_ERR_SOCKET. */
  | { readonly kind: 'network'; readonly code: string }
  /** No (complete) answer within the target's timeout. */
  | { readonly kind: 'timeout' }
  /** The target (queue, bus, API destination, connection) does not exist. */
  | { readonly kind: 'target-missing' }
  /** The target refused us by policy: a bus's resource policy, a queue's access. */
  | { readonly kind: 'refused' }
  /** The endpoint's address is refused by SSRF protection (src/delivery/ssrf.ts). */
  | { readonly kind: 'address-refused'; readonly detail: string }
  /** A bus target would forward the event to a bus it (or an event it came from) was on. */
  | { readonly kind: 'loop' };

/**
 * The verdict on a failure. `errorCode` is the ERROR_CODE dead-letter attribute, from the list of
 * codes EventBridge documents; `errorMessage` (ERROR_MESSAGE) is Switchyard's text, as AWS
 * documents no messages.
 */
export interface FailureClass {
  readonly retryable: boolean;
  readonly errorCode: DeadLetterErrorCode;
  readonly errorMessage: string;
}

/** The ERROR_CODE values Switchyard writes; each is in EventBridge's documented list (docs/retries.md). */
export type DeadLetterErrorCode =
  | 'CONNECTION_FAILURE'
  | 'ERROR_FROM_TARGET'
  | 'LOOP_DETECTED'
  | 'NO_PERMISSIONS'
  | 'NO_RESOURCE'
  | 'THROTTLING'
  | 'TIMEOUT';

/** Statuses retried for every HTTP target: throttling and server faults. */
export const RETRYABLE_STATUS = (status: number): boolean => status === 429 || (status >= 500 && status <= 599);
/** Statuses retried for API destinations only (their credentials may be refreshed meanwhile). */
export const API_DESTINATION_RETRYABLE_STATUS: readonly number[] = [401, 407, 409];

/**
 * Network error codes that are NOT retried: the name does not resolve, which EventBridge treats
 * like a missing target ("the target can't be found due to ... DNS lookup failure"). A temporary
 * resolver failure (EAI_AGAIN) and every other connection error are retried.
 */
export const NON_RETRYABLE_NETWORK_CODES: readonly string[] = ['ENOTFOUND'];

/** Whether a failure is retried, and what its dead-letter message says. */
export function classifyFailure(failure: DeliveryFailure): FailureClass {
  switch (failure.kind) {
    case 'http': {
      const { status, isApiDestination } = failure;
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        throw new RangeError(`not an HTTP status: ${status}`);
      }
      if (status >= 200 && status <= 299) throw new RangeError(`status ${status} is not a failure`);
      const retryable =
        RETRYABLE_STATUS(status) || (isApiDestination && API_DESTINATION_RETRYABLE_STATUS.includes(status));
      return {
        retryable,
        errorCode: status === 429 ? 'THROTTLING' : 'ERROR_FROM_TARGET',
        errorMessage: `The target responded with HTTP status ${status}.`,
      };
    }
    case 'network':
      return {
        retryable: !NON_RETRYABLE_NETWORK_CODES.includes(failure.code),
        errorCode: 'CONNECTION_FAILURE',
        errorMessage: `The connection to the target failed (${failure.code}).`,
      };
    case 'timeout':
      return { retryable: true, errorCode: 'TIMEOUT', errorMessage: 'The target did not respond in time.' };
    case 'target-missing':
      return { retryable: false, errorCode: 'NO_RESOURCE', errorMessage: 'The target does not exist.' };
    case 'refused':
      return { retryable: false, errorCode: 'NO_PERMISSIONS', errorMessage: 'The target refused the event by policy.' };
    case 'address-refused':
      return {
        retryable: false,
        errorCode: 'NO_PERMISSIONS',
        errorMessage: `The target's address is not allowed: ${failure.detail}.`,
      };
    case 'loop':
      return {
        retryable: false,
        errorCode: 'LOOP_DETECTED',
        errorMessage: 'The event has already passed through the target event bus.',
      };
  }
}

/**
 * Representative failures, one per row of the classification table in docs/retries.md (the test
 * checks that the table says what classifyFailure computes for each).
 */
export const CLASSIFICATION_EXAMPLES: readonly { readonly label: string; readonly failure: DeliveryFailure }[] = [
  { label: 'HTTP 429', failure: { kind: 'http', status: 429, isApiDestination: false } },
  { label: 'HTTP 500', failure: { kind: 'http', status: 500, isApiDestination: false } },
  { label: 'HTTP 503', failure: { kind: 'http', status: 503, isApiDestination: false } },
  { label: 'HTTP 401, API destination', failure: { kind: 'http', status: 401, isApiDestination: true } },
  { label: 'HTTP 407, API destination', failure: { kind: 'http', status: 407, isApiDestination: true } },
  { label: 'HTTP 409, API destination', failure: { kind: 'http', status: 409, isApiDestination: true } },
  { label: 'HTTP 401, other target', failure: { kind: 'http', status: 401, isApiDestination: false } },
  { label: 'HTTP 400', failure: { kind: 'http', status: 400, isApiDestination: true } },
  { label: 'HTTP 403', failure: { kind: 'http', status: 403, isApiDestination: true } },
  { label: 'HTTP 404', failure: { kind: 'http', status: 404, isApiDestination: true } },
  { label: 'HTTP 408', failure: { kind: 'http', status: 408, isApiDestination: true } },
  { label: 'HTTP 302 (redirects are not followed)', failure: { kind: 'http', status: 302, isApiDestination: true } },
  { label: 'connection refused (ECONNREFUSED)', failure: { kind: 'network', code: 'ECONNREFUSED' } },
  { label: 'connection reset (ECONNRESET)', failure: { kind: 'network', code: 'ECONNRESET' } },
  { label: 'DNS temporary failure (EAI_AGAIN)', failure: { kind: 'network', code: 'EAI_AGAIN' } },
  { label: 'DNS name not found (ENOTFOUND)', failure: { kind: 'network', code: 'ENOTFOUND' } },
  { label: 'timeout', failure: { kind: 'timeout' } },
  { label: 'target does not exist', failure: { kind: 'target-missing' } },
  { label: 'refused by a bus policy', failure: { kind: 'refused' } },
  { label: 'a loop (the target bus was already passed)', failure: { kind: 'loop' } },
  { label: 'address refused (SSRF protection)', failure: { kind: 'address-refused', detail: 'loopback' } },
];
