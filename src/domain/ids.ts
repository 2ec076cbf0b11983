/**
 * Event ids: UUIDs in AWS's 8-4-4-4-12 form, ordered by time (the UUIDv7 layout: 48 bits of
 * milliseconds, version 7, a 12-bit sequence within the millisecond, then random bits). Ordered
 * ids make the store's inserts append to its indexes instead of scattering across them.
 */
import { randomUUID } from 'node:crypto';

let lastMs = -1;
let sequence = 0;

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
  // randomUUID() is xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep its variant and random tail.
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${seq}-${randomUUID().slice(19)}`;
}
