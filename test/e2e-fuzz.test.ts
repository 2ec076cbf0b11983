// End to end, robustness: bad input never crashes the server, never gets a 5xx or a dropped
// connection, and the server keeps serving.
//
// One real server process (test/helpers/server.ts) is driven over plain fetch with fast-check
// inputs in three categories, each property run per operation so a failure names its operation:
//
//   1. random JSON bodies: objects whose keys mix the operation's real member names (taken from
//      the AWS model the server validates against) with random ones, and values of every JSON
//      type: wrong types, arrays where objects are expected, numbers where strings are, huge
//      strings (up to ~100 KB), deep nesting, unicode (lone surrogates too), odd number literals;
//   2. structurally valid inputs with random field values: names from a small pool (so resources
//      exist and collide) or random, random ARNs, event patterns built from the pattern language
//      (valid and invalid), Detail texts (valid and invalid JSON), schedules, tokens, limits;
//   3. raw non-JSON bodies, odd content types, X-Amz-Target values, Authorization headers,
//      methods and paths, chunked bodies, and one oversized body.
//
// Property, for every request: the status is 200 or 4xx; a 4xx carries a request id and either
// a JSON body with a string __type (the JSON error of the AWS JSON protocol) or, for a request
// that is not an API call of the JSON protocol, the XML body the server documents; a 200 has a
// JSON object body; the server logged no "request failed"; and GET /health still answers 200.
// At the end the process must still be alive, with no "request failed" in its stderr, and stop
// gracefully.
//
// The server keeps state between requests (that is the point: later requests meet what earlier
// ones created), so a shrunk counterexample may rely on earlier requests; each failure message
// therefore also quotes the server's own log line with the stack of the fault.
//
// Reproduce: a failure prints the seed. FUZZ_SEED=<n> replays it (default: a fixed seed, so a
// run is repeatable), FUZZ_RUNS=<factor> multiplies the number of runs for a longer search.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import fc from 'fast-check';

import { eventBridgeService } from '../src/api/eventbridge.js';
import { EVENTS_MODEL } from '../src/api/models/events.generated.js';
import type { Services } from '../src/api/services.js';
import { stopAndCheck } from './helpers/aws.js';
import { startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const SEED = process.env['FUZZ_SEED'] === undefined ? 0x5eedf022 : Number(process.env['FUZZ_SEED']);
const RUN_FACTOR = process.env['FUZZ_RUNS'] === undefined ? 1 : Number(process.env['FUZZ_RUNS']);
const ACCOUNT = '000000000000';
const OTHER_ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const JSON_TYPE = 'application/x-amz-json-1.1';
/** SQS answers on AWS JSON 1.0. */
const SQS_JSON_TYPE = 'application/x-amz-json-1.0';

/** The JSON content type the server answers a request with: by the service its target names. */
function answerType(req: Req): string {
  const target = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1] ?? '';
  return target.trim().startsWith('AmazonSQS.') ? SQS_JSON_TYPE : JSON_TYPE;
}
const REQUEST_TIMEOUT_MS = 20_000;

const OPERATIONS = [
  'CreateEventBus',
  'DescribeEventBus',
  'ListEventBuses',
  'UpdateEventBus',
  'DeleteEventBus',
  'PutRule',
  'DescribeRule',
  'ListRules',
  'EnableRule',
  'DisableRule',
  'DeleteRule',
  'ListRuleNamesByTarget',
  'PutTargets',
  'RemoveTargets',
  'ListTargetsByRule',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
  'PutPermission',
  'RemovePermission',
  'PutEvents',
  'TestEventPattern',
  'CreateConnection',
  'DescribeConnection',
  'ListConnections',
  'UpdateConnection',
  'DeleteConnection',
  'DeauthorizeConnection',
  'CreateApiDestination',
  'DescribeApiDestination',
  'ListApiDestinations',
  'UpdateApiDestination',
  'DeleteApiDestination',
] as const;
type Operation = (typeof OPERATIONS)[number];

// ---------------------------------------------------------------------------------------------
// Requests and the property every answer must satisfy
// ---------------------------------------------------------------------------------------------

interface Req {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A string, raw bytes, or bytes sent as a chunked stream of the given pieces. */
  readonly body?: string | Uint8Array | { readonly chunks: readonly Uint8Array[] };
}

function apiRequest(op: string, body: string | Uint8Array): Req {
  return { method: 'POST', path: '/', headers: { 'content-type': JSON_TYPE, 'x-amz-target': `AWSEvents.${op}` }, body };
}

let server!: ServerProcess;
let requestsSent = 0;
/** Answers by operation: "200" or the error's __type, counted (shown at the end, to see what the inputs reached). */
const answers = new Map<string, Map<string, number>>();

function tally(req: Req, outcome: string): void {
  const op = req.headers['x-amz-target'] ?? `(${req.method} ${req.path})`;
  const key = /^AWSEvents\.\w+$/.test(op) ? op.slice('AWSEvents.'.length) : '(other)';
  const counts = answers.get(key) ?? new Map<string, number>();
  answers.set(key, counts);
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
}

function failedLines(): string[] {
  return server
    .stderr()
    .split('\n')
    .filter((line) => line.includes('"request failed"'));
}

function shown(req: Req): string {
  const { body } = req;
  let text: string;
  if (body === undefined) text = '(none)';
  else if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = `bytes ${Buffer.from(body).toString('hex')}`;
  else text = `chunks ${body.chunks.map((c) => JSON.stringify(Buffer.from(c).toString('utf8'))).join(' + ')}`;
  const cut = text.length > 1500 ? `${text.slice(0, 1500)}... (${text.length} chars)` : text;
  return `${req.method} ${req.path} ${JSON.stringify(req.headers)} body: ${cut}`;
}

function fetchBody(body: Req['body']): { body?: NonNullable<RequestInit['body']>; duplex?: 'half' } {
  if (body === undefined) return {};
  if (typeof body === 'string' || body instanceof Uint8Array) return { body };
  const chunks = [...body.chunks];
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
  return { body: stream, duplex: 'half' };
}

const XML_ANSWERS = [/^<UnknownOperationException\/>\n$/, /^<AccessDeniedException>\n {2}<Message>[^<]*<\/Message>\n<\/AccessDeniedException>\n$/];

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`the body is not JSON${where}`);
  }
}

function serverState(): string {
  const { exitCode, signalCode } = server.process;
  const alive = exitCode === null && signalCode === null ? 'alive' : `exited (code ${exitCode}, signal ${signalCode})`;
  return `server ${alive}; end of its stderr:\n${server.stderr().slice(-1500)}`;
}

