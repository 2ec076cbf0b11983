// The ingest benchmark's workload: the PutEvents request bodies the load generator sends and the
// 100 rules created on each server before the load starts. Everything is derived from a seed, so
// the load generator (a child process) and the runner (which predicts how many deliveries the
// store must hold) build the same bodies independently.
//
// Events: 8 sources of a made-up shop, 3 detail types each, and a Detail object of 260 to 340
// bytes (ids, a status, a customer with tier/country/email, an amount, a currency, 1 to 3 line
// items, an IP address, sometimes a `flags` object, and a filler note to reach the size).
//
// Rules: 100 patterns of assorted kinds (exact, prefix, suffix, anything-but, numeric ranges,
// exists, equals-ignore-case, wildcard, cidr, $or, several fields at once, nested array members),
// with values drawn partly from what the events contain and partly from what they never contain,
// so some rules match often, some rarely and some never. Every rule has one target.

/** A small, fast, seeded PRNG (mulberry32): numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

function int(random: Random, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

export const DEFAULT_SEED = 20_260_101;
export const ENTRIES_PER_REQUEST = 10;

const SOURCES = ['orders', 'payments', 'inventory', 'shipping', 'users', 'reviews', 'search', 'notifications'].map(
  (s) => `com.shop.${s}`,
);
const DETAIL_TYPES: Record<string, readonly string[]> = {
  'com.shop.orders': ['OrderPlaced', 'OrderCancelled', 'OrderUpdated'],
  'com.shop.payments': ['PaymentCaptured', 'PaymentFailed', 'RefundIssued'],
  'com.shop.inventory': ['StockLow', 'StockReplenished', 'ItemReserved'],
  'com.shop.shipping': ['ParcelShipped', 'ParcelDelivered', 'ParcelLost'],
  'com.shop.users': ['UserSignedUp', 'UserDeleted', 'ProfileChanged'],
  'com.shop.reviews': ['ReviewPosted', 'ReviewFlagged', 'ReviewRemoved'],
  'com.shop.search': ['QueryRun', 'NoResults', 'ResultClicked'],
  'com.shop.notifications': ['EmailSent', 'SmsSent', 'PushSent'],
};
const STATUSES = ['created', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const TIERS = ['gold', 'silver', 'bronze', 'platinum'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'NL'];
const TLDS = ['com', 'de', 'fr', 'co.uk', 'jp', 'io'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'];
const WORDS = ['alpha', 'bravo', 'delta', 'echo', 'kilo', 'lima', 'oscar', 'papa', 'romeo', 'tango', 'victor', 'zulu'];

export interface BenchEntry {
  readonly Source: string;
  readonly DetailType: string;
  /** A JSON object of 260 to 340 bytes. */
  readonly Detail: string;
}

function hex(random: Random, digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += '0123456789abcdef'[Math.floor(random() * 16)];
  return s;
}

function ip(random: Random): string {
  const r = random();
  if (r < 0.5) return `10.${int(random, 0, 255)}.${int(random, 0, 255)}.${int(random, 1, 254)}`;
  if (r < 0.8) return `192.168.${int(random, 0, 255)}.${int(random, 1, 254)}`;
  return `203.0.113.${int(random, 1, 254)}`;
}

function makeEntry(random: Random): BenchEntry {
  const source = pick(random, SOURCES);
  const detailType = pick(random, DETAIL_TYPES[source] as readonly string[]);
  const target = int(random, 260, 340);
  const detail: Record<string, unknown> = {
    id: `ord-${hex(random, 8)}`,
    status: pick(random, STATUSES),
    customer: {
      id: `c-${int(random, 1, 99_999)}`,
      tier: pick(random, TIERS),
      country: pick(random, COUNTRIES),
      email: `user${int(random, 1, 9_999)}@example.${pick(random, TLDS)}`,
    },
    amount: Math.round(random() * 200_000) / 100,
    currency: pick(random, CURRENCIES),
    items: Array.from({ length: int(random, 1, 3) }, () => ({ sku: `SKU-${int(random, 100, 999)}`, qty: int(random, 1, 5) })),
    ip: ip(random),
  };
  if (random() < 0.4) detail.flags = { express: random() < 0.5, gift: random() < 0.3 };
  let note = '';
  const without = JSON.stringify({ ...detail, note: '' }).length;
  while (without + note.length < target) note += `${note === '' ? '' : ' '}${pick(random, WORDS)}`;
  detail.note = note.slice(0, Math.max(0, target - without));
  return { Source: source, DetailType: detailType, Detail: JSON.stringify(detail) };
}

