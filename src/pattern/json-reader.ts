/**
 * A streaming JSON reader for pattern text that fails the way AWS fails.
 *
 * EventBridge compiles a pattern with a streaming (Jackson) parser and reports a bad pattern as
 * "Event pattern is not valid. Reason: <reason>\n at [Source: (String)"<text>"; line: L, column: C]".
 * The column is wherever the reader's input pointer stood when the error was noticed, so to answer
 * with AWS's exact message we must consume input exactly as that reader does:
 *
 *   - after a structural token (`{ } [ ]`), the pointer is just past it;
 *   - after a FIELD_NAME token, the reader has already looked ahead at the value: past `{` or `[`,
 *     past the opening quote of a string, past a whole number or `true`/`false`/`null`;
 *   - a string value is read lazily: its body is consumed only when `text()` is asked for, or
 *     skipped when the next token is requested;
 *   - an "Unexpected character" error points at the offending character itself.
 *
 *     {"a": [ "xyz" , 12 ] }
 *          ^ after nextToken() -> FIELD_NAME "a"  (the `[` was looked ahead)
 *               ^ after nextToken() -> STRING     (only the opening quote consumed)
 *                   ^ after text()               (body and closing quote consumed)
 *
 * Content after the top-level value is never read (AWS ignores it too).
 */
import { PatternError } from './errors.js';

export const enum Token {
  StartObject,
  EndObject,
  StartArray,
  EndArray,
  FieldName,
  String,
  NumberInt,
  NumberFloat,
  True,
  False,
  Null,
}

const VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
const SOURCE_LIMIT = 500;

interface Context {
  readonly kind: 'Object' | 'Array';
  readonly line: number;
  readonly column: number;
  /** Tokens seen in this context (entries for an object, elements for an array). */
  count: number;
}

export class JsonReader {
  private readonly src: string;
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private readonly stack: Context[] = [];
  /** Value token already looked ahead at after a field name. */
  private pending: Token | null = null;
  /** Position just after the opening quote of a string token whose body is not yet consumed. */
  private openString = -1;
  private stringText = '';
  private numberText = '';
  private current: Token | null = null;
  currentName = '';

  constructor(src: string) {
    this.src = src;
  }

  /** The next token, or null at the end of the input (only possible at the top level). */
  nextToken(): Token | null {
    if (this.pending !== null) {
      this.current = this.pending;
      this.pending = null;
      return this.current;
    }
    if (this.openString >= 0) this.finishString();
    const ctx = this.stack[this.stack.length - 1];
    let c = this.skipSpace();
    if (ctx === undefined) {
      if (c < 0) return (this.current = null);
      if (this.current !== null) return (this.current = null); // trailing content is not read
      return (this.current = this.startValue(c));
    }
    const closer = ctx.kind === 'Object' ? 0x7d : 0x5d;
    if (c < 0) this.eofInContext(ctx);
    if (c === 0x7d || c === 0x5d) {
      if (c !== closer) this.mismatchedClose(c, ctx);
      this.pos++;
      this.stack.pop();
      return (this.current = ctx.kind === 'Object' ? Token.EndObject : Token.EndArray);
    }
    if (ctx.count > 0) {
      if (c !== 0x2c) {
        this.unexpected(c, `was expecting comma to separate ${ctx.kind} entries`);
      }
      this.pos++;
      c = this.skipSpace();
      if (c < 0) this.eofInContext(ctx);
    }
    ctx.count++;
    if (ctx.kind === 'Array') return (this.current = this.startValue(c));
    return (this.current = this.fieldName(c));
  }

  /** Text of the current STRING, FIELD_NAME, number or literal token. */
  text(): string {
    switch (this.current) {
      case Token.String:
        if (this.openString >= 0) this.finishString();
        return this.stringText;
      case Token.FieldName:
        return this.currentName;
      case Token.NumberInt:
      case Token.NumberFloat:
        return this.numberText;
      case Token.True:
        return 'true';
      case Token.False:
        return 'false';
      case Token.Null:
        return 'null';
      case Token.StartObject:
        return '{';
      case Token.EndObject:
        return '}';
      case Token.StartArray:
        return '[';
      case Token.EndArray:
        return ']';
      default:
        return '';
    }
  }