/** Send `req` and check the answer, and that /health still answers 200; the answer's status. */
async function exchange(req: Req): Promise<number> {
  const failedBefore = failedLines().length;
  let status: number;
  let headers: Headers;
  let text: string;
  requestsSent++;
  try {
    const init: RequestInit & { duplex?: 'half' } = {
      method: req.method,
      headers: req.headers,
      ...fetchBody(req.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    };
    // Joined as text: new URL('//x', base) would read the path as a host.
    const res = await fetch(`${new URL(server.url).origin}${req.path}`, init);
    status = res.status;
    headers = res.headers;
    text = await res.text();
  } catch (e) {
    const cause = (e as Error).cause === undefined ? '' : ` (${String((e as Error).cause)})`;
    assert.fail(`no answer (dropped connection or timeout): ${String(e)}${cause}\nrequest: ${shown(req)}\n${serverState()}`);
  }
  const where = `\nrequest: ${shown(req)}\nanswer: ${status} ${text.slice(0, 500)}`;
  // /health first: it is the property too, and by its answer the server's log of this request
  // (written to a pipe, not the socket) has most likely arrived.
  await assertHealthy(`after a request answered ${status}${where}`);
  const failed = failedLines().slice(failedBefore);
  assert.ok(status === 200 || (status >= 400 && status < 500), `status ${status}${where}\nserver log: ${failed.join('\n')}`);
  assert.deepEqual(failed, [], `the server logged a failed request${where}`);
  const isHealth = req.method === 'GET' && (req.path === '/health' || req.path.startsWith('/health?'));
  if (status !== 200) assert.ok((headers.get('x-amzn-requestid') ?? '') !== '', `a 4xx has a request id${where}`);
  if (req.method === 'HEAD') return status;
  if (status === 200) {
    tally(req, '200');
    const body = parseJson(text, where);
    assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `a 200 body is a JSON object${where}`);
    if (!isHealth) assert.equal(headers.get('content-type'), answerType(req), `content type of a 200${where}`);
  } else if (headers.get('content-type') === 'application/xml') {
    assert.ok(XML_ANSWERS.some((re) => re.test(text)), `a 4xx XML body is one the server documents${where}`);
  } else {
    assert.equal(headers.get('content-type'), answerType(req), `content type of a 4xx${where}`);
    const error = parseJson(text, where) as { __type?: unknown; message?: unknown } | null;
    assert.equal(typeof error?.__type, 'string', `a 4xx body has a string __type${where}`);
    assert.ok(error?.message === undefined || typeof error.message === 'string', `message is a string${where}`);
    assert.equal(headers.get('x-amzn-errortype'), error?.__type, `x-amzn-errortype names the error${where}`);
    tally(req, String(error?.__type));
  }
  return status;
}

async function assertHealthy(when: string): Promise<void> {
  let status: number;
  let text: string;
  try {
    const res = await fetch(new URL('/health', server.url), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    status = res.status;
    text = await res.text();
  } catch (e) {
    assert.fail(`/health did not answer ${when}: ${String(e)}\n${serverState()}`);
  }
  assert.equal(status, 200, `/health answered ${status} ${text} ${when}`);
  assert.deepEqual(JSON.parse(text), { status: 'ok' }, `/health body ${when}`);
}

/** Check the property for `runs` requests from `arb`; a failure names the seed that replays it. */
async function fuzz(label: string, arb: fc.Arbitrary<Req>, runs: number): Promise<void> {
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (req) => {
        await exchange(req);
      }),
      { seed: SEED, numRuns: Math.max(1, Math.round(runs * RUN_FACTOR)), includeErrorInReport: true },
    );
  } catch (e) {
    throw new Error(`${label}: the property failed; replay with FUZZ_SEED=${SEED}\n${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON documents with raw fragments, duplicate keys and keys such as __proto__
// ---------------------------------------------------------------------------------------------

/** JSON text inserted as is: number literals JSON.stringify cannot write, very deep nesting. */
class Raw {
  constructor(readonly text: string) {}
}

/** A JSON object as its entries, in order (duplicates and any key allowed). */
class Obj {
  constructor(readonly entries: readonly (readonly [string, Doc])[]) {}
}

type Doc = null | boolean | number | string | Raw | Obj | readonly Doc[];

function toJson(d: Doc): string {
  if (d instanceof Raw) return d.text;
  if (d instanceof Obj) return `{${d.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  if (Array.isArray(d)) return `[${(d as readonly Doc[]).map(toJson).join(',')}]`;
  return JSON.stringify(d) ?? 'null';
}

/** A value of the wrong kind, now and then in place of a well-formed one (a null in a list, too). */
const wrongKind = fc.constantFrom<Doc>(null, [], [null], new Obj([]), 0, '', true);
function sometimesWrong(arb: fc.Arbitrary<Doc>): fc.Arbitrary<Doc> {
  return fc.oneof({ weight: 30, arbitrary: arb }, { weight: 1, arbitrary: wrongKind });
}

/**
 * An object of the fields in `spec`: the `required` ones always, the others half of the time
 * (`rare` ones a sixth of the time), each now and then of a wrong kind.
 */
function obj(spec: Record<string, fc.Arbitrary<Doc>>, required: readonly string[] = [], rare: readonly string[] = []): fc.Arbitrary<Obj> {
  const fields = Object.entries(spec).map(([key, arb]) => {
    const field = sometimesWrong(arb).map((v): readonly [string, Doc] | null => [key, v]);
    if (required.includes(key)) return field;
    const absent = fc.constant(null);
    return fc.oneof({ withCrossShrink: true }, { weight: rare.includes(key) ? 5 : 1, arbitrary: absent }, { weight: 1, arbitrary: field });
  });
  return fc.tuple(...fields).map((es) => new Obj(es.filter((e): e is readonly [string, Doc] => e !== null)));
}

const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.constantFrom('x', 'é', '😀', '\u0000', '"', '\\', 'a b', '\ud800'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

const deepNesting = fc
  .tuple(fc.integer({ min: 2, max: 30_000 }), fc.constantFrom('[', '{'))
  .map(([depth, kind]) => new Raw(kind === '[' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

const oddNumberLiteral = fc
  .constantFrom('1e400', '-1e400', '-0', '1E+2', '0.0000000000000000000000001', '123456789012345678901234567890', '1.5e-400', '100.0')
  .map((t) => new Raw(t));

const nastyString = fc.constantFrom(
  '',
  ' ',
  'default',
  'null',
  '{}',
  '[]',
  '{',
  '"',
  '\\',
  '\u0000',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  '\u202e',
  '<x>',
  '$',
  '$.detail',
  '*',
  '__proto__',
  'constructor',
  'aws.events',
  '-0',
  '1e400',
  'true',
  '\n',
  '../..',
  'AAAA',
  '====',
);

const BUSES = ['default', 'fuzz-bus', 'fuzz.bus_2', 'gone'] as const;
const RULES = ['r0', 'r1', 'r2', 'fuzz-rule'] as const;
const poolName = fc.constantFrom<string>(...BUSES, ...RULES);

const name = fc.oneof(
  { weight: 6, arbitrary: poolName },
  { weight: 2, arbitrary: fc.stringMatching(/^[.\-_A-Za-z0-9]{1,64}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 60, maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '/', 'a/b', 'aws.partner/x/y', '.', '..', 'default/', 'x'.repeat(257)) },
);

const arnResource = fc.oneof(
  fc
    .tuple(fc.constantFrom('event-bus/', 'rule/', 'rule/fuzz-bus/', 'rule/default/', '', 'queue/'), fc.constantFrom('', 'q.fifo', 'a/b/c', ...BUSES, ...RULES))
    .map(([kind, rest]) => kind + rest),
  fc.string({ maxLength: 20 }),
);

const arn = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom('events', 'sqs', 'lambda', 'kinesis', 'sns', 'states', 'ecs', '', 'x'),
        fc.constantFrom(REGION, 'eu-west-1', '', 'x'),
        fc.constantFrom(ACCOUNT, OTHER_ACCOUNT, '', '12'),
        arnResource,
      )
      .map(([service, region, account, resource]) => `arn:aws:${service}:${region}:${account}:${resource}`),
  },
  { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 8 }), { maxLength: 8 }).map((parts) => ['arn', ...parts].join(':')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('arn', 'arn:', ':::::', 'arn:aws:events:::', `arn:aws:events:${REGION}:${ACCOUNT}:rule//`),
  },
);

const busRef = fc.oneof(
  { weight: 3, arbitrary: name },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(ACCOUNT, OTHER_ACCOUNT), fc.constantFrom(REGION, 'eu-west-1'), fc.constantFrom<string>(...BUSES, 'a/b', ''))
      .map(([account, region, bus]) => `arn:aws:events:${region}:${account}:event-bus/${bus}`),
  },
);

