/**
 * Flatteners for the compiled matcher: walk an event once, guided by the path trie, and hand each
 * leaf at a path some rule names to a collector, with its array trail. Subtrees under keys no rule
 * names are skipped (the text scanner still validates their syntax, but builds nothing).
 *
 * Two inputs, one behaviour:
 *   - `scanJson(text)`: the event as JSON text, read with a hand-written scanner; this is the hot
 *     path (PutEvents holds events as text), and it avoids building objects for skipped parts.
 *     It rejects invalid JSON with EventSyntaxError, so it doubles as the validator.
 *   - `walkValue(object)`: an event already parsed by JSON.parse.
 *
 * The trail: `trail[0..trailLength)` holds (arrayId, index) pairs for the arrays around the
 * current position; array ids are numbered in the order arrays are met.
 */
import type { Leaf } from './ast.js';
import type { PathNode, TrieField } from './path-trie.js';

export abstract class LeafCollector {
  trail: number[] = [];
  trailLength = 0;
  arrays = 0;

  abstract leaf(field: TrieField, value: Leaf): void;

  protected resetTrail(): void {
    this.trailLength = 0;
    this.arrays = 0;
  }
}

export class EventSyntaxError extends Error {}

const MAX_DEPTH = 1000;
/** A node with no children: scanning under it validates and skips everything. */
const EMPTY_NODE: PathNode = { children: null, few: null, field: null };
/** Closing characters of the containers open inside `Scanner.skip` (which never re-enters). */
const SKIP_STACK = new Uint8Array(MAX_DEPTH);

// ---------------------------------------------------------------------------------------------
// Parsed values

export function walkValue(event: unknown, root: PathNode, out: LeafCollector): void {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return;
  walkObject(event as Record<string, unknown>, root, out);
}

function walkObject(obj: Record<string, unknown>, node: PathNode, out: LeafCollector): void {
  const children = node.children;
  if (children === null) return;
  for (const key in obj) {
    const child = children.get(key);
    if (child !== undefined) walkAt(obj[key], child, out);
  }
}

