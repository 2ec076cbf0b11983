/**
 * Parse and validate an event pattern, with AWS's acceptance rules and AWS's error messages.
 *
 * AWS compiles patterns with a streaming parser and stops at the first problem it meets, so the
 * order of checks below follows the order of the text, and every message and location is the one
 * AWS gives (see json-reader.ts for locations). Where a problem is found after parsing (CIDR
 * syntax, wildcard complexity, our own limits) AWS gives no location, and neither do we.
 *
 * `$or` is expanded while parsing: the sub-rules built so far are copied into each branch, and
 * fields after the `$or` apply to every branch, exactly as AWS's compiler does. A repeated key
 * replaces the earlier one (AWS: last wins).
 */
import type { Field, Leaf, Matcher, NumericRange, Pattern, SubRule } from './ast.js';
import { foldCase } from './casefold.js';
import { ipBits, parseCidr } from './cidr.js';
import { PatternError } from './errors.js';
import { JsonReader, Token } from './json-reader.js';
import { quantize } from './numbers.js';
import { isTooComplex, parseWildcard, wildcardComplexity, WildcardSyntaxError } from './wildcard.js';
import type { Wildcard } from './wildcard.js';

export interface PatternOptions {
  /** Longest pattern text accepted, in characters. Default 2048. */
  readonly maxLength?: number;
}

export const DEFAULT_MAX_PATTERN_LENGTH = 2048;
/** Most sub-rules a pattern may expand to through `$or`. */
export const MAX_OR_COMBINATIONS = 1000;

const OR = '$or';
/** Operator names (and names AWS reserves for future ones), refused as field names inside `$or`. */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);
/** AWS formats its numeric limit as a Java double. */
const OUT_OF_RANGE = 'Value must be between -5.0E9 and 5.0E9, inclusive';
const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

/** A sub-rule under construction: path -> matchers. */
type Draft = Map<string, Matcher[]>;

export function parsePattern(text: string, options: PatternOptions = {}): Pattern {
  const maxLength = options.maxLength ?? DEFAULT_MAX_PATTERN_LENGTH;
  if (text.length > maxLength) {
    throw PatternError.of(`Event pattern is too long: ${text.length} characters, at most ${maxLength} are allowed`);
  }
  const r = new JsonReader(text);
  if (r.nextToken() !== Token.StartObject) r.fail('Filter is not an object');
  const drafts: Draft[] = [];
  parseObject(r, drafts, '', false);
  const subRules = drafts.map((d): SubRule => [...d].map(([path, matchers]): Field => ({ path, matchers })));
  for (const sub of subRules) checkWildcardComplexity(sub);
  return { source: text, subRules };
}

function parseObject(r: JsonReader, drafts: Draft[], path: string, insideOr: boolean): void {
  let fields = false;
  while (r.nextToken() !== Token.EndObject) {
    fields = true;
    const name = r.currentName;
    if (name === OR) {
      parseOr(r, drafts, path);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(name)) {
      r.fail(`${name} is Ruler reserved fieldName which cannot be used inside ${OR}.`);
    }
    const token = r.nextToken();
    const fieldPath = path === '' ? name : `${path}.${name}`;
    if (token === Token.StartObject) parseObject(r, drafts, fieldPath, insideOr);
    else if (token === Token.StartArray) writeField(r, drafts, fieldPath);
    else r.fail(`"${name}" must be an object or an array`);
  }
  if (!fields) r.fail('Empty objects are not allowed');
}

function parseOr(r: JsonReader, drafts: Draft[], path: string): void {
  const before = drafts.map((d) => new Map(d));
  drafts.length = 0;
  if (r.nextToken() !== Token.StartArray) r.fail(`It must be an Array followed with ${OR}.`);
  let branches = 0;
  for (let t = r.nextToken(); t !== Token.EndArray; t = r.nextToken()) {
    branches++;
    if (t !== Token.StartObject) r.fail(`Only JSON object is allowed in array of ${OR} relationship.`);
    const branch = before.length === 0 ? [new Map()] : before.map((d) => new Map(d));
    parseObject(r, branch, path, true);
    drafts.push(...branch);
    if (drafts.length > MAX_OR_COMBINATIONS) {
      r.fail(`The ${OR} conditions of this pattern expand to more than ${MAX_OR_COMBINATIONS} combinations`);
    }
  }
  if (branches < 2) r.fail(`There must have at least 2 Objects in ${OR} relationship.`);
}

function writeField(r: JsonReader, drafts: Draft[], path: string): void {
  const matchers: Matcher[] = [];
  for (let t = r.nextToken(); t !== Token.EndArray; t = r.nextToken()) {
    switch (t) {
      case Token.StartObject:
        matchers.push(matchExpression(r));
        break;
      case Token.String: {
        const s = r.text();
        // AWS matches an IP-address literal as an address, so "10.0.0.1" also matches "10.000.0.1".
        const ip = ipBits(s);
        matchers.push(ip === null ? { kind: 'exact', value: s } : { kind: 'cidr', prefix: ip });
        break;
      }
      case Token.NumberInt:
      case Token.NumberFloat:
        matchers.push({ kind: 'exact', value: Number(r.text()) });
        break;
      case Token.True:
      case Token.False:
      case Token.Null:
        matchers.push({ kind: 'exact', value: JSON.parse(r.text()) as Leaf });
        break;
      default:
        r.fail('Match value must be String, number, true, false, or null');
    }
  }
  if (matchers.length === 0) r.fail('Empty arrays are not allowed');
  if (drafts.length === 0) drafts.push(new Map());
  for (const d of drafts) {
    d.delete(path); // a repeated key replaces the earlier one
    d.set(path, matchers);
  }
}

