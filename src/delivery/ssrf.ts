/**
 * SSRF protection for HTTP targets (API destinations and other endpoints Switchyard calls).
 *
 * When Switchyard is bound to a non-loopback address, an endpoint whose host is, or resolves to,
 * a private, loopback, link-local, cloud-metadata, CGNAT or otherwise special address is refused
 * unless allow-listed. The check runs when the endpoint is created and again at every send:
 *
 *   URL --validate--> host --resolve once (injected resolver)--> every address allowed?
 *        (http/https,              |                               no: refused, with the reason
 *         no credentials)          +-- IP literal: no lookup       yes: the first address
 *                                                                       |
 *   pinnedAgent(check) -- connects to THAT address, with the URL's host as SNI and Host header,
 *                         and to no other origin; it follows no redirects (a 3xx is the answer)
 *
 * Resolving once and connecting to the address that was checked closes DNS rebinding: a name
 * that answers a public address to the check and 127.0.0.1 to the connect never reaches
 * 127.0.0.1. A name with several addresses is refused if ANY of them is refused (a mixed answer
 * is the rebinding trick's other form).
 *
 * Addresses with an IPv4 address inside (IPv4-mapped ::ffff:a.b.c.d in any spelling,
 * IPv4-compatible ::a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96, 6to4
 * 2002::/16) are judged by that IPv4 address: NAT64 of a public address is how IPv6-only hosts
 * reach IPv4 sites, so it is allowed, and NAT64 of 10.0.0.1 is not.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';

/** Why an address is special. 'public' addresses are allowed. */
export type AddressCategory =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'link-local'
  | 'metadata'
  | 'unique-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved';

/** How an IPv6 address carries an IPv4 one. */
export type EmbeddingForm = 'ipv4-mapped' | 'ipv4-compatible' | 'ipv4-translated' | 'nat64' | '6to4';

export interface AddressClass {
  /** The category; for an address carrying an IPv4 one, the IPv4 address's. */
  readonly category: AddressCategory;
  /** The special range matched, e.g. '127.0.0.0/8'; absent for public addresses. */
  readonly range?: string;
  /** The IPv4 address inside an IPv6 one, and how it is carried. */
  readonly embedded?: { readonly form: EmbeddingForm; readonly ipv4: string };
}

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpValue {
  readonly version: 4 | 6;
  readonly value: bigint;
}

/** Parse an IPv4 or IPv6 literal (brackets and an IPv6 zone allowed); null when it is not one. */
export function parseIp(text: string): IpValue | null {
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone >= 0) {
    // A zone (fe80::1%eth0) is IPv6's, and names something.
    if (zone === t.length - 1 || isIP(t.slice(0, zone)) !== 6) return null;
    t = t.slice(0, zone);
  }
  const version = isIP(t);
  if (version === 4) return { version: 4, value: v4Value(t) };
  if (version === 6) return { version: 6, value: v6Value(t) };
  return null;
}

function v4Value(t: string): bigint {
  return t.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** The value of an IPv6 text that node:net accepts (so it is well-formed). */
function v6Value(t: string): bigint {
  let text = t.toLowerCase();
  // A dotted IPv4 tail is two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const v4 = v4Value(dotted[1] as string);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const r = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - r.length).fill('0'), ...r];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function v4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
}

interface Range {
  readonly cidr: string;
  readonly version: 4 | 6;
  readonly value: bigint;
  readonly prefix: number;
  readonly category: AddressCategory;
}

/** A CIDR block ("10.0.0.0/8", "fc00::/7") or a single address; null when malformed. */
export function parseCidr(text: string): { version: 4 | 6; value: bigint; prefix: number } | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === null) return null;
  const width = ip.version === 4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > width) return null;
    prefix = Number(p);
  }
  return { version: ip.version, value: ip.value, prefix };
}

function inBlock(ip: IpValue, block: { version: 4 | 6; value: bigint; prefix: number }): boolean {
  if (ip.version !== block.version) return false;
  const shift = BigInt((ip.version === 4 ? 32 : 128) - block.prefix);
  return ip.value >> shift === block.value >> shift;
}

/**
 * The special ranges, most specific first (the first match wins). IPv6 ranges that carry an IPv4
 * address are in EMBEDDINGS, not here.
 */