const anyString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: nastyString },
  { weight: 2, arbitrary: name },
  { weight: 1, arbitrary: arn },
  { weight: 1, arbitrary: hugeString },
);

const anyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 1.5, 100, 101, 1e20, -1e20, 2 ** 53, 8.64e12, Number.MAX_VALUE, Number.MIN_VALUE),
);

const leaf: fc.Arbitrary<Doc> = fc.oneof(
  { weight: 4, arbitrary: anyString },
  { weight: 2, arbitrary: anyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: oddNumberLiteral },
);

function randomDoc(keys: fc.Arbitrary<string>): fc.Arbitrary<Doc> {
  return fc.letrec<{ doc: Doc }>((tie) => ({
    doc: fc.oneof(
      { maxDepth: 4, withCrossShrink: true },
      { weight: 5, arbitrary: leaf },
      { weight: 2, arbitrary: fc.array(tie('doc'), { maxLength: 4 }) },
      { weight: 2, arbitrary: fc.array(fc.tuple(keys, tie('doc')), { maxLength: 5 }).map((e) => new Obj(e)) },
      { weight: 1, arbitrary: deepNesting },
    ),
  })).doc;
}

// ---------------------------------------------------------------------------------------------
// Category 1: random JSON bodies, keyed with the operation's member names
// ---------------------------------------------------------------------------------------------

type Shape = (typeof EVENTS_MODEL.shapes)[string];

function shape(name: string): Shape {
  const s = EVENTS_MODEL.shapes[name];
  if (s === undefined) throw new Error(`no shape ${name}`);
  return s;
}

/** Member names of the operation's input: its own, and all reachable from it. */
function memberNames(op: Operation): { top: string[]; all: string[] } {
  const input = EVENTS_MODEL.operations[op]?.input;
  if (input === undefined) throw new Error(`no input shape for ${op}`);
  const top = (shape(input).members ?? []).map((m) => m.jsonName ?? m.name);
  const all = new Set<string>();
  const seen = new Set<string>();
  const visit = (shapeName: string): void => {
    if (seen.has(shapeName)) return;
    seen.add(shapeName);
    const s = shape(shapeName);
    for (const m of s.members ?? []) {
      all.add(m.jsonName ?? m.name);
      visit(m.shape);
    }
    for (const child of [s.member, s.key, s.value]) if (child !== undefined) visit(child);
  };
  visit(input);
  return { top, all: [...all] };
}

function randomBody(op: Operation): fc.Arbitrary<string> {
  const { top, all } = memberNames(op);
  const keys = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...top) },
    { weight: 2, arbitrary: fc.constantFrom(...all) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '__type', '') },
  );
  const doc = randomDoc(keys);
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(fc.tuple(keys, doc), { maxLength: 8 }).map((e) => toJson(new Obj(e))) },
    { weight: 1, arbitrary: doc.map(toJson) },
  );
}

// ---------------------------------------------------------------------------------------------
// Category 2: structurally valid inputs with random field values
//
// Each field is mostly a value the server accepts (names from the pools, so resources exist and
// collide; valid patterns, events and ARNs), and now and then an odd one, so that a good share
// of the requests get past validation into the handlers, the store and the router.
// ---------------------------------------------------------------------------------------------

/** Mostly `good`, now and then `odd`. */
function mostly<T>(good: fc.Arbitrary<T>, odd: fc.Arbitrary<T>, ratio = 4): fc.Arbitrary<T> {
  return fc.oneof({ weight: ratio, arbitrary: good }, { weight: 1, arbitrary: odd });
}

/** Mutate a text: cut it somewhere and splice in a few random characters. */
function mutated(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(text, fc.nat(), fc.string({ maxLength: 3 })).map(([t, at, insert]) => {
    const k = at % (t.length + 1);
    return t.slice(0, k) + insert + t.slice(k + (at % 3));
  });
}

