/**
 * Event ids: UUIDs in AWS's 8-4-4-4-12 form, ordered by time (the UUIDv7 layout: 48 bits of
 * milliseconds, version 7, a 12-bit sequence within the millisecond, then random bits). Ordered
 * ids make the store's inserts append to its indexes instead of scattering across them.
 */
import { randomFillSync } from 'node:crypto';

let lastMs = -1;
let sequence = 0;

/** Random bytes drawn in bulk (one system call per 512 ids), consumed 8 per id. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** The 16 random hex digits after the version nibble group: the variant and 62 random bits. */
function randomTail(): string {
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hi = pool.readUInt32BE(poolAt);
  const lo = pool.readUInt32BE(poolAt + 4);
  poolAt += 8;
  // Variant 10xx in the top bits of the 4th group.
  const variant = (((hi >>> 16) & 0x3fff) | 0x8000).toString(16);
  const rest = ((hi & 0xffff).toString(16).padStart(4, '0') + lo.toString(16).padStart(8, '0'));
  return `${variant}-${rest}`;
}

export function newEventId(now: number = Date.now()): string {
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs++;
  } else {
    lastMs = now;
    sequence = 0;
  }
  const ms = lastMs.toString(16).padStart(12, '0');
  const seq = sequence.toString(16).padStart(3, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${seq}-${randomTail()}`;
}
