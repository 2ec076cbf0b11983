/**
 * A compiled event pattern: what `parsePattern` produces and both matchers consume.
 *
 * A pattern is a disjunction of sub-rules (one per combination of `$or` branches); a sub-rule is a
 * conjunction of fields; a field is satisfied when any one of its matchers accepts a value found at
 * its path (with array consistency across the fields of one sub-rule, see docs/patterns.md).
 *
 *   {"source": ["a"], "$or": [{"x": [1]}, {"y": [{"exists": false}]}]}
 *     -> subRules: [ [source=["a"], x=[1]],  [source=["a"], y=[exists:false]] ]
 *
 * Paths are the event's keys joined with "." ("detail.state"): a pattern key "state.status" and a
 * nested pattern {"state": {"status": ...}} name the same path, as in AWS.
 */
import type { Wildcard } from './wildcard.js';

/** A JSON scalar as it appears in an event. */
export type Leaf = string | number | boolean | null;

/** A numeric interval over quantized values (see numbers.ts); bounds may be infinite. */
export interface NumericRange {
  readonly lower: number;
  readonly lowerOpen: boolean;
  readonly upper: number;
  readonly upperOpen: boolean;
}

/**
 * An IP block: version and the first `bits.length` bits of the address as '0'/'1' text. AWS takes
 * a CIDR's address as written for the bottom of the block, so "10.0.0.5/24" spans 10.0.0.5 to
 * 10.0.0.255; `from` then holds all the address bits, and addresses below it do not match.
 */
export interface IpPrefix {
  readonly version: 4 | 6;
  readonly bits: string;
  readonly from?: string;
}

export type Matcher =
  | { readonly kind: 'exact'; readonly value: Leaf }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'suffix'; readonly value: string }
  /** `value` is case-folded (casefold.ts) for the three ignore-case kinds. */
  | { readonly kind: 'equals-ignore-case'; readonly value: string }
  | { readonly kind: 'prefix-ignore-case'; readonly value: string }
  | { readonly kind: 'suffix-ignore-case'; readonly value: string }
  /** `value` is the wildcard text as written, escapes included; `wildcard` its parsed form. */
  | { readonly kind: 'wildcard'; readonly value: string; readonly wildcard: Wildcard }
  | { readonly kind: 'numeric'; readonly range: NumericRange }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'cidr'; readonly prefix: IpPrefix }
  /** Excludes strings equal to one of `strings` and numbers equal to one of `numbers`. */
  | { readonly kind: 'anything-but'; readonly strings: readonly string[]; readonly numbers: readonly number[] }
  | { readonly kind: 'anything-but-ignore-case'; readonly values: readonly string[] }
  | { readonly kind: 'anything-but-prefix'; readonly values: readonly string[] }
  | { readonly kind: 'anything-but-suffix'; readonly values: readonly string[] }
  | { readonly kind: 'anything-but-wildcard'; readonly values: readonly string[]; readonly wildcards: readonly Wildcard[] };

export type MatcherKind = Matcher['kind'];

export interface Field {
  readonly path: string;
  readonly matchers: readonly Matcher[];
}

export type SubRule = readonly Field[];

export interface Pattern {
  /** The pattern text as given. */
  readonly source: string;
  readonly subRules: readonly SubRule[];
}