const shortText = fc.string({ maxLength: 20 });
const text = mostly(shortText, anyString);
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:q`;
const validArn = fc.constantFrom(
  QUEUE,
  `arn:aws:sqs:${REGION}:${ACCOUNT}:q.fifo`,
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f`,
  `arn:aws:iam::${ACCOUNT}:role/r`,
  `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
  `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fuzz-bus`,
  `arn:aws:events:${REGION}:${ACCOUNT}:rule/r0`,
  `arn:aws:events:${REGION}:${ACCOUNT}:rule/fuzz-bus/r1`,
);
const someArn = mostly(validArn, arn, 2);
const eventsArn = mostly(
  fc.constantFrom(
    `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
    `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fuzz-bus`,
    `arn:aws:events:${REGION}:${ACCOUNT}:rule/r0`,
    `arn:aws:events:${REGION}:${ACCOUNT}:rule/fuzz-bus/r1`,
    `arn:aws:events:${REGION}:${ACCOUNT}:rule/default/r0`,
  ),
  arn,
  2,
);
const validBus = fc.constantFrom('default', 'fuzz-bus', 'fuzz.bus_2', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fuzz-bus`);
const someBus = mostly(validBus, busRef);
const ruleName = mostly(fc.constantFrom<string>(...RULES), name);
const limit: fc.Arbitrary<Doc> = mostly(
  fc.integer({ min: 1, max: 100 }),
  fc.oneof(fc.integer({ min: -2, max: 102 }), fc.constantFrom(1.5, 0.5, 99.9, 100.5, -0, 1e20), oddNumberLiteral),
);
const nextToken: fc.Arbitrary<Doc> = fc.oneof(
  fc.oneof(fc.string(), poolName, fc.integer(), fc.constant(null)).map((after) => Buffer.from(JSON.stringify({ after })).toString('base64')),
  fc.string({ maxLength: 30 }).map((s) => Buffer.from(s).toString('base64')),
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', '!!', 'bnVsbA==', 'W10=', 'eyJhZnRlciI6e319'),
);

// Event patterns: valid ones from every part of the language, and invalid ones.

const word = fc.oneof(fc.constantFrom('a', 's', 'd', 'fuzz', 'A', 'é', '10.0.0.1', ''), fc.string({ maxLength: 6 }));
const wildcardWord = fc.oneof(fc.constantFrom('a*', '*b', 'a*b*c', '*', 's*', '\\*a', 'a\\\\*'), fc.string({ maxLength: 6 }));
const smallNumber = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(0.5, 1e9, -1e9, 5e9));
const validLeaf: fc.Arbitrary<Doc> = fc.oneof({ weight: 4, arbitrary: word }, { weight: 2, arbitrary: smallNumber }, fc.boolean(), fc.constant(null));
const oddLeaf: fc.Arbitrary<Doc> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.double(),
  fc.constantFrom(1e20, -0, 5e-324, 1e300, '**', '\\'),
  oddNumberLiteral,
);
const patternLeaf = mostly(validLeaf, oddLeaf);

const one = (key: string, value: fc.Arbitrary<Doc>): fc.Arbitrary<Doc> => value.map((v) => new Obj([[key, v]]));
const validMatcher: fc.Arbitrary<Doc> = fc.oneof(
  one('prefix', word),
  one('suffix', word),
  one('equals-ignore-case', word),
  one('wildcard', wildcardWord),
  one(
    'anything-but',
    fc.oneof(
      word,
      smallNumber,
      fc.array(word, { minLength: 1, maxLength: 3 }),
      fc.array(smallNumber, { minLength: 1, maxLength: 3 }),
      one('prefix', word),
      one('suffix', word),
      one('equals-ignore-case', fc.oneof(word, fc.array(word, { minLength: 1, maxLength: 3 }))),
      one('wildcard', fc.oneof(wildcardWord, fc.array(wildcardWord, { minLength: 1, maxLength: 2 }))),
    ),
  ),
  fc.tuple(fc.constantFrom('>', '>=', '=', '<', '<='), smallNumber).map(([op, n]) => new Obj([['numeric', [op, n]]])),
  fc
    .tuple(fc.constantFrom('>', '>='), smallNumber, fc.constantFrom('<', '<='), smallNumber)
    .filter(([, low, , high]) => low < high)
    .map(([lowOp, low, highOp, high]) => new Obj([['numeric', [lowOp, low, highOp, high]]])),
  one('exists', fc.boolean()),
  one('cidr', fc.constantFrom('10.0.0.0/8', '10.0.0.1/32', '::1/128', '2001:db8::/32', '0.0.0.0/0')),
);
const oddMatcher: fc.Arbitrary<Doc> = fc.oneof(
  fc.tuple(fc.constantFrom('prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'exists', 'cidr', 'numeric'), fc.oneof(oddLeaf, validLeaf, validMatcher, fc.array(patternLeaf, { maxLength: 3 }))).map(
    ([k, v]) => new Obj([[k, v]]),
  ),
  one('numeric', fc.array(fc.oneof(fc.constantFrom('<', '<=', '=', '>', '>=', '!=', 'x', ''), patternLeaf), { maxLength: 5 })),
  one('cidr', fc.oneof(fc.constantFrom('10.0.0.1/33', '1.2.3.4', 'x', '', '::/129', '1.2.3.4/-1'), oddLeaf)),
  fc.tuple(fc.string({ maxLength: 10 }), patternLeaf).map(([k, v]) => new Obj([[k, v]])),
  fc.constantFrom(new Obj([['prefix', 'a'], ['suffix', 'b']]), new Obj([]), new Obj([['anything-but', new Obj([['anything-but', 'a']])]])),
);
const matcher = mostly(validMatcher, oddMatcher, 12);
const leafInPattern = mostly(validLeaf, oddLeaf, 12);

const pattern: fc.Arbitrary<Obj> = fc.letrec<{ pattern: Obj; field: Doc }>((tie) => ({
  pattern: fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.constantFrom('source', 'detail-type', 'account', 'region', 'resources', 'id', 'time', 'version'), tie('field')) },
        { weight: 3, arbitrary: fc.tuple(fc.constant('detail'), fc.oneof(tie('pattern'), tie('field'))) },
        { weight: 2, arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'c', 'a.b', ''), fc.oneof(tie('pattern'), tie('field'))) },
        { weight: 1, arbitrary: fc.tuple(fc.constant('$or'), mostly(fc.array(tie('pattern'), { minLength: 2, maxLength: 3 }), patternLeaf)) },
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((e) => new Obj(e)),
  field: fc.oneof(
    { maxDepth: 3 },
    { weight: 12, arbitrary: fc.array(fc.oneof(leafInPattern, matcher), { minLength: 1, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.oneof(fc.constant([]), patternLeaf, matcher, fc.constant(new Obj([]))) },
  ),
})).pattern;

const patternText = mostly(
  pattern.map(toJson),
  fc.oneof(
    { weight: 4, arbitrary: mutated(pattern.map(toJson)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('', '{}', 'null', '[]', '{"source":["s"]} trailing', '{"source":[', '{"a":["\\ud800"]}', '{"a":[{"numeric":[">",1e400]}]}'),
    },
    { weight: 1, arbitrary: deepNesting.map((r) => `{"a":${r.text}}`) },
    { weight: 1, arbitrary: hugeString },
  ),
  3,
);

// Events, and the Detail of PutEvents entries.

const eventValue: fc.Arbitrary<Doc> = fc.letrec<{ v: Doc }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 3 },
    { weight: 4, arbitrary: patternLeaf },
    { weight: 2, arbitrary: fc.array(tie('v'), { maxLength: 3 }) },
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', ''), tie('v')), { maxLength: 3 }).map((e) => new Obj(e)) },
  ),
})).v;
const detailObject = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'detail'), eventValue), { maxLength: 4 }).map((e) => new Obj(e));

const detailText = mostly(
  detailObject.map(toJson),
  fc.oneof(
    { weight: 2, arbitrary: mutated(detailObject.map(toJson)) },
    { weight: 2, arbitrary: fc.constantFrom('{}', '', ' ', '[1]', '1', 'null', '"s"', '{} x', ' {"a":1} ', '{"a":1}\n', '{"a":"\\ud800"}', '{"a":1e400}') },
    { weight: 2, arbitrary: deepNesting.map((r) => `{"a":${r.text}}`) },
    { weight: 1, arbitrary: deepNesting.map((r) => r.text) },
    { weight: 1, arbitrary: hugeString },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  ),
  3,
);

const ENVELOPE = ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources'] as const;
const envelopeValue: Record<(typeof ENVELOPE)[number], fc.Arbitrary<Doc>> = {
  version: fc.constant('0'),
  id: fc.uuid(),
  'detail-type': fc.constantFrom('d', 'a'),
  source: fc.constantFrom('s', 'a', 'fuzz'),
  account: fc.constantFrom(ACCOUNT, OTHER_ACCOUNT),
  time: fc.constantFrom('2024-01-01T00:00:00Z'),
  region: fc.constantFrom(REGION),
  resources: fc.array(validArn, { maxLength: 2 }),
};

const eventText = mostly(
  fc
    .tuple(
      fc.oneof({ weight: 8, arbitrary: fc.constant([...ENVELOPE]) }, { weight: 1, arbitrary: fc.subarray([...ENVELOPE]) }),
      fc.record(envelopeValue),
      fc.array(patternLeaf, { minLength: ENVELOPE.length, maxLength: ENVELOPE.length }),
      fc.boolean(),
      fc.oneof({ weight: 4, arbitrary: detailObject }, { weight: 1, arbitrary: eventValue }, { weight: 1, arbitrary: deepNesting }),
    )
    .map(([present, good, odd, useOdd, detail]) => {
      const entries: [string, Doc][] = present.map((k, i) => [k, useOdd && i % 3 === 0 ? (odd[i] ?? null) : good[k]]);
      return toJson(new Obj([...entries, ['detail', detail]]));
    }),
  fc.oneof(mutated(detailObject.map(toJson)), fc.constantFrom('', '{}', 'null', '[]', '{"id":1}'), hugeString),
  8,
);

const eventTime: fc.Arbitrary<Doc> = mostly<Doc>(
  fc.oneof(fc.integer({ min: 0, max: 4_000_000_000 }), fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString())),
  fc.oneof(
    fc.double(),
    fc.constantFrom(1e20, -1e20, 8.64e12, 8.64e12 + 1, -8.64e12 - 1, Number.MAX_VALUE, -1),
    fc.constantFrom('not a date', '', '+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.001Z', '1e400'),
    oddNumberLiteral,
  ),
);

const tag = obj({ Key: mostly(fc.constantFrom('k', 'K', 'env', 'team', 'k2', 'k3'), anyString), Value: mostly(fc.constantFrom('v', ''), anyString) }, ['Key', 'Value']);
const tags = fc.array(sometimesWrong(tag), { minLength: 1, maxLength: 3 });

const schedule = mostly(
  fc.constantFrom('rate(1 minute)', 'rate(5 minutes)', 'rate(1 day)', 'cron(0 12 * * ? *)', 'cron(0/15 * ? * MON-FRI *)', 'cron(0 8 L * ? 2030)'),
  fc.oneof(
    fc
      .tuple(fc.oneof(fc.nat({ max: 100 }).map(String), fc.constantFrom('-1', '0', '1.5', '99999999999999999999', '')), fc.constantFrom('minute', 'minutes', 'hour', 'hours', 'day', 'days', 'week', ''))
      .map(([n, unit]) => `rate(${n} ${unit})`),
    fc
      .array(fc.constantFrom('*', '?', '0', '59', '60', '1-5', '*/5', '5/0', 'L', '5L', 'LW', '15W', 'MON#2', 'x#9', 'JAN', 'mon', '1970', '2200', 'MON-FRI', '1,2', '/', '-', ',', ''), { maxLength: 8 })
      .map((fields) => `cron(${fields.join(' ')})`),
    fc.string({ maxLength: 20 }),
  ),
  1,
);

// Targets.

const inputPath = mostly(fc.constantFrom('$', '$.detail', '$.detail.a', '$.a[0]', '$.resources[0]'), fc.oneof(fc.constantFrom("$['a']", 'x', '$..a', '$.', '$[', ''), fc.string({ maxLength: 12 })));
const placeholderKey = mostly(fc.constantFrom('a', 'b'), fc.oneof(fc.constantFrom('aws.events.event.json', 'aws.events.rule-arn', 'aws.events.event', 'x y', ''), fc.string({ maxLength: 6 })));
const inputTemplate = fc
  .array(fc.oneof(placeholderKey.map((k) => `<${k}>`), fc.constantFrom('{', '}', '"', '"x": ', ' ', '<', '>'), fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''));

const target = obj(
  {
    Id: mostly(fc.constantFrom('t1', 't2', 't3', 't4', 't5', 't6'), fc.oneof(fc.stringMatching(/^[.\-_A-Za-z0-9]{1,64}$/), fc.string({ maxLength: 10 }))),
    Arn: someArn,
    RoleArn: someArn,
    Input: mostly(detailText, fc.constantFrom('"s"', '{', '')),
    InputPath: inputPath,
    InputTransformer: obj({ InputPathsMap: fc.array(fc.tuple(placeholderKey, inputPath as fc.Arbitrary<Doc>), { maxLength: 3 }).map((e) => new Obj(e)), InputTemplate: inputTemplate }, ['InputTemplate']),
    DeadLetterConfig: obj({ Arn: someArn }),
    SqsParameters: obj({ MessageGroupId: shortText }),
    RetryPolicy: obj({ MaximumRetryAttempts: limit, MaximumEventAgeInSeconds: limit }),
  },
  ['Id', 'Arn'],
  ['RoleArn', 'Input', 'InputPath', 'InputTransformer', 'DeadLetterConfig', 'SqsParameters', 'RetryPolicy'],
);

// Resource policies.

const statement = obj({
  Sid: mostly(fc.constantFrom('s1', 's2'), anyString),
  Effect: mostly(fc.constantFrom('Allow', 'Deny'), leaf),
  Principal: mostly(fc.constantFrom<Doc>('*', new Obj([['AWS', OTHER_ACCOUNT]]), new Obj([['AWS', ['*']]])), fc.oneof(leaf, obj({ AWS: fc.oneof(fc.array(leaf, { maxLength: 2 }), leaf) }))),
  Action: mostly(fc.constantFrom('events:PutEvents', 'events:*', '*'), fc.oneof(fc.array(leaf, { maxLength: 2 }), leaf)),
  Resource: mostly(validArn, fc.oneof(fc.array(leaf, { maxLength: 2 }), leaf)),
  Condition: leaf,
});

const policyText = mostly(
  fc.array(statement, { maxLength: 3 }).map((st) => toJson(new Obj([['Version', '2012-10-17'], ['Statement', st]]))),
  fc.oneof(
    statement.map((st) => toJson(new Obj([['Statement', st]]))),
    leaf.map((v) => toJson(new Obj([['Statement', v]]))),
    fc.array(sometimesWrong(statement), { maxLength: 3 }).map((v) => toJson(new Obj([['Statement', v]]))),
    fc.constantFrom('', '{', 'null', '[]', '"x"', '1', '{"Statement":null}'),
    fc.string({ maxLength: 20 }),
  ),
  2,
);

// PutEvents entries.

const entry = obj(
  {
    Time: eventTime,
    Source: mostly(fc.constantFrom('s', 'a', 'fuzz'), fc.oneof(fc.constantFrom('aws.events', ''), anyString)),
    Resources: fc.array(sometimesWrong(mostly(validArn, anyString)), { maxLength: 3 }),
    DetailType: mostly(fc.constantFrom('d', 'a'), anyString),
    Detail: detailText,
    EventBusName: someBus,
    TraceHeader: mostly(fc.constantFrom('Root=1-5759e988-bd862e3fe1be46a994272793'), anyString),
  },
  ['Source', 'DetailType', 'Detail'],
  ['Time', 'Resources', 'TraceHeader'],
);

// Connections and API destinations.

const connectionName = mostly(fc.constantFrom('conn-1', 'conn-2', 'conn-oauth'), name);
const apiDestinationName = mostly(fc.constantFrom('dest-1', 'dest-2'), name);
const authorizationType = mostly(fc.constantFrom('BASIC', 'API_KEY', 'OAUTH_CLIENT_CREDENTIALS'), anyString);
const connectionState = mostly(fc.constantFrom('AUTHORIZED', 'AUTHORIZING', 'DEAUTHORIZED', 'CREATING'), anyString);
const connectionArn = mostly(
  fc.constantFrom(`arn:aws:events:us-east-1:${ACCOUNT}:connection/conn-1/0b6c1f0e-0000-4000-8000-000000000001`),
  someArn,
);
const endpoint = mostly(fc.constantFrom('https://example.com/hook', 'https://example.com/*/x', 'http://127.0.0.1:9/x'), anyString);
const httpMethod = mostly(fc.constantFrom('POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), anyString);
const httpParameters = obj({
  HeaderParameters: fc.array(obj({ Key: shortText, Value: text, IsValueSecret: mostly(fc.boolean(), leaf) }), { maxLength: 2 }),
  QueryStringParameters: fc.array(obj({ Key: shortText, Value: text, IsValueSecret: mostly(fc.boolean(), leaf) }), { maxLength: 2 }),
  BodyParameters: fc.array(obj({ Key: shortText, Value: text, IsValueSecret: mostly(fc.boolean(), leaf) }), { maxLength: 2 }),
});
const authParameters = obj({
  BasicAuthParameters: obj({ Username: text, Password: text }, ['Username', 'Password']),
  ApiKeyAuthParameters: obj({ ApiKeyName: text, ApiKeyValue: text }, ['ApiKeyName', 'ApiKeyValue']),
  OAuthParameters: obj(
    {
      ClientParameters: obj({ ClientID: text, ClientSecret: text }, ['ClientID', 'ClientSecret']),
      AuthorizationEndpoint: endpoint,
      HttpMethod: mostly(fc.constantFrom('GET', 'POST', 'PUT'), anyString),
      OAuthHttpParameters: httpParameters,
    },
    ['ClientParameters', 'AuthorizationEndpoint', 'HttpMethod'],
  ),
  InvocationHttpParameters: httpParameters,
});

const STRUCTURED: Readonly<Record<Operation, fc.Arbitrary<Obj>>> = {
  CreateEventBus: obj(
    {
      Name: name,
      EventSourceName: mostly(fc.constantFrom('aws.partner/a/b', 'aws.partner/a'), anyString),
      Description: text,
      KmsKeyIdentifier: mostly(fc.constantFrom('alias/x', 'k'), anyString),
      DeadLetterConfig: obj({ Arn: someArn }),
      Tags: tags,
    },
    ['Name'],
    ['EventSourceName', 'KmsKeyIdentifier', 'DeadLetterConfig', 'Tags'],
  ),
  DescribeEventBus: obj({ Name: someBus }),
  ListEventBuses: obj({ NamePrefix: mostly(fc.constantFrom('f', 'fuzz', '%', '_', "'"), anyString), NextToken: nextToken, Limit: limit }, [], ['NextToken']),
  UpdateEventBus: obj({ Name: someBus, Description: text, KmsKeyIdentifier: mostly(fc.constantFrom('alias/x', 'k'), anyString), DeadLetterConfig: obj({ Arn: someArn }) }),
  DeleteEventBus: obj({ Name: mostly(fc.constantFrom('fuzz.bus_2', 'gone', 'default'), busRef) }, ['Name']),
  PutRule: obj(
    {
      Name: ruleName,
      ScheduleExpression: schedule,
      EventPattern: patternText,
      State: mostly(fc.constantFrom('ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'), anyString),
      Description: text,
      RoleArn: someArn,
      Tags: tags,
      EventBusName: someBus,
    },
    ['Name', 'EventPattern'],
    ['ScheduleExpression', 'RoleArn', 'Tags'],
  ),
  DescribeRule: obj({ Name: ruleName, EventBusName: someBus }, ['Name']),
  ListRules: obj({ NamePrefix: mostly(fc.constantFrom('r', '%', '_', "'"), anyString), EventBusName: someBus, NextToken: nextToken, Limit: limit }, [], ['NextToken']),
  EnableRule: obj({ Name: ruleName, EventBusName: someBus }, ['Name']),
  DisableRule: obj({ Name: ruleName, EventBusName: someBus }, ['Name']),
  DeleteRule: obj({ Name: mostly(fc.constantFrom('r2', 'fuzz-rule'), name), EventBusName: someBus, Force: mostly(fc.boolean(), leaf) }, ['Name']),
  ListRuleNamesByTarget: obj({ TargetArn: someArn, EventBusName: someBus, NextToken: nextToken, Limit: limit }, ['TargetArn'], ['NextToken']),
  PutTargets: obj({ Rule: ruleName, EventBusName: someBus, Targets: fc.array(sometimesWrong(target), { minLength: 1, maxLength: 3 }) }, ['Rule', 'Targets']),
  RemoveTargets: obj(
    { Rule: ruleName, EventBusName: someBus, Ids: fc.array(sometimesWrong(mostly(fc.constantFrom('t1', 't2', 't3'), anyString)), { minLength: 1, maxLength: 4 }), Force: fc.boolean() },
    ['Rule', 'Ids'],
  ),
  ListTargetsByRule: obj({ Rule: ruleName, EventBusName: someBus, NextToken: nextToken, Limit: limit }, ['Rule'], ['NextToken']),
  TagResource: obj({ ResourceARN: eventsArn, Tags: tags }, ['ResourceARN', 'Tags']),
  UntagResource: obj({ ResourceARN: eventsArn, TagKeys: fc.array(sometimesWrong(mostly(fc.constantFrom('k', 'env'), anyString)), { maxLength: 3 }) }, ['ResourceARN', 'TagKeys']),
  ListTagsForResource: obj({ ResourceARN: eventsArn }, ['ResourceARN']),
  PutPermission: fc.oneof(
    obj(
      {
        EventBusName: someBus,
        Action: mostly(fc.constant('events:PutEvents'), fc.oneof(fc.constant('events:PutRule'), anyString)),
        Principal: mostly(fc.constantFrom('*', OTHER_ACCOUNT, ACCOUNT), anyString),
        StatementId: mostly(fc.constantFrom('s1', 's2'), anyString),
        Condition: obj({ Type: mostly(fc.constant('StringEquals'), anyString), Key: mostly(fc.constant('aws:PrincipalOrgID'), anyString), Value: text }, ['Type', 'Key', 'Value']),
      },
      ['Action', 'Principal', 'StatementId'],
      ['Condition'],
    ),
    obj({ EventBusName: someBus, Policy: policyText }, ['Policy']),
  ),
  RemovePermission: obj({ StatementId: mostly(fc.constantFrom('s1', 's2'), anyString), RemoveAllPermissions: mostly(fc.boolean(), leaf), EventBusName: someBus }, [], ['RemoveAllPermissions']),
  PutEvents: obj({ Entries: fc.array(sometimesWrong(entry), { minLength: 1, maxLength: 10 }), EndpointId: anyString }, ['Entries'], ['EndpointId']),
  TestEventPattern: obj({ EventPattern: patternText, Event: eventText }, ['EventPattern', 'Event']),
  CreateConnection: obj(
    {
      Name: connectionName,
      Description: text,
      AuthorizationType: authorizationType,
      AuthParameters: authParameters,
    },
    ['Name', 'AuthorizationType', 'AuthParameters'],
  ),
  DescribeConnection: obj({ Name: connectionName }, ['Name']),
  ListConnections: obj({ NamePrefix: mostly(fc.constantFrom('c', '%'), anyString), ConnectionState: connectionState, NextToken: nextToken, Limit: limit }, [], ['NextToken']),
  UpdateConnection: obj({ Name: connectionName, Description: text, AuthorizationType: authorizationType, AuthParameters: authParameters }, ['Name']),
  DeleteConnection: obj({ Name: connectionName }, ['Name']),
  DeauthorizeConnection: obj({ Name: connectionName }, ['Name']),
  CreateApiDestination: obj(
    {
      Name: apiDestinationName,
      Description: text,
      ConnectionArn: connectionArn,
      InvocationEndpoint: endpoint,
      HttpMethod: httpMethod,
      InvocationRateLimitPerSecond: limit,
    },
    ['Name', 'ConnectionArn', 'InvocationEndpoint', 'HttpMethod'],
  ),
  DescribeApiDestination: obj({ Name: apiDestinationName }, ['Name']),
  ListApiDestinations: obj({ NamePrefix: mostly(fc.constantFrom('d', '%'), anyString), ConnectionArn: connectionArn, NextToken: nextToken, Limit: limit }, [], ['NextToken']),
  UpdateApiDestination: obj(
    { Name: apiDestinationName, Description: text, ConnectionArn: connectionArn, InvocationEndpoint: endpoint, HttpMethod: httpMethod, InvocationRateLimitPerSecond: limit },
    ['Name'],
  ),
  DeleteApiDestination: obj({ Name: apiDestinationName }, ['Name']),
};

/** The order category 2 runs in: what creates state first, then what reads it, then deletions. */
const STATEFUL_ORDER: readonly Operation[] = [
  'CreateEventBus',
  'PutRule',
  'PutTargets',
  'TagResource',
  'PutPermission',
  'PutEvents',
  'TestEventPattern',
  'DescribeEventBus',
  'ListEventBuses',
  'UpdateEventBus',
  'DescribeRule',
  'ListRules',
  'EnableRule',
  'DisableRule',
  'ListRuleNamesByTarget',
  'ListTargetsByRule',
  'ListTagsForResource',
  'UntagResource',
  'RemovePermission',
  'RemoveTargets',
  'DeleteRule',
  'DeleteEventBus',
  'CreateConnection',
  'CreateApiDestination',
  'DescribeConnection',
  'ListConnections',
  'UpdateConnection',
  'DescribeApiDestination',
  'ListApiDestinations',
  'UpdateApiDestination',
  'DeauthorizeConnection',
  'DeleteApiDestination',
  'DeleteConnection',
];

// ---------------------------------------------------------------------------------------------
// Category 3: raw bodies and odd headers
// ---------------------------------------------------------------------------------------------

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

const anyOperationBody = fc.constantFrom(...OPERATIONS).chain((op) => STRUCTURED[op].map(toJson));

const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2_000 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 3, arbitrary: mutated(anyOperationBody) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      '[]',
      '"x"',
      '1',
      'true',
      '{',
      '}',
      '{"a":}',
      '\ufeff{}',
      '{}\u0000',
      '{"Name":"x"}{"Name":"y"}',
      '{"Name":"\\ud800"}',
      'NaN',
      '{"Limit": Infinity}',
      '{"Limit": 1e999}',
      "{'Name':'x'}",
      '/* */{}',
      '{"__proto__":{"Name":"x"},"Name":"y"}',
      '{"Entries":[{"__proto__":null}]}',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      new Uint8Array([0x7b, 0x22, 0x4e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"N":"\xff\xfe"}
      new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // UTF-8 BOM then {}
      new Uint8Array(Buffer.from('{"Name":"é"}', 'utf16le')),
      new Uint8Array(Buffer.from('{"Name":"é"}', 'latin1')),
      utf8('{"Name":"\ud800"}'),
    ),
  },
  { weight: 1, arbitrary: deepNesting.map((r) => r.text) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60_000 }).map((n) => '['.repeat(n)) },
);

/** Header values fetch accepts: printable Latin-1 (no DEL, no control characters). */
const headerText = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

const contentType = fc.oneof(
  fc.constantFrom(
    JSON_TYPE,
    JSON_TYPE,
    `${JSON_TYPE}; charset=utf-8`,
    'APPLICATION/X-AMZ-JSON-1.1',
    'application/json',
    'application/x-amz-json-1.0',
    'text/plain',
    'application/xml',
    ';',
    `${JSON_TYPE};;;`,
    ' application/json ',
    'multipart/form-data; boundary=x',
  ),
  headerText,
);

const amzTarget = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...OPERATIONS).map((op) => `AWSEvents.${op}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'AWSEvents.',
      'AWSEvents',
      '.PutRule',
      'awsevents.PutRule',
      'AWSEvents.putRule',
      'AWSEvents.PutRule.Extra',
      'AWSEvents.__proto__',
      'AWSEvents.constructor',
      'AWSEvents.hasOwnProperty',
      'AWSEvents.ActivateEventSource',
      'AWSEvents.PutRule ',
      'AmazonSQS.SendMessage',
      '__proto__.PutRule',
      'constructor.PutRule',
      'AWSEvents.PutRule, AWSEvents.ListRules',
    ),
  },
  { weight: 1, arbitrary: headerText },
);