function walkAt(v: unknown, node: PathNode, out: LeafCollector): void {
  if (v === null || typeof v !== 'object') {
    if (node.field !== null) out.leaf(node.field, v as Leaf);
  } else if (Array.isArray(v)) {
    const at = out.trailLength;
    out.trail[at] = out.arrays++;
    out.trailLength = at + 2;
    for (let i = 0; i < v.length; i++) {
      out.trail[at + 1] = i;
      walkAt(v[i], node, out);
    }
    out.trailLength = at;
  } else {
    walkObject(v as Record<string, unknown>, node, out);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON text

export function scanJson(text: string, root: PathNode, out: LeafCollector): void {
  new Scanner(text, out).root(root);
}

/**
 * An event given as its top-level members (`head`, parsed) plus the JSON text of one more member,
 * `key`, which must be a JSON object (PutEvents' envelope and its Detail): walks `head`, then scans
 * the text as the value of `key`. Throws EventSyntaxError when the text is not one JSON object.
 */
export function scanWithBody(
  head: Record<string, unknown>,
  key: string,
  body: string,
  root: PathNode,
  out: LeafCollector,
): void {
  walkObject(head, root, out);
  const node = root.children?.get(key);
  new Scanner(body, out).root(node !== undefined && node.children !== null ? node : EMPTY_NODE);
}

class Scanner {
  private readonly s: string;
  private i = 0;
  private depth = 0;
  private readonly out: LeafCollector;


  constructor(s: string, out: LeafCollector) {
    this.s = s;
    this.out = out;
  }

  root(node: PathNode): void {
    if (this.space() !== 0x7b) this.fail('an event must be a JSON object');
    this.i++;
    this.object(node);
    if (this.space() !== -1) this.fail('unexpected text after the JSON value');
  }

  private fail(why: string): never {
    throw new EventSyntaxError(`Invalid JSON at position ${this.i}: ${why}`);
  }

  /** Skip white space; the next character code, or -1 at the end. */
  private space(): number {
    const s = this.s;
    let i = this.i;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.i = i;
        return c;
      }
    }
    this.i = i;
    return -1;
  }

  /** After `{`. */
  private object(node: PathNode): void {
    if (++this.depth > MAX_DEPTH) this.fail('nesting is too deep');
    const children = node.children;
    let c = this.space();
    if (c === 0x7d) {
      this.i++;
      this.depth--;
      return;
    }
    const few = node.few;
    for (;;) {
      if (c !== 0x22) this.fail('expected a string key');
      const start = this.i + 1;
      const end = skipStringBody(this.s, start);
      if (end < 0) this.failAt(-end - 1, 'invalid string');
      let child: PathNode | undefined;
      if (few !== null && !sawEscape && !sawDot) {
        // Compare the key in place: [start, end - 1) holds it, quotes excluded.
        const length = end - 1 - start;
        for (const [key, next] of few) {
          if (key.length === length && this.s.startsWith(key, start)) {
            child = next;
            break;
          }
        }
      } else if (children !== null) {
        this.i = start;
        child = children.get(this.string());
      }
      this.i = end;
      if (this.space() !== 0x3a) this.fail("expected ':'");
      this.i++;
      this.space();
      if (child === undefined) this.skip();
      else this.value(child);
      c = this.space();
      if (c === 0x2c) {
        this.i++;
        c = this.space();
      } else if (c === 0x7d) {
        this.i++;
        this.depth--;
        return;
      } else {
        this.fail("expected ',' or '}'");
      }
    }
  }

  /**
   * Validate and skip the value at the current (non-space) character. Most of an event is usually
   * skipped, so this is where a match spends its time: it runs as one loop over local state, with
   * its own stack of open containers, calling only the small pure scanners below; on an error it
   * stores the position and fails.
   */
  private skip(): void {
    const s = this.s;
    const open = SKIP_STACK;
    let i = this.i;
    let depth = 0;
    let c: number;
    const fail = (at: number, why: string): never => {
      this.i = at;
      this.fail(why);
    };
    for (;;) {
      // A value starts at i (white space allowed).
      c = s.charCodeAt(i);
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
      if (c === 0x22) {
        i = skipStringBody(s, i + 1);
        if (i < 0) fail(-i - 1, 'invalid string');
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        i = skipNumber(s, i);
        if (i < 0) fail(-i - 1, 'invalid number');
      } else if (c === 0x7b || c === 0x5b) {
        i++;
        const close = c === 0x7b ? 0x7d : 0x5d;
        c = s.charCodeAt(i);
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
        if (c === close) {
          i++;
        } else {
          if (depth + this.depth >= MAX_DEPTH) fail(i, 'nesting is too deep');
          open[depth++] = close;
          if (close === 0x7d) i = this.skipKey(i);
          continue;
        }
      } else {
        const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : '';
        if (word === '' || !s.startsWith(word, i)) fail(i, 'expected a JSON value');
        i += word.length;
      }
      // After a value: close containers, or move on to the next member.
      for (;;) {
        if (depth === 0) {
          this.i = i;
          return;
        }
        c = s.charCodeAt(i);
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
        const close = open[depth - 1] as number;
        if (c === 0x2c) {
          i++;
          if (close === 0x7d) i = this.skipKey(i);
          break;
        }
        if (c !== close) fail(i, close === 0x7d ? "expected ',' or '}'" : "expected ',' or ']'");
        i++;
        depth--;
      }
    }
  }

  /** A skipped object's `"key" :` from `i` (white space allowed); the position of its value. */
  private skipKey(from: number): number {
    const s = this.s;
    let i = from;
    let c = s.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
    if (c !== 0x22) this.failAt(i, 'expected a string key');
    i = skipStringBody(s, i + 1);
    if (i < 0) this.failAt(-i - 1, 'invalid string');
    c = s.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
    if (c !== 0x3a) this.failAt(i, "expected ':'");
    return i + 1;
  }

  /** After `[`. */
  private array(node: PathNode | null): void {
    if (++this.depth > MAX_DEPTH) this.fail('nesting is too deep');
    const out = this.out;
    const at = out.trailLength;
    if (node !== null) {
      out.trail[at] = out.arrays++;
      out.trailLength = at + 2;
    }
    let c = this.space();
    if (c === 0x5d) {
      this.i++;
    } else {
      for (let index = 0; ; index++) {
        if (node !== null) out.trail[at + 1] = index;
        this.value(node);
        c = this.space();
        if (c === 0x2c) {
          this.i++;
          this.space();
        } else if (c === 0x5d) {
          this.i++;
          break;
        } else {
          this.fail("expected ',' or ']'");
        }
      }
    }
    if (node !== null) out.trailLength = at;
    this.depth--;
  }

  /** A value starting at the current (non-space) character; recorded when `node` names a field. */
  private value(node: PathNode | null): void {
    const c = this.s.charCodeAt(this.i);
    const field = node === null ? null : node.field;
    switch (c) {
      case 0x7b:
        if (node === null || node.children === null) return this.skip();
        this.i++;
        return this.object(node);
      case 0x5b:
        if (node === null) return this.skip();
        this.i++;
        return this.array(node);
      case 0x22: {
        this.i++;
        if (field === null) return this.skipString();
        const v = this.string();
        return this.out.leaf(field, v);
      }
      case 0x74:
        return this.literal('true', true, field);
      case 0x66:
        return this.literal('false', false, field);
      case 0x6e:
        return this.literal('null', null, field);
      default: {
        const start = this.i;
        this.number();
        if (field !== null) this.out.leaf(field, Number(this.s.slice(start, this.i)));
      }
    }
  }

  private literal(word: string, v: Leaf, field: TrieField | null): void {
    if (!this.s.startsWith(word, this.i)) this.fail('expected a JSON value');
    this.i += word.length;
    if (field !== null) this.out.leaf(field, v);
  }

  private number(): void {
    const s = this.s;
    let i = this.i;
    if (s.charCodeAt(i) === 0x2d) i++;
    const first = s.charCodeAt(i);
    if (first === 0x30) {
      i++;
    } else if (first >= 0x31 && first <= 0x39) {
      do i++;
      while (isDigit(s.charCodeAt(i)));
    } else {
      this.i = i;
      this.fail('expected a JSON value');
    }
    if (s.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(s.charCodeAt(i))) this.failAt(i, 'expected a digit');
      do i++;
      while (isDigit(s.charCodeAt(i)));
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(s.charCodeAt(i))) this.failAt(i, 'expected a digit');
      do i++;
      while (isDigit(s.charCodeAt(i)));
    }
    this.i = i;
  }

  private failAt(i: number, why: string): never {
    this.i = i;
    this.fail(why);
  }

  /** After the opening quote: the decoded string; the closing quote is consumed. */
  private string(): string {
    const s = this.s;
    const start = this.i;
    for (let i = start; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return s.slice(start, i);
      }
      if (c === 0x5c) return this.escapedString(start);
      if (c < 0x20) this.failAt(i, 'control character in string');
    }
    return this.failAt(s.length, 'unterminated string');
  }

  private escapedString(start: number): string {
    this.skipString();
    try {
      return JSON.parse(this.s.slice(start - 1, this.i)) as string;
    } catch {
      return this.failAt(start, 'invalid string escape');
    }
  }

  /** After the opening quote: validate and skip the string. */
  private skipString(): void {
    const s = this.s;
    for (let i = this.i; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return;
      }
      if (c === 0x5c) {
        const e = s.charCodeAt(++i);
        if (e === 0x75) {
          for (let k = 1; k <= 4; k++) if (!isHex(s.charCodeAt(i + k))) this.failAt(i, 'invalid \\u escape');
          i += 4;
        } else if (!(e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
          this.failAt(i, 'invalid string escape');
        }
      } else if (c < 0x20) {
        this.failAt(i, 'control character in string');
      }
    }
    this.failAt(s.length, 'unterminated string');
  }
}