const SPECIAL: readonly (readonly [string, AddressCategory])[] = [
  // IPv4
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack instance metadata
  ['169.254.170.2/32', 'metadata'], // AWS ECS task metadata
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud metadata
  ['255.255.255.255/32', 'broadcast'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'], // benchmarking
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  // IPv6
  ['fd00:ec2::254/128', 'metadata'], // AWS instance metadata over IPv6
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'], // local-use NAT64 (RFC 8215)
  ['100::/64', 'reserved'], // discard-only
  ['2001::/32', 'reserved'], // Teredo: the IPv4 inside is obfuscated, so refuse outright
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // deprecated site-local
  ['ff00::/8', 'multicast'],
];

const RANGES: readonly Range[] = SPECIAL.map(([cidr, category]) => {
  const block = parseCidr(cidr);
  if (block === null) throw new Error(`bad range ${cidr}`);
  return { cidr, ...block, category };
}).sort((a, b) => b.prefix - a.prefix);

/** IPv6 prefixes whose low 32 bits (or, for 6to4, bits 16-47) are an IPv4 address. */
const EMBEDDINGS: readonly { readonly form: EmbeddingForm; readonly block: NonNullable<ReturnType<typeof parseCidr>>; readonly extract: (v: bigint) => bigint }[] = [
  { form: 'ipv4-mapped', block: parseCidr('::ffff:0:0/96')!, extract: (v) => v & 0xffffffffn },
  { form: 'ipv4-translated', block: parseCidr('::ffff:0:0:0/96')!, extract: (v) => v & 0xffffffffn },
  { form: 'nat64', block: parseCidr('64:ff9b::/96')!, extract: (v) => v & 0xffffffffn },
  { form: '6to4', block: parseCidr('2002::/16')!, extract: (v) => (v >> 80n) & 0xffffffffn },
  // Last: ::/96 also holds :: and ::1, which the special ranges take first.
  { form: 'ipv4-compatible', block: parseCidr('::/96')!, extract: (v) => v & 0xffffffffn },
];

/** The category of an IP address literal; null when `text` is not one. */
export function classifyAddress(text: string): AddressClass | null {
  const ip = parseIp(text);
  return ip === null ? null : classifyIp(ip);
}

function classifyIp(ip: IpValue): AddressClass {
  for (const range of RANGES) {
    if (inBlock(ip, range)) return { category: range.category, range: range.cidr };
  }
  if (ip.version === 6) {
    for (const e of EMBEDDINGS) {
      if (!inBlock(ip, e.block)) continue;
      const ipv4 = e.extract(ip.value);
      const inner = classifyIp({ version: 4, value: ipv4 });
      return { ...inner, embedded: { form: e.form, ipv4: v4Text(ipv4) } };
    }
  }
  return { category: 'public' };
}

// --- Policy -------------------------------------------------------------------------------------

/**
 * Endpoints allowed despite their address: CIDR blocks or single addresses ("10.1.0.0/16",
 * "fd00::5") and host names ("hooks.internal", or "*.internal" for every name under it). An
 * allowed host name is trusted whatever it resolves to; an allowed block admits the addresses in
 * it (an IPv4 block also admits those addresses IPv4-mapped).
 */
export interface AllowList {
  readonly blocks: readonly { readonly version: 4 | 6; readonly value: bigint; readonly prefix: number }[];
  readonly hosts: readonly string[];
  readonly suffixes: readonly string[];
}

/** The allow-list of `entries`; throws a RangeError naming a malformed entry. */
export function allowList(entries: readonly string[]): AllowList {
  const blocks: AllowList['blocks'][number][] = [];
  const hosts: string[] = [];
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/\.$/, '');
    const block = /^[\d.]+(\/\d+)?$|:/.test(entry) ? parseCidr(entry) : null;
    if (block !== null) blocks.push(block);
    else if (/^\*\.[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(entry)) suffixes.push(entry.slice(1));
    else if (/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(entry) && !/^[\d.]+$/.test(entry)) hosts.push(entry);
    else throw new RangeError(`not a CIDR block, address or host name: ${JSON.stringify(raw)}`);
  }
  return { blocks, hosts, suffixes };
}

export interface SsrfPolicy {
  /** False when Switchyard is bound to loopback: every address is allowed (local development). */
  readonly enabled: boolean;
  readonly allow: AllowList;
}

/** Whether `host` (a --host value) is a loopback address or 'localhost'. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return classifyAddress(h)?.category === 'loopback';
}

/** The policy for a server bound to `boundHost`, allowing `allow` (allowList's entries). */
export function ssrfPolicy(boundHost: string, allow: readonly string[] = []): SsrfPolicy {
  return { enabled: !isLoopbackHost(boundHost), allow: allowList(allow) };
}

function hostAllowed(hostname: string, allow: AllowList): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return allow.hosts.includes(h) || allow.suffixes.some((s) => h.endsWith(s));
}

const MAPPED = parseCidr('::ffff:0:0/96')!;

function addressAllowed(ip: IpValue, allow: AllowList): boolean {
  if (allow.blocks.some((b) => inBlock(ip, b))) return true;
  return ip.version === 6 && inBlock(ip, MAPPED) && addressAllowed({ version: 4, value: ip.value & 0xffffffffn }, allow);
}

// --- Checking a URL -------------------------------------------------------------------------------