function isNumber(t: Token | null): boolean {
  return t === Token.NumberInt || t === Token.NumberFloat;
}

function expectEnd(r: JsonReader, message = 'Only one key allowed in match expression'): void {
  if (r.nextToken() !== Token.EndObject) r.fail(message);
}

function stringValue(r: JsonReader, message: string): string {
  if (r.nextToken() !== Token.String) r.fail(message);
  return r.text();
}

/** One `{ "<operator>": ... }` element of a field's array; the `{` is consumed. */
function matchExpression(r: JsonReader): Matcher {
  if (r.nextToken() !== Token.FieldName) r.fail('Match expression name not found');
  const op = r.currentName;
  switch (op) {
    case 'exactly': {
      const value = stringValue(r, 'exact match pattern must be a string');
      expectEnd(r);
      return { kind: 'exact', value };
    }
    case 'prefix':
    case 'suffix':
      return affix(r, op);
    case 'equals-ignore-case': {
      const value = stringValue(r, 'equals-ignore-case match pattern must be a string');
      expectEnd(r);
      return { kind: 'equals-ignore-case', value: foldCase(value) };
    }
    case 'wildcard': {
      const value = stringValue(r, 'wildcard match pattern must be a string');
      const wildcard = wildcardOf(r, value);
      expectEnd(r);
      return { kind: 'wildcard', value, wildcard };
    }
    case 'numeric': {
      if (r.nextToken() !== Token.StartArray) r.fail('Value of numeric must be an array.');
      const range = numericRange(r);
      expectEnd(r, 'Too many elements in numeric expression');
      return { kind: 'numeric', range };
    }
    case 'exists': {
      const t = r.nextToken();
      if (t !== Token.True && t !== Token.False) r.fail('exists match pattern must be either true or false.');
      expectEnd(r);
      return { kind: 'exists', value: t === Token.True };
    }
    case 'cidr': {
      const value = stringValue(r, 'prefix match pattern must be a string');
      const prefix = parseCidr(value);
      expectEnd(r);
      return { kind: 'cidr', prefix };
    }
    case 'anything-but':
      return anythingBut(r);
    default:
      r.fail(`Unrecognized match type ${op}`);
  }
}

function affix(r: JsonReader, op: 'prefix' | 'suffix'): Matcher {
  const t = r.nextToken();
  if (t === Token.StartObject) {
    const Op = op === 'prefix' ? 'Prefix' : 'Suffix';
    if (r.nextToken() !== Token.FieldName) r.fail(`${Op} expression name not found`);
    if (r.currentName !== 'equals-ignore-case') r.fail(`Unsupported ${op} pattern: ${r.currentName}`);
    const value = stringValue(r, 'equals-ignore-case match pattern must be a string');
    expectEnd(r);
    expectEnd(r);
    return { kind: op === 'prefix' ? 'prefix-ignore-case' : 'suffix-ignore-case', value: foldCase(value) };
  }
  if (t !== Token.String) r.fail(`${op} match pattern must be a string`);
  const value = r.text();
  expectEnd(r);
  return { kind: op, value };
}

function wildcardOf(r: JsonReader, text: string): Wildcard {
  try {
    return parseWildcard(text);
  } catch (e) {
    if (e instanceof WildcardSyntaxError) r.fail(e.message);
    throw e;
  }
}

/**
 * The body of `"numeric": [ ... ]`; the `[` is consumed. Bounds are quantized (numbers.ts). As in
 * AWS, an operand's range is checked once the expression is complete, so the location of "Value must
 * be between ..." is after the closing bracket.
 */
function numericRange(r: JsonReader): NumericRange {
  if (r.nextToken() !== Token.String) r.fail(`Invalid member in numeric match: ${r.text()}`);
  const op = r.text();
  const operand = (name: string): string => {
    if (!isNumber(r.nextToken())) r.fail(`Value of ${name} must be numeric`);
    return r.text();
  };
  switch (op) {
    case '=':
    case '<':
    case '<=': {
      const x = operand(op === '=' ? 'equals' : op);
      if (r.nextToken() !== Token.EndArray) r.fail('Too many elements in numeric expression');
      const q = comparable(r, x);
      if (op === '=') return { lower: q, lowerOpen: false, upper: q, upperOpen: false };
      return { lower: -Infinity, lowerOpen: true, upper: q, upperOpen: op === '<' };
    }
    case '>':
    case '>=': {
      const bottom = operand(op);
      const t = r.nextToken();
      if (t === Token.EndArray) {
        return { lower: comparable(r, bottom), lowerOpen: op === '>', upper: Infinity, upperOpen: true };
      }
      if (t !== Token.String) r.fail(`Bad value in numeric range: ${r.text()}`);
      const topOp = r.text();
      if (topOp !== '<' && topOp !== '<=') r.fail(`Bad numeric range operator: ${topOp}`);
      const top = operand(topOp);
      if (r.nextToken() !== Token.EndArray) r.fail('Too many terms in numeric range expression');
      const lower = comparable(r, bottom);
      const upper = comparable(r, top);
      if (lower >= upper) r.fail('Bottom must be less than top');
      return { lower, lowerOpen: op === '>', upper, upperOpen: topOp === '<' };
    }
    default:
      r.fail(`Unrecognized numeric range operator: ${op}`);
  }
}

