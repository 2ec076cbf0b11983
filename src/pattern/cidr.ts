/**
 * IP addresses and CIDR blocks.
 *
 * An address becomes its bits as '0'/'1' text (32 for IPv4, 128 for IPv6), so a CIDR block is a
 * plain prefix of that text and the compiled matcher can index CIDR conditions like string
 * prefixes. IPv4-mapped IPv6 addresses (::ffff:a00:1) count as IPv4, as Java (which AWS runs) has
 * it; an IPv6 text with a dotted IPv4 tail is not an address candidate for AWS, nor for us.
 * Error texts are AWS's.
 */
import type { IpPrefix } from './ast.js';
import { PatternError } from './errors.js';

// What AWS treats as an address candidate; anything else is "Nonstandard".
const IPV4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
const IPV6_CHARS = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** The address's bits, or null when `text` is not an IP address. */
export function ipBits(text: string): IpPrefix | null {
  if (text.length > 39 || text.length < 2) return null;
  const v4 = IPV4.exec(text);
  if (v4 !== null) return v4Bits(v4);
  if (!IPV6_CHARS.test(text)) return null;
  return v6Bits(text);
}

/** The 8-bit binary text of every byte value. */
const BYTE_BITS = Array.from({ length: 256 }, (_, n) => n.toString(2).padStart(8, '0'));

function v4Bits(m: RegExpExecArray): IpPrefix | null {
  let bits = '';
  for (let i = 1; i <= 4; i++) {
    const octet = BYTE_BITS[Number(m[i])];
    if (octet === undefined) return null;
    bits += octet;
  }
  return { version: 4, bits };
}

function v6Bits(text: string): IpPrefix | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = hexGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? hexGroups(halves[1] ?? '') : [];
  if (head === null || rest === null) return null;
  const total = head.length + rest.length;
  let groups: number[];
  if (halves.length === 2) {
    if (total > 7) return null;
    groups = [...head, ...new Array<number>(8 - total).fill(0), ...rest];
  } else {
    if (total !== 8) return null;
    groups = head;
  }
  const toBits = (gs: number[]): string => gs.map((g) => g.toString(2).padStart(16, '0')).join('');
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return { version: 4, bits: toBits(groups.slice(6)) };
  }
  return { version: 6, bits: toBits(groups) };
}

function hexGroups(part: string): number[] | null {
  if (part === '') return [];
  const out: number[] = [];
  for (const g of part.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.push(parseInt(g, 16));
  }
  return out;
}

/** Parse a `cidr` pattern value ("10.0.0.0/24"), with AWS's error messages. */
export function parseCidr(text: string): IpPrefix {
  // Java's String.split drops trailing empty strings: "10.0.0.0/" has one part.
  const parts = text.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) throw PatternError.of("Malformed CIDR, one '/' required");
  const [ip, mask] = parts as [string, string];
  if (!/^[+-]?\d+$/.test(mask) || Math.abs(Number(mask)) > 2147483647) {
    throw PatternError.of('Malformed CIDR, mask bits must be an integer');
  }
  const maskBits = Number(mask);
  if (maskBits < 0) throw PatternError.of('Malformed CIDR, mask bits must not be negative');
  const addr = ipBits(ip);
  if (addr === null) {
    const looksLikeIp = IPV4.test(ip) || IPV6_CHARS.test(ip);
    throw PatternError.of(`${looksLikeIp ? 'Invalid' : 'Nonstandard'} IP address: ${ip}`);
  }
  if (addr.version === 4 && maskBits > 31) throw PatternError.of('IPv4 mask bits must be < 32');
  if (addr.version === 6 && maskBits > 127) throw PatternError.of('IPv6 mask bits must be < 128');
  const bits = addr.bits.slice(0, maskBits);
  const hostBitsSet = addr.bits.indexOf('1', maskBits) >= 0;
  return hostBitsSet ? { version: addr.version, bits, from: addr.bits } : { version: addr.version, bits };
}
