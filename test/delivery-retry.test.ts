// The retry policy (src/delivery/retry.ts): bounds, exhaustion at the boundaries, Retry-After,
// the classification table, and docs/retries.md printing what the code computes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BACKOFF,
  CLASSIFICATION_EXAMPLES,
  RETRY_POLICY_LIMITS,
  backoffCeilingMs,
  backoffDelayMs,
  classifyFailure,
  nextAttemptAt,
  parseRetryAfter,
  resolveRetryPolicy,
  retrySchedule,
} from '../src/delivery/retry.js';
import type { RetryPolicy, ScheduleRow } from '../src/delivery/retry.js';
import { REPO } from './helpers/server.js';

const T0 = Date.UTC(2026, 0, 1);
const fixed = (r: number) => (): number => r;

const policyArb = fc.record({
  MaximumRetryAttempts: fc.integer({ min: 0, max: 185 }),
  MaximumEventAgeInSeconds: fc.integer({ min: 60, max: 86_400 }),
});
/** [0, 1), as Math.random. */
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('resolveRetryPolicy', () => {
  it("fills in EventBridge's defaults: 185 retries, 24 hours", () => {
    assert.deepEqual(resolveRetryPolicy(), { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 });
    assert.deepEqual(resolveRetryPolicy({ MaximumRetryAttempts: 0 }), { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 86_400 });
    assert.deepEqual(resolveRetryPolicy({ MaximumEventAgeInSeconds: 60 }), { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 60 });
  });

  it('agrees with the ranges of the generated API model', () => {
    assert.deepEqual(RETRY_POLICY_LIMITS.MaximumRetryAttempts, { min: 0, max: 185, default: 185 });
    assert.deepEqual(RETRY_POLICY_LIMITS.MaximumEventAgeInSeconds, { min: 60, max: 86_400, default: 86_400 });
  });
});

describe('backoff', () => {
  it('doubles from one second to a 15-minute cap', () => {
    assert.deepEqual([1, 2, 3, 10, 11, 185].map(backoffCeilingMs), [1_000, 2_000, 4_000, 512_000, 900_000, 900_000]);
    assert.throws(() => backoffCeilingMs(0), RangeError);
    assert.throws(() => backoffCeilingMs(1.5), RangeError);
  });

  it('keeps every delay within [base, ceiling], ceilings monotone and capped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), randomArb, (retry, r) => {
        const d = backoffDelayMs(retry, fixed(r));
        assert.ok(d >= BACKOFF.baseMs && d <= backoffCeilingMs(retry), `${d}`);
        assert.ok(backoffCeilingMs(retry + 1) >= backoffCeilingMs(retry));
        assert.ok(backoffCeilingMs(retry) <= BACKOFF.capMs);
        assert.ok(Number.isInteger(d));
      }),
    );
  });

  it('is monotone in the random draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), randomArb, randomArb, (retry, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        assert.ok(backoffDelayMs(retry, fixed(lo)) <= backoffDelayMs(retry, fixed(hi)));
      }),
    );
  });
});

