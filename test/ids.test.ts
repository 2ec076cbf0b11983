// Event ids: AWS's UUID form, and ordered by time so the store appends.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newEventId, randomHex } from '../src/domain/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

it('are UUIDs (version 7 layout, RFC 4122 variant)', () => {
  for (let i = 0; i < 10_000; i++) assert.match(newEventId(), UUID_V7);
});

it('increase with time, within a millisecond, and when the clock steps back', () => {
  const t = Date.now() + 60_000;
  const ids = [newEventId(t), newEventId(t), newEventId(t), newEventId(t + 1), newEventId(t - 5)];
  for (let i = 1; i < ids.length; i++) {
    // The time-and-sequence part (the first 18 characters) orders them.
    assert.ok((ids[i] as string).slice(0, 18) > (ids[i - 1] as string).slice(0, 18), `${ids[i - 1]} then ${ids[i]}`);
  }
});

it('are unique', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) seen.add(newEventId());
  assert.equal(seen.size, 50_000);
});

it('randomHex: the bytes asked for, as hex, never repeating across pool refills', () => {
  const seen = new Set<string>();
  // 3,000 x 8 bytes is several refills of the 4 KB pool, interleaved with event ids' draws.
  for (let i = 0; i < 3_000; i++) {
    const h = randomHex(8);
    assert.match(h, /^[0-9a-f]{16}$/);
    seen.add(h);
    newEventId();
  }
  assert.equal(seen.size, 3_000);
  assert.match(randomHex(16), /^[0-9a-f]{32}$/);
  assert.throws(() => randomHex(0), RangeError);
  assert.throws(() => randomHex(65), RangeError);
});
