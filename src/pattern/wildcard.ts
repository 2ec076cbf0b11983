/**
 * Wildcard patterns: `*` matches any run of characters (including none); `\*` and `\\` are the
 * literal characters. Validation errors and the complexity limit follow AWS.
 */

/** A parsed wildcard: literal segments between stars. `segments.length - 1` stars. */
export interface Wildcard {
  readonly segments: readonly string[];
}

/**
 * Parse and validate wildcard text. Positions in AWS's messages count UTF-8 bytes from the string's
 * opening quote, so the first character is at position 1.
 */
export function parseWildcard(text: string): Wildcard {
  const bytes = Buffer.from(text, 'utf8');
  const segments: string[] = [];
  let current: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x2a) {
      if (bytes[i + 1] === 0x2a) throw new WildcardSyntaxError(`Consecutive wildcard characters at pos ${i + 1}`);
      segments.push(Buffer.from(current).toString('utf8'));
      current = [];
    } else if (b === 0x5c) {
      const next = bytes[i + 1];
      if (next !== 0x2a && next !== 0x5c) throw new WildcardSyntaxError(`Invalid escape character at pos ${i + 1}`);
      current.push(next);
      i++;
    } else {
      current.push(b);
    }
  }
  segments.push(Buffer.from(current).toString('utf8'));
  return { segments };
}

/** Raised by parseWildcard; the parser turns it into a located PatternError. */
export class WildcardSyntaxError extends Error {}

export function wildcardMatches(w: Wildcard, value: string): boolean {
  const segs = w.segments;
  const first = segs[0] as string;
  if (segs.length === 1) return value === first;
  const last = segs[segs.length - 1] as string;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let pos = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < segs.length - 1; i++) {
    const seg = segs[i] as string;
    const at = value.indexOf(seg, pos);
    if (at < 0 || at + seg.length > end) return false;
    pos = at + seg.length;
  }
  return true;
}

/**
 * How many wildcard states a single input could keep alive at once, over the wildcards of one
 * field of one sub-rule. AWS refuses a rule whose wildcards would make matching expensive ("Rule is
 * too complex - try using fewer wildcard characters or fewer repeating character sequences after a
 * wildcard character"), measuring the states of its byte automaton that lead to wildcard matches.
 * We measure the same on a plain NFA: simulate every reachable set of states (the subset
 * construction over the characters the wildcards use plus one "other" character) and take, over
 * all sets, the most live star states and the most partial matches in progress after a star.
 *
 * The limits are calibrated on rules AWS is known to accept and refuse (test/pattern-engine.test.ts):
 *   refused: "*:*:*:*:*:event-bus/*" (6 live stars); four of "*\/datasync/*.ext" (8)
 *   accepted: "*.bif", "*.tiff", "*.tif", "*.svs" (4); "/Users/*\/dir/dir/dir/dir/dir/doc.txt" (6 partial)
 */
export const WILDCARD_STAR_LIMIT = 5;
export const WILDCARD_PARTIAL_LIMIT = 16;
const MAX_SUBSETS = 5000;

export interface WildcardComplexity {
  readonly stars: number;
  readonly partials: number;
}

export function isTooComplex(c: WildcardComplexity): boolean {
  return c.stars > WILDCARD_STAR_LIMIT || c.partials > WILDCARD_PARTIAL_LIMIT;
}

export function wildcardComplexity(wildcards: readonly Wildcard[]): WildcardComplexity {
  // Flatten each wildcard to tokens: a character code, or -1 for a star.
  const patterns = wildcards.map((w) => {
    const tokens: number[] = [];
    w.segments.forEach((seg, i) => {
      if (i > 0) tokens.push(-1);
      for (const ch of seg) tokens.push(ch.codePointAt(0) as number);
    });
    return tokens;
  });
  const worst = { stars: 0, partials: 0 };
  if (!patterns.some((t) => t.includes(-1))) return worst;
  // A state is (pattern, position), encoded as pattern * 65536 + position.
  const at = (s: number): [number[], number] => [patterns[Math.floor(s / 65536)] as number[], s % 65536];
  const closure = (states: Set<number>): Set<number> => {
    for (const s of [...states]) {
      const [t, p0] = at(s);
      for (let p = p0; t[p] === -1; p++) states.add(s - p0 + p + 1);
    }
    return states;
  };
  const alphabet = new Set<number>([-2]);
  for (const t of patterns) for (const c of t) if (c >= 0) alphabet.add(c);
  const seen = new Set<string>();
  const queue = [closure(new Set(patterns.map((_, i) => i * 65536)))];
  while (queue.length > 0 && seen.size < MAX_SUBSETS) {
    const states = queue.pop() as Set<number>;
    const key = [...states].sort((a, b) => a - b).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    let stars = 0;
    let partials = 0;
    for (const s of states) {
      const [t, p] = at(s);
      if (t[p] === -1) stars++;
      else if (p > 0 && t[p - 1] !== -1 && t.lastIndexOf(-1, p - 1) >= 0) partials++;
    }
    worst.stars = Math.max(worst.stars, stars);
    worst.partials = Math.max(worst.partials, partials);
    for (const c of alphabet) {
      const next = new Set<number>();
      for (const s of states) {
        const [t, p] = at(s);
        if (t[p] === -1) next.add(s);
        else if (t[p] === c) next.add(s + 1);
      }
      if (next.size > 0) queue.push(closure(next));
    }
  }
  return worst;
}