const authorization = fc.oneof(
  fc
    .tuple(fc.constantFrom('AKID', 'x', ''), fc.constantFrom('20240101', '99999999', '2024'), fc.oneof(fc.constantFrom(REGION, 'eu-west-1', 'é', 'a.b'), fc.stringMatching(/^[^/,\s]{1,12}$/)), fc.constantFrom('events', 'sqs', 'x'))
    .map(([key, date, region, service]) => `AWS4-HMAC-SHA256 Credential=${key}/${date}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`),
  fc.constantFrom('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256 Credential=', 'Basic dXNlcjpwYXNz', 'Bearer x', ''),
  headerText,
);

const extraHeaders = fc.dictionary(
  fc.oneof(fc.constantFrom('x-amz-date', 'x-amz-security-token', 'content-encoding', 'content-md5', 'x-amz-content-sha256', 'accept', 'x-amz-user-agent'), fc.stringMatching(/^x-[a-z0-9-]{1,12}$/)),
  fc.oneof(fc.constantFrom('gzip', 'deflate', '20240101T000000Z', 'UNSIGNED-PAYLOAD', 'x'), headerText),
  { maxKeys: 3 },
);

const oddHeaders: fc.Arbitrary<Req> = fc
  .record(
    {
      contentType,
      target: amzTarget,
      authorization,
      extra: extraHeaders,
      body: fc.oneof(anyOperationBody, rawBody),
    },
    { requiredKeys: ['body', 'extra'] },
  )
  .map(({ contentType: ct, target: t, authorization: auth, extra, body }) => {
    const headers: Record<string, string> = { ...extra };
    if (ct !== undefined) headers['content-type'] = ct;
    if (t !== undefined) headers['x-amz-target'] = t;
    if (auth !== undefined) headers['authorization'] = auth;
    // A string body would get text/plain from fetch: send bytes so a missing type stays missing.
    return { method: 'POST', path: '/', headers, body: typeof body === 'string' ? utf8(body) : body };
  });