  /** Throw AWS's InvalidEventPatternException for `reason`, located where the reader stands. */
  fail(reason: string): never {
    throw PatternError.located(reason, this.location(this.line, this.pos - this.lineStart + 1));
  }

  /**
   * Fail from inside an anything-but list. AWS's compiler catches its own error there and raises it
   * again at the same place, so the message carries the location line twice.
   */
  failInList(reason: string): never {
    const at = this.location(this.line, this.pos - this.lineStart + 1);
    throw PatternError.located(`${reason}\n at ${at}`, at);
  }

  private location(line: number, column: number): string {
    let body = this.src;
    let tail = '';
    if (body.length > SOURCE_LIMIT) {
      tail = `[truncated ${body.length - SOURCE_LIMIT} chars]`;
      body = body.slice(0, SOURCE_LIMIT);
    }
    return `[Source: (String)"${body}"${tail}; line: ${line}, column: ${column}]`;
  }

  private failAtChar(reason: string): never {
    throw PatternError.located(reason, this.location(this.line, this.pos - this.lineStart));
  }

  private skipSpace(): number {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09) {
        this.pos++;
      } else if (c === 0x0a) {
        this.pos++;
        this.newLine();
      } else if (c === 0x0d) {
        this.pos++;
        if (s.charCodeAt(this.pos) === 0x0a) this.pos++;
        this.newLine();
      } else {
        return c;
      }
    }
    return -1;
  }

  private newLine(): void {
    this.line++;
    this.lineStart = this.pos;
  }

  private fieldName(c: number): Token {
    if (c !== 0x22) this.unexpected(c, 'was expecting double-quote to start field name');
    this.pos++;
    this.currentName = this.readStringBody();
    let d = this.skipSpace();
    if (d < 0) this.fail(`Unexpected end-of-input within/between Object entries`);
    if (d !== 0x3a) this.unexpected(d, 'was expecting a colon to separate field name and value');
    this.pos++;
    d = this.skipSpace();
    if (d < 0) this.fail(`Unexpected end-of-input within/between Object entries`);
    this.pending = this.startValue(d);
    return Token.FieldName;
  }

  /** Consume the start of a value beginning with char `c` (see the class comment). */
  private startValue(c: number): Token {
    switch (c) {
      case 0x22:
        this.pos++;
        this.openString = this.pos;
        return Token.String;
      case 0x7b:
        this.push('Object');
        return Token.StartObject;
      case 0x5b:
        this.push('Array');
        return Token.StartArray;
      case 0x74:
        this.literal('true');
        return Token.True;
      case 0x66:
        this.literal('false');
        return Token.False;
      case 0x6e:
        this.literal('null');
        return Token.Null;
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        if (isIdentifierStart(c)) this.invalidToken(this.pos);
        this.unexpected(c, `expected a valid value ${VALID_VALUES}`);
    }
  }

  private push(kind: 'Object' | 'Array'): void {
    this.pos++;
    this.stack.push({ kind, line: this.line, column: this.pos - this.lineStart, count: 0 });
  }

  private literal(word: string): void {
    const start = this.pos;
    for (let i = 0; i < word.length; i++) {
      if (this.src.charCodeAt(start + i) !== word.charCodeAt(i)) {
        this.invalidToken(start);
      }
    }
    this.pos = start + word.length;
    const next = this.src.charCodeAt(this.pos);
    if (!Number.isNaN(next) && isIdentifierPart(next)) this.invalidToken(start);
  }

  /** "Unrecognized token 'xyz'": the whole identifier-like run starting at `start`. */
  private invalidToken(start: number): never {
    let end = start;
    while (end < this.src.length && end - start < 256 && isIdentifierPart(this.src.charCodeAt(end))) end++;
    if (end === start) end = start + 1;
    this.pos = end;
    this.fail(`Unrecognized token '${this.src.slice(start, end)}': was expecting ${VALID_VALUES}`);
  }

  private number(): Token {
    const s = this.src;
    const start = this.pos;
    let p = this.pos;
    let float = false;
    if (s.charCodeAt(p) === 0x2d) {
      p++;
      const d = s.charCodeAt(p);
      if (!(d >= 0x30 && d <= 0x39)) {
        this.pos = p + 1;
        if (Number.isNaN(d)) this.fail('Unexpected end-of-input in numeric value');
        this.failAtChar(
          `Unexpected character (${charDesc(d)}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value`,
        );
      }
    }
    if (s.charCodeAt(p) === 0x30 && isDigit(s.charCodeAt(p + 1))) {
      this.pos = p + 2;
      this.fail('Invalid numeric value: Leading zeroes not allowed');
    }
    while (isDigit(s.charCodeAt(p))) p++;
    if (s.charCodeAt(p) === 0x2e) {
      float = true;
      p++;
      if (!isDigit(s.charCodeAt(p))) this.badNumberChar(p, 'Decimal point not followed by a digit');
      while (isDigit(s.charCodeAt(p))) p++;
    }
    const e = s.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      float = true;
      p++;
      const sign = s.charCodeAt(p);
      if (sign === 0x2b || sign === 0x2d) p++;
      if (!isDigit(s.charCodeAt(p))) this.badNumberChar(p, 'Exponent indicator not followed by a digit');
      while (isDigit(s.charCodeAt(p))) p++;
    }
    this.pos = p;
    this.numberText = s.slice(start, p);
    return float ? Token.NumberFloat : Token.NumberInt;
  }

  private badNumberChar(p: number, why: string): never {
    const c = this.src.charCodeAt(p);
    this.pos = p + 1;
    if (Number.isNaN(c)) {
      this.pos = p;
      this.fail('Unexpected end-of-input in numeric value');
    }
    this.failAtChar(`Unexpected character (${charDesc(c)}) in numeric value: ${why}`);
  }

  private finishString(): void {
    this.pos = this.openString;
    this.openString = -1;
    this.stringText = this.readStringBody();
  }

  /** Read a string body; the opening quote is already consumed. */
  private readStringBody(): string {
    const s = this.src;
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= s.length) {
        this.fail('Unexpected end-of-input: was expecting closing quote for a String value');
      }
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.pos++;
        this.failAtChar(
          `Illegal unquoted character (${charDesc(c)}): has to be escaped using backslash to be included in string value`,
        );
      }
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += s.slice(runStart, this.pos);
      this.pos++;
      out += this.escape();
      runStart = this.pos;
    }
  }

  private escape(): string {
    const s = this.src;
    if (this.pos >= s.length) this.fail('Unexpected end-of-input in character escape sequence');
    const c = s.charCodeAt(this.pos++);
    switch (c) {
      case 0x22:
        return '"';
      case 0x5c:
        return '\\';
      case 0x2f:
        return '/';
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75: {
        let code = 0;
        for (let i = 0; i < 4; i++) {
          if (this.pos >= s.length) this.fail('Unexpected end-of-input in character escape sequence');
          const h = s.charCodeAt(this.pos++);
          const v = hexValue(h);
          if (v < 0) {
            this.failAtChar(`Unexpected character (${charDesc(h)}): expected a hex-digit for character escape sequence`);
          }
          code = code * 16 + v;
        }
        return String.fromCharCode(code);
      }
      default:
        this.failAtChar(`Unrecognized character escape ${charDesc(c)}`);
    }
  }

  private unexpected(c: number, why: string): never {
    this.pos++;
    this.failAtChar(`Unexpected character (${charDesc(c)}): ${why}`);
  }

  private mismatchedClose(c: number, ctx: Context): never {
    this.pos++;
    const expected = ctx.kind === 'Object' ? '}' : ']';
    const start = this.location(ctx.line, ctx.column);
    this.failAtChar(
      `Unexpected close marker '${String.fromCharCode(c)}': expected '${expected}' (for ${ctx.kind} starting at ${start})`,
    );
  }

  private eofInContext(ctx: Context): never {
    const start = this.location(ctx.line, ctx.column);
    this.fail(`Unexpected end-of-input: expected close marker for ${ctx.kind} (start marker at ${start})`);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Java's Character.isJavaIdentifierStart, close enough for error text. */
function isIdentifierStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24 || c > 0x7f;
}

function isIdentifierPart(c: number): boolean {
  return isIdentifierStart(c) || isDigit(c);
}

/** Jackson's description of a character in error messages. */
function charDesc(c: number): string {
  if (c < 0x20) return `(CTRL-CHAR, code ${c})`;
  const ch = String.fromCharCode(c);
  if (c > 0xff) return `'${ch}' (code ${c} / 0x${c.toString(16)})`;
  return `'${ch}' (code ${c})`;
}