/** A number operand of `numeric` or `anything-but`, quantized; out of AWS's range is an error. */
function comparable(r: JsonReader, text: string): number {
  const q = quantize(Number(text));
  if (Number.isNaN(q)) r.fail(OUT_OF_RANGE);
  return q;
}

const ANYTHING_BUT_KINDS = {
  'equals-ignore-case': 'anything-but-ignore-case',
  prefix: 'anything-but-prefix',
  suffix: 'anything-but-suffix',
  wildcard: 'anything-but-wildcard',
} as const;

type SetKind = (typeof ANYTHING_BUT_KINDS)[keyof typeof ANYTHING_BUT_KINDS];

/** The body of `"anything-but": ...`; the field name is consumed. */
function anythingBut(r: JsonReader): Matcher {
  let kind: SetKind | null = null;
  let t = r.nextToken();
  if (t === Token.StartObject) {
    if (r.nextToken() !== Token.FieldName) r.fail('Anything-But expression name not found');
    const op = r.currentName;
    if (!Object.hasOwn(ANYTHING_BUT_KINDS, op)) r.fail(`Unsupported anything-but pattern: ${op}`);
    kind = ANYTHING_BUT_KINDS[op as keyof typeof ANYTHING_BUT_KINDS];
    t = r.nextToken();
  }
  if (t !== Token.StartArray && t !== Token.String && !isNumber(t)) {
    r.fail('Value of anything-but must be an array or single string/number value.');
  }
  const m = kind === null ? plainAnythingBut(r, t) : setAnythingBut(r, t, kind);
  expectEnd(r, 'Too many elements in numeric expression');
  if (kind !== null) expectEnd(r, 'Too many elements in numeric expression');
  return m;
}

function plainAnythingBut(r: JsonReader, first: Token | null): Matcher {
  const strings: string[] = [];
  const numbers: number[] = [];
  if (first === Token.String) {
    strings.push(r.text());
  } else if (first !== Token.StartArray) {
    const x = Number(r.text());
    // AWS checks a single number's range outside its parser, so the message has no location.
    if (Number.isNaN(quantize(x))) throw PatternError.of(OUT_OF_RANGE);
    numbers.push(x);
  } else {
    for (let t = r.nextToken(); t !== Token.EndArray; t = r.nextToken()) {
      if (t === Token.String) strings.push(r.text());
      else if (isNumber(t)) {
        comparable(r, r.text());
        numbers.push(Number(r.text()));
      } else {
        r.failInList('Inside anything but list, start|null|boolean is not supported.');
      }
    }
    if ((strings.length > 0) === (numbers.length > 0)) {
      r.fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
  }
  return { kind: 'anything-but', strings, numbers };
}

function setAnythingBut(r: JsonReader, first: Token | null, kind: SetKind): Matcher {
  const values: string[] = [];
  const one = (t: Token | null, fail: (reason: string) => never): void => {
    if (t !== Token.String) {
      if (kind === 'anything-but-ignore-case') {
        fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
      }
      if (kind === 'anything-but-wildcard') fail('wildcard match pattern must be a string');
      fail('prefix/suffix match pattern must be a string');
    }
    const s = r.text();
    if ((kind === 'anything-but-prefix' || kind === 'anything-but-suffix') && s === '') {
      fail('Null prefix/suffix not allowed');
    }
    values.push(s);
  };
  if (first === Token.StartArray) {
    for (let t = r.nextToken(); t !== Token.EndArray; t = r.nextToken()) one(t, (why) => r.failInList(why));
  } else {
    one(first, (why) => r.fail(why));
  }
  switch (kind) {
    case 'anything-but-ignore-case':
      return { kind, values: values.map(foldCase) };
    case 'anything-but-wildcard':
      return { kind, values, wildcards: values.map((v) => wildcardOf(r, v)) };
    default:
      return { kind, values };
  }
}

function checkWildcardComplexity(sub: SubRule): void {
  for (const field of sub) {
    const wildcards: Wildcard[] = [];
    for (const m of field.matchers) {
      if (m.kind === 'wildcard') wildcards.push(m.wildcard);
      else if (m.kind === 'anything-but-wildcard') wildcards.push(...m.wildcards);
    }
    if (wildcards.length > 0 && isTooComplex(wildcardComplexity(wildcards))) throw PatternError.of(TOO_COMPLEX);
  }
}