describe('nextAttemptAt', () => {
  const policy: RetryPolicy = { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3_600 };

  it('schedules retries with jitter, then reports MaximumRetryAttempts with the retries made', () => {
    assert.deepEqual(nextAttemptAt(policy, 1, T0, T0, fixed(0)), { retry: true, at: T0 + 1_000, delayMs: 1_000 });
    assert.deepEqual(nextAttemptAt(policy, 3, T0, T0, fixed(0.5)), { retry: true, at: T0 + 2_500, delayMs: 2_500 });
    assert.deepEqual(nextAttemptAt(policy, 4, T0, T0, fixed(0)), { retry: false, exhausted: 'MaximumRetryAttempts', retryAttempts: 3 });
  });

  it('with MaximumRetryAttempts 0, dead-letters after the first attempt with RETRY_ATTEMPTS 0', () => {
    const none = { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 86_400 };
    assert.deepEqual(nextAttemptAt(none, 1, T0, T0, fixed(0)), { retry: false, exhausted: 'MaximumRetryAttempts', retryAttempts: 0 });
  });

  it('is exact at the age boundary: a failure at the deadline is exhausted, one ms before is not', () => {
    const deadline = T0 + 3_600_000;
    assert.deepEqual(nextAttemptAt(policy, 1, T0, deadline, fixed(0)), { retry: false, exhausted: 'MaximumEventAgeInSeconds', retryAttempts: 0 });
    // One ms before the deadline: the jittered delay is clamped to one last attempt at the deadline.
    assert.deepEqual(nextAttemptAt(policy, 1, T0, deadline - 1, fixed(0.9)), { retry: true, at: deadline, delayMs: 1 });
  });

  it('names MaximumRetryAttempts when both limits are met', () => {
    assert.deepEqual(nextAttemptAt(policy, 4, T0, T0 + 3_600_000, fixed(0)), { retry: false, exhausted: 'MaximumRetryAttempts', retryAttempts: 3 });
  });

  it('honours Retry-After: never earlier, and exhausted when it falls past the event age', () => {
    assert.deepEqual(nextAttemptAt(policy, 1, T0, T0, fixed(0), 30_000), { retry: true, at: T0 + 30_000, delayMs: 30_000 });
    // A Retry-After shorter than the jittered delay changes nothing.
    assert.deepEqual(nextAttemptAt(policy, 2, T0, T0, fixed(1), 10), { retry: true, at: T0 + 2_000, delayMs: 2_000 });
    // Exactly at the deadline is allowed; one ms past it is not.
    assert.deepEqual(nextAttemptAt(policy, 1, T0, T0, fixed(0), 3_600_000), { retry: true, at: T0 + 3_600_000, delayMs: 3_600_000 });
    assert.deepEqual(nextAttemptAt(policy, 1, T0, T0, fixed(0), 3_600_001), { retry: false, exhausted: 'MaximumEventAgeInSeconds', retryAttempts: 0 });
  });

  it('property: a retry is later than now, within the backoff or Retry-After, never past the event age', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 90_000_000 }),
        randomArb,
        fc.option(fc.integer({ min: 0, max: 90_000_000 }), { nil: undefined }),
        (p, attempt, elapsed, r, retryAfter) => {
          const now = T0 + elapsed;
          const deadline = T0 + p.MaximumEventAgeInSeconds * 1_000;
          const d = nextAttemptAt(p, attempt, T0, now, fixed(r), retryAfter);
          if (attempt - 1 >= p.MaximumRetryAttempts) {
            assert.deepEqual(d, { retry: false, exhausted: 'MaximumRetryAttempts', retryAttempts: attempt - 1 });
          } else if (now >= deadline || (retryAfter !== undefined && now + retryAfter > deadline)) {
            assert.deepEqual(d, { retry: false, exhausted: 'MaximumEventAgeInSeconds', retryAttempts: attempt - 1 });
          } else {
            assert.ok(d.retry);
            assert.ok(d.at > now && d.at <= deadline, 'after now, not past the age limit');
            assert.equal(d.delayMs, d.at - now);
            assert.ok(d.delayMs <= Math.max(backoffCeilingMs(attempt), retryAfter ?? 0));
            if (retryAfter !== undefined) assert.ok(d.at >= now + retryAfter, 'never before Retry-After');
            if (d.at < deadline) assert.ok(d.delayMs >= BACKOFF.baseMs);
          }
        },
      ),
    );
  });

  it('property: with the default policy both limits end the retries within about a day', () => {
    fc.assert(
      fc.property(fc.array(randomArb, { minLength: 200, maxLength: 200 }), (draws) => {
        const p = resolveRetryPolicy();
        let now = T0;
        for (let attempt = 1; ; attempt++) {
          const d = nextAttemptAt(p, attempt, T0, now, fixed(draws[attempt % draws.length] ?? 0));
          if (!d.retry) {
            assert.ok(attempt <= 186);
            assert.ok(now <= T0 + 86_400_000);
            return;
          }
          now = d.at;
        }
      }),
      { numRuns: 50 },
    );
  });

  it('refuses an attempt number below 1', () => {
    assert.throws(() => nextAttemptAt(policy, 0, T0, T0, fixed(0)), RangeError);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);

  it('reads delay-seconds and HTTP-dates', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:30:00 GMT', now), 120_000);
    assert.equal(parseRetryAfter('Wednesday, 21-Oct-15 07:30:00 GMT', now), 120_000);
    assert.equal(parseRetryAfter('Wed Oct 21 07:30:00 2015', now) !== null, true);
  });

  it('gives 0 for a date in the past, null for absent or malformed values', () => {
    assert.equal(parseRetryAfter('Tue, 20 Oct 2015 07:28:00 GMT', now), 0);
    for (const bad of [undefined, null, '', '-5', '1.5', '12abc', 'soon', 'Foo, 99 Bar 2015']) {
      assert.equal(parseRetryAfter(bad, now), null, String(bad));
    }
  });

  it('property: delay-seconds round-trip', () => {
    fc.assert(fc.property(fc.nat(10_000_000), (s) => parseRetryAfter(String(s), now) === s * 1_000));
  });

  it('property: an HTTP-date round-trips to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (s) => {
        const header = new Date(now + s * 1_000).toUTCString();
        return parseRetryAfter(header, now) === s * 1_000;
      }),
    );
  });
});