export interface Workload {
  /** Request bodies: `{"Entries":[...10 entries...]}` as UTF-8. */
  readonly bodies: readonly Buffer[];
  /** The entries of each body, in order. */
  readonly entries: readonly (readonly BenchEntry[])[];
}

/** `count` distinct PutEvents bodies of ENTRIES_PER_REQUEST entries each. */
export function makeWorkload(seed: number, count: number): Workload {
  const random = prng(seed);
  const entries: BenchEntry[][] = [];
  for (let i = 0; i < count; i++) entries.push(Array.from({ length: ENTRIES_PER_REQUEST }, () => makeEntry(random)));
  return { entries, bodies: entries.map((e) => Buffer.from(JSON.stringify({ Entries: e }), 'utf8')) };
}

export interface BenchRule {
  readonly name: string;
  readonly kind: string;
  readonly pattern: string;
}

type RuleMaker = (random: Random) => unknown;

// Each kind draws some values the events never contain (e.g. 'com.shop.legacy', 'EE', 'diamond').
// The broad kinds (a fifth of the events or more) also name a source, so that an event matches
// about 3 of the 100 rules on average (the runner prints the exact figure).
const NO_SOURCES = ['com.shop.legacy', 'com.shop.audit', 'com.shop.crm', 'com.shop.ledger'];
const RULE_KINDS: readonly [string, RuleMaker][] = [
  ['exact-source', (r) => ({ source: [pick(r, [...SOURCES, ...NO_SOURCES])] })],
  [
    'source+detail-type',
    (r) => {
      const source = pick(r, SOURCES);
      return { source: [source], 'detail-type': [pick(r, [...(DETAIL_TYPES[source] as string[]), 'Unknown'])] };
    },
  ],
  ['prefix', (r) => ({ source: [pick(r, SOURCES)], detail: { id: [{ prefix: `ord-${hex(r, 1)}` }] } })],
  ['suffix', (r) => ({ source: [pick(r, SOURCES)], detail: { customer: { email: [{ suffix: `.${pick(r, [...TLDS, 'ee'])}` }] } } })],
  [
    'anything-but',
    (r) => ({ source: [pick(r, SOURCES)], detail: { status: [{ 'anything-but': [pick(r, STATUSES), pick(r, STATUSES)] }] } }),
  ],
  [
    'numeric-range',
    (r) => {
      const lo = int(r, 0, 1_990);
      return { detail: { amount: [{ numeric: ['>=', lo, '<', lo + int(r, 10, 100)] }] } };
    },
  ],
  ['exists', (r) => ({ source: [pick(r, SOURCES)], detail: { flags: { express: [{ exists: r() < 0.7 }] } } })],
  [
    'equals-ignore-case',
    (r) => ({
      source: [pick(r, SOURCES)],
      detail: { customer: { tier: [{ 'equals-ignore-case': pick(r, [...TIERS, 'diamond']).toUpperCase() }] } },
    }),
  ],
  [
    'wildcard',
    (r) => ({ source: [pick(r, SOURCES)], detail: { customer: { email: [{ wildcard: `user${int(r, 1, 9)}*@example.*` }] } } }),
  ],
  [
    'cidr',
    (r) => ({
      source: [pick(r, SOURCES)],
      detail: { ip: [{ cidr: pick(r, ['10.0.0.0/8', '10.128.0.0/9', '192.168.0.0/16', '172.16.0.0/12']) }] },
    }),
  ],
  [
    '$or',
    (r) => ({
      source: [pick(r, SOURCES)],
      $or: [{ detail: { currency: [pick(r, CURRENCIES)] } }, { detail: { amount: [{ numeric: ['<', int(r, 1, 50)] }] } }],
    }),
  ],
  [
    'multi-field',
    (r) => ({
      source: [pick(r, SOURCES)],
      detail: { customer: { tier: [pick(r, TIERS)], country: [pick(r, [...COUNTRIES, 'EE'])] } },
    }),
  ],
  ['array-member', (r) => ({ detail: { items: { sku: [`SKU-${int(r, 100, 999)}`, `SKU-${int(r, 100, 999)}`] } } })],
];

/** `count` rules, the kinds in turn, each pattern's values drawn from `seed`. */
export function makeRules(seed: number, count: number): BenchRule[] {
  const random = prng(seed ^ 0x5eed);
  const rules: BenchRule[] = [];
  for (let i = 0; i < count; i++) {
    const [kind, make] = RULE_KINDS[i % RULE_KINDS.length] as [string, RuleMaker];
    rules.push({ name: `bench-${String(i).padStart(3, '0')}-${kind.replace(/[^a-z0-9-]/g, '')}`, kind, pattern: JSON.stringify(make(random)) });
  }
  return rules;
}