const methodsAndPaths: fc.Arbitrary<Req> = fc
  .tuple(
    fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'PROPFIND'),
    fc.oneof(
      fc.constantFrom('/', '/health', '/health?x=1', '/health/', '/HEALTH', '/x', '/?a=b', '//', '/%2e%2e/', '/%ff', '/a?b#c'),
      fc.stringMatching(/^\/[A-Za-z0-9._~%/?=&-]{0,20}$/),
    ),
    fc.option(fc.constantFrom(...OPERATIONS), { nil: undefined }),
    fc.oneof(anyOperationBody, fc.constant('{}')),
  )
  .map(([method, path, op, body]) => ({
    method,
    path,
    headers: op === undefined ? {} : { 'content-type': JSON_TYPE, 'x-amz-target': `AWSEvents.${op}` },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: utf8(body) }),
  }));

const chunked: fc.Arbitrary<Req> = fc
  .tuple(fc.constantFrom(...OPERATIONS), fc.oneof(anyOperationBody, rawBody), fc.array(fc.nat(), { maxLength: 6 }))
  .map(([op, body, cuts]) => {
    const bytes = typeof body === 'string' ? utf8(body) : body;
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    const chunks: Uint8Array[] = [];
    let from = 0;
    for (const p of [...points, bytes.length]) {
      chunks.push(bytes.subarray(from, p));
      from = p;
    }
    return { ...apiRequest(op, ''), body: { chunks } };
  });

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