/** A resolver: every address of a host name (node:dns/promises lookup with all: true). */
export type Resolver = (hostname: string) => Promise<readonly { readonly address: string; readonly family: number }[]>;

/** The system resolver, in the order it answers. */
export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export type RefusalReason =
  | 'invalid-url'
  | 'unsupported-protocol'
  | 'credentials-in-url'
  | 'dns-failure'
  | 'address-refused';

/** Where to connect for a URL: its host's checked address. */
export interface CheckedTarget {
  readonly ok: true;
  readonly url: URL;
  /** The URL's host name without brackets: the TLS server name and Host header. */
  readonly hostname: string;
  readonly port: number;
  /** The address to connect to, and its family. */
  readonly address: string;
  readonly family: 4 | 6;
}

export interface Refusal {
  readonly ok: false;
  readonly reason: RefusalReason;
  readonly message: string;
  /** For 'address-refused': the refused address and its class. */
  readonly address?: string;
  readonly addressClass?: AddressClass;
}

/**
 * Check `url` under `policy`, resolving its host once with `resolve`: the address to connect to,
 * or why not. Call it when the endpoint is created and before every send, and connect with
 * pinnedAgent(result).
 */
export async function checkUrl(url: string, policy: SsrfPolicy, resolve: Resolver = systemResolver): Promise<CheckedTarget | Refusal> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'invalid-url', message: `Not a URL: ${url}` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: 'unsupported-protocol', message: `Only http and https endpoints are allowed, not ${parsed.protocol}` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'credentials-in-url', message: 'The endpoint URL must not contain credentials' };
  }
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port !== '' ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  const literal = parseIp(hostname);
  let addresses: readonly { readonly address: string; readonly family: number }[];
  if (literal !== null) {
    addresses = [{ address: hostname, family: literal.version }];
  } else {
    try {
      addresses = await resolve(hostname);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return { ok: false, reason: 'dns-failure', message: `${hostname} does not resolve${typeof code === 'string' ? ` (${code})` : ''}` };
    }
    if (addresses.length === 0) return { ok: false, reason: 'dns-failure', message: `${hostname} has no addresses` };
  }
  const trusted = !policy.enabled || hostAllowed(hostname, policy.allow);
  for (const { address } of addresses) {
    const ip = parseIp(address);
    if (ip === null) return { ok: false, reason: 'dns-failure', message: `${hostname} resolved to a non-address: ${address}` };
    if (trusted || addressAllowed(ip, policy.allow)) continue;
    const addressClass = classifyIp(ip);
    if (addressClass.category === 'public') continue;
    const via = addressClass.embedded !== undefined ? ` (${addressClass.embedded.form} ${addressClass.embedded.ipv4})` : '';
    return {
      ok: false,
      reason: 'address-refused',
      message: `${hostname} resolves to ${address}, a ${addressClass.category} address${via} in ${addressClass.range ?? ''}; allow-list it to send there`,
      address,
      addressClass,
    };
  }
  const first = addresses[0]!;
  return { ok: true, url: parsed, hostname, port, address: first.address, family: first.family === 6 ? 6 : 4 };
}

// --- Connecting to the checked address ------------------------------------------------------------

/**
 * An undici Agent that connects to `target.address` whatever the request's host resolves to
 * now, with the URL's host name as TLS server name (none for an IP literal, as TLS forbids it)
 * and, since the request URL is unchanged, as the Host header. It refuses to connect to any other
 * origin, so a redirect followed above it (fetch's redirect: 'follow') fails instead of going
 * elsewhere. undici 7 follows redirects only through its redirect interceptor, which this Agent
 * does not have: with undici's request(), a 3xx is the response. Close it when done.
 */
export function pinnedAgent(target: CheckedTarget, options: Omit<Agent.Options, 'connect'> & { readonly connectTimeoutMs?: number } = {}): Agent {
  const { connectTimeoutMs, ...agentOptions } = options;
  const base = buildConnector(connectTimeoutMs === undefined ? {} : { timeout: connectTimeoutMs });
  const expectedHost = target.hostname.toLowerCase();
  const servername = parseIp(target.hostname) === null ? target.hostname : undefined;
  return new Agent({
    ...agentOptions,
    connect: (opts, callback) => {
      const host = opts.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
      const port = opts.port !== '' ? Number(opts.port) : opts.protocol === 'https:' ? 443 : 80;
      if (host !== expectedHost || port !== target.port || opts.protocol !== target.url.protocol) {
        callback(new Error(`Refusing to connect to ${opts.protocol}//${opts.hostname}:${port}: this agent is pinned to ${target.url.origin}`), null);
        return;
      }
      const { servername: _ignored, ...rest } = opts;
      base({ ...rest, hostname: target.address, ...(servername === undefined ? {} : { servername }) }, callback);
    },
  });
}
