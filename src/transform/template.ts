/**
 * Filling an InputTemplate: each `<name>` placeholder whose name is a variable is replaced by the
 * variable's value, written according to where the placeholder stands (docs/input-transformation.md
 * §4, the quoting table). Everything else in the template is copied as it is, whitespace included.
 *
 * Where a placeholder stands is read from the template text alone, never from values already put
 * in:
 *
 *   {"id": <id>, "text": "order <id> placed"}      a JSON template (its first non-blank is '{')
 *          ^^^^            ^^^^
 *          a value:        inside a string literal:
 *          JSON, strings   the value's text, unescaped;
 *          get quotes      objects and arrays lose their quotes
 *
 *   "order <id> placed"                              any other template (a "string template"):
 *          ^^^^                                      every placeholder takes the value's text
 *
 * A string literal is tracked by its quotes, skipping backslash escapes (`\"` does not end it).
 */

/** JSON text that goes in exactly as it is, in any position (the event variables). */
export class JsonText {
  constructor(readonly text: string) {}
}

/** What a resolver answers for a name that is no variable: the placeholder stays as written. */
export const NOT_A_VARIABLE: unique symbol = Symbol('not a variable');

/**
 * The value of the variable `name`: a parsed JSON value, undefined when its path selects nothing,
 * a JsonText, or NOT_A_VARIABLE.
 */
export type Resolver = (name: string) => unknown;

/** A placeholder as PutTargets reads one: `<`, a name without blanks or angle brackets, `>`. */
const PLACEHOLDER = /<([^<>\s]+)>/g;

/** Is `template` a JSON template (AWS: "a JSON object (surrounded by curly braces)")? */
export function isJsonTemplate(template: string): boolean {
  return template.trimStart().startsWith('{');
}

export function fillTemplate(template: string, resolve: Resolver): string {
  const json = isJsonTemplate(template);
  let out = '';
  let copied = 0; // template text before this has been written to out
  let scanned = 0; // string-literal state is known up to here
  let inString = false;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const value = resolve(m[1] as string);
    if (value === NOT_A_VARIABLE) continue;
    const start = m.index;
    if (json) {
      inString = stringStateAt(template, scanned, start, inString);
      scanned = start + m[0].length;
    }
    out += template.slice(copied, start) + (json && !inString ? asJsonValue(value) : asText(value));
    copied = start + m[0].length;
  }
  return copied === 0 ? template : out + template.slice(copied);
}

/** Whether `to` lies inside a string literal, given the state at `from`. */
function stringStateAt(template: string, from: number, to: number, inString: boolean): boolean {
  for (let i = from; i < to; i++) {
    const c = template.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    }
  }
  return inString;
}

/** A value standing as a JSON value: its JSON text; a missing one is the empty string `""`. */
function asJsonValue(value: unknown): string {
  if (value === undefined) return '""';
  if (value instanceof JsonText) return value.text;
  return JSON.stringify(value);
}

/**
 * A value standing in text: a string as it is (not escaped), an object or array as compact JSON
 * without its quotes, a number, boolean or null as its JSON text; a missing one is nothing.
 */
function asText(value: unknown): string {
  if (value === undefined) return '';
  if (value instanceof JsonText) return value.text;
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value);
  return value !== null && typeof value === 'object' ? text.replaceAll('"', '') : text;
}