describe('classifyFailure', () => {
  it('retries 429 and 5xx for every target, and 401/407/409 for API destinations only', () => {
    fc.assert(
      fc.property(fc.integer({ min: 300, max: 599 }), fc.boolean(), (status, isApiDestination) => {
        const c = classifyFailure({ kind: 'http', status, isApiDestination });
        const expected = status === 429 || status >= 500 || (isApiDestination && [401, 407, 409].includes(status));
        assert.equal(c.retryable, expected, `${status} ${isApiDestination}`);
        assert.equal(c.errorCode, status === 429 ? 'THROTTLING' : 'ERROR_FROM_TARGET');
      }),
    );
  });

  it('refuses a 2xx or a non-status', () => {
    assert.throws(() => classifyFailure({ kind: 'http', status: 200, isApiDestination: false }), RangeError);
    assert.throws(() => classifyFailure({ kind: 'http', status: 600, isApiDestination: false }), RangeError);
  });

  it('retries connection errors and timeouts, not a missing target, a refusal or a name that does not exist', () => {
    assert.equal(classifyFailure({ kind: 'network', code: 'ECONNREFUSED' }).retryable, true);
    assert.equal(classifyFailure({ kind: 'network', code: 'UND_ERR_SOCKET' }).retryable, true);
    assert.equal(classifyFailure({ kind: 'network', code: 'ENOTFOUND' }).retryable, false);
    assert.equal(classifyFailure({ kind: 'timeout' }).retryable, true);
    assert.equal(classifyFailure({ kind: 'target-missing' }).errorCode, 'NO_RESOURCE');
    assert.equal(classifyFailure({ kind: 'refused' }).retryable, false);
  });
});

// --- docs/retries.md agrees with the code -------------------------------------------------------

const DOC = (): string => readFileSync(join(REPO, 'docs', 'retries.md'), 'utf8');

function duration(ms: number): string {
  const s = ms / 1_000;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const rest = Math.floor(s - m * 60);
  if (m < 60) return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
  const h = Math.floor(m / 60);
  const mm = m - h * 60;
  return mm === 0 && rest === 0 ? `${h} h` : `${h} h ${mm} min${rest === 0 ? '' : ` ${rest} s`}`;
}

/** The schedule table as docs/retries.md prints it. */
function scheduleTable(rows: readonly ScheduleRow[]): string {
  const lines = [
    '| retry | delay | time after the first failure: earliest | on average | latest |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.retry} | ${duration(r.minDelayMs)} to ${duration(r.maxDelayMs)} | ${duration(r.earliestMs)} | ${duration(r.meanMs)} | ${duration(r.latestMs)} |`);
  }
  return lines.join('\n');
}

function classificationTable(): string {
  const lines = ['| failure | retried | ERROR_CODE |', '| --- | --- | --- |'];
  for (const { label, failure } of CLASSIFICATION_EXAMPLES) {
    const c = classifyFailure(failure);
    lines.push(`| ${label} | ${c.retryable ? 'yes' : 'no, straight to the dead-letter queue'} | ${c.errorCode} |`);
  }
  return lines.join('\n');
}

describe('docs/retries.md', () => {
  it('prints the schedule the code computes', () => {
    const schedule = retrySchedule(185);
    const shown = [...schedule.slice(0, 12), schedule[99] as ScheduleRow, schedule[184] as ScheduleRow];
    const table = scheduleTable(shown);
    assert.ok(DOC().includes(table), `docs/retries.md should contain:\n\n${table}\n`);
  });

  it('prints the classification the code computes', () => {
    const table = classificationTable();
    assert.ok(DOC().includes(table), `docs/retries.md should contain:\n\n${table}\n`);
  });

  it('states the backoff constants and defaults the code uses', () => {
    const doc = DOC();
    assert.ok(doc.includes(`base delay ${duration(BACKOFF.baseMs)}`));
    assert.ok(doc.includes(`factor ${BACKOFF.factor}`));
    assert.ok(doc.includes(`cap ${duration(BACKOFF.capMs)}`));
  });
});
