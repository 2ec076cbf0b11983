/**
 * Event ids: UUIDs in AWS's 8-4-4-4-12 form, ordered by time (the UUIDv7 layout: 48 bits of
 * milliseconds, version 7, a 12-bit sequence within the millisecond, then random bits). Ordered
 * ids make the store's inserts append to its indexes instead of scattering across them.
 */
import { randomFillSync } from 'node:crypto';

let lastMs = -1;
let sequence = 0;

/** Random bytes drawn in bulk (one system call per 512 ids), consumed 8 per id (randomHex: as asked). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** Two hex digits for every byte value. */
const HEX = Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0'));

function hex(byte: number): string {
  return HEX[byte] as string;
}

/** The offset of `n` (at most 64) fresh random bytes in `pool`. */
function draw(n: number): number {
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += n;
  return poolAt - n;
}

/**
 * `bytes` random bytes (at most 64) as lower-case hex, from the pool: for ids drawn on every
 * request (trace parent ids), where crypto.randomBytes would make a system call each time.
 */
export function randomHex(bytes: number): string {
  if (!(Number.isInteger(bytes) && bytes > 0 && bytes <= 64)) throw new RangeError(`randomHex: 1 to 64 bytes, not ${bytes}`);
  const a = draw(bytes);
  let out = '';
  for (let k = 0; k < bytes; k++) out += hex(pool[a + k] as number);
  return out;
}

/** The last two groups: the variant (10xx) and 62 random bits, as 4 + 12 hex digits. */
function randomTail(): string {
  const p = pool;
  const a = draw(8);
  return (
    `${hex(((p[a] as number) & 0x3f) | 0x80)}${hex(p[a + 1] as number)}-` +
    `${hex(p[a + 2] as number)}${hex(p[a + 3] as number)}${hex(p[a + 4] as number)}` +
    `${hex(p[a + 5] as number)}${hex(p[a + 6] as number)}${hex(p[a + 7] as number)}`
  );
}

/** The groups before the sequence for `lastMs` (e.g. "01a21c75-4bd0-7"), built once per millisecond. */
let msPrefix = '';

export function newEventId(now: number = Date.now()): string {
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) msPrefix = '';
    if (sequence === 0) lastMs++;
  } else {
    lastMs = now;
    sequence = 0;
    msPrefix = '';
  }
  if (msPrefix === '') {
    const ms = lastMs.toString(16).padStart(12, '0');
    msPrefix = `${ms.slice(0, 8)}-${ms.slice(8)}-7`;
  }
  return `${msPrefix}${(sequence >>> 8).toString(16)}${hex(sequence & 0xff)}-${randomTail()}`;
}