before(async () => {
  server = await startServer();
  // Some state to meet: a custom bus, rules with targets on it and on the default bus.
  const setup: [Operation, object][] = [
    ['CreateEventBus', { Name: 'fuzz-bus' }],
    ['PutRule', { Name: 'r0', EventPattern: '{"source":["s"]}' }],
    ['PutRule', { Name: 'r1', EventPattern: '{"detail":{"a":[{"numeric":[">",0]}]}}', EventBusName: 'fuzz-bus' }],
    ['PutTargets', { Rule: 'r0', Targets: [{ Id: 't1', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q` }] }],
    ['PutTargets', { Rule: 'r1', EventBusName: 'fuzz-bus', Targets: [{ Id: 't1', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q` }] }],
  ];
  for (const [op, input] of setup) {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': JSON_TYPE, 'x-amz-target': `AWSEvents.${op}` }, body: JSON.stringify(input) });
    assert.equal(res.status, 200, `${op}: ${await res.text()}`);
  }
});

after(async () => {
  // Stops the server (it must exit 0), removes its data, and calls assertNoServersLeft().
  await stopAndCheck(server);
});

it('the fuzzed operations are exactly those the server implements', () => {
  // Building the service only builds its handler table; no handler runs.
  const served = [...eventBridgeService({} as Services).operations.keys()].sort();
  assert.deepEqual([...OPERATIONS].sort(), served);
  assert.deepEqual([...STATEFUL_ORDER].sort(), served);
});