/** Whether the last string skipStringBody read had an escape (so its text differs from its source). */
let sawEscape = false;
/** Whether the last string skipStringBody read had a dot (a key that may span several path segments). */
let sawDot = false;

/**
 * Skip a string body from `i` (just after the opening quote): the index after the closing quote,
 * or -(position + 1) of the first invalid character.
 */
function skipStringBody(s: string, from: number): number {
  const n = s.length;
  sawEscape = false;
  sawDot = false;
  for (let i = from; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x2e) {
      sawDot = true;
      continue;
    }
    if (c === 0x5c) {
      sawEscape = true;
      const e = s.charCodeAt(++i);
      if (e === 0x75) {
        for (let k = 1; k <= 4; k++) if (!isHex(s.charCodeAt(i + k))) return -(i + 1);
        i += 4;
      } else if (!(e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return -(i + 1);
      }
    } else if (c < 0x20) {
      return -(i + 1);
    }
  }
  return -(n + 1);
}

/** Skip a JSON number starting at `from`: the index after it, or -(position + 1) of the error. */
function skipNumber(s: string, from: number): number {
  let i = from;
  let c = s.charCodeAt(i);
  if (c === 0x2d) c = s.charCodeAt(++i);
  if (c === 0x30) {
    c = s.charCodeAt(++i);
  } else if (c >= 0x31 && c <= 0x39) {
    do c = s.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  } else {
    return -(i + 1);
  }
  if (c === 0x2e) {
    c = s.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -(i + 1);
    do c = s.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    c = s.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -(i + 1);
    do c = s.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