describe('fuzz: random JSON bodies', () => {
  for (const op of OPERATIONS) {
    it(op, () => fuzz(`random JSON to ${op}`, randomBody(op).map((body) => apiRequest(op, body)), 40));
  }
});

describe('fuzz: structurally valid inputs with random values', () => {
  for (const op of STATEFUL_ORDER) {
    it(op, () => fuzz(`structured ${op}`, STRUCTURED[op].map((o) => apiRequest(op, toJson(o))), 60));
  }
});

describe('fuzz: raw bodies and odd headers', () => {
  it('raw non-JSON bodies', () =>
    fuzz('raw bodies', fc.tuple(fc.constantFrom(...OPERATIONS), rawBody).map(([op, body]) => apiRequest(op, body)), 200));
  it('odd content types, targets, authorization and other headers', () => fuzz('odd headers', oddHeaders, 200));
  it('other methods and paths', () => fuzz('methods and paths', methodsAndPaths, 100));
  it('chunked bodies', () => fuzz('chunked bodies', chunked, 80));
  it('a body over the size limit is refused with 413, and the server goes on', async () => {
    assert.equal(await exchange(apiRequest('PutEvents', `{"Entries":[],"x":"${'x'.repeat(4 * 1024 * 1024)}"}`)), 413);
  });
});

describe('after the fuzzing', () => {
  it('the server process is alive, healthy, and logged no failed request', async (t) => {
    t.diagnostic(`${requestsSent} fuzzed requests sent (each followed by GET /health)`);
    for (const [op, counts] of [...answers].sort()) {
      t.diagnostic(`${op}: ${[...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    }
    assert.equal(server.process.exitCode, null, 'the server exited');
    assert.equal(server.process.signalCode, null, 'the server was killed by a signal');
    await assertHealthy('at the end');
    const failed = failedLines();
    const faults = new Map<string, number>();
    for (const line of failed) {
      const err = String((JSON.parse(line) as { err?: unknown }).err).split('\n').slice(0, 2).join(' ');
      faults.set(err, (faults.get(err) ?? 0) + 1);
    }
    const summary = [...faults].map(([err, n]) => `  ${n} x ${err}`).join('\n');
    assert.equal(failed.length, 0, `the server logged ${failed.length} failed request(s):\n${summary}`);
  });
});
