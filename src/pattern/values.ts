/**
 * What one matcher says about one value: the single definition of each operator's meaning on a
 * JSON scalar, shared by the reference evaluator and by the compiled matcher's per-value checks
 * (anything-but and wildcard conditions, which no index can answer).
 *
 * `exists` is not a value test (it is about presence of the path) and is handled by the callers.
 */
import type { Leaf, Matcher } from './ast.js';
import { foldCase } from './casefold.js';
import { ipBits } from './cidr.js';
import { numberKey, quantize } from './numbers.js';
import { wildcardMatches } from './wildcard.js';

export function accepts(m: Matcher, v: Leaf): boolean {
  switch (m.kind) {
    case 'exact':
      if (typeof m.value === 'number') return typeof v === 'number' && numberKey(v) === numberKey(m.value);
      return v === m.value;
    case 'prefix':
      return typeof v === 'string' && v.startsWith(m.value);
    case 'suffix':
      return typeof v === 'string' && v.endsWith(m.value);
    case 'equals-ignore-case':
      return typeof v === 'string' && foldCase(v) === m.value;
    case 'prefix-ignore-case':
      return typeof v === 'string' && foldCase(v).startsWith(m.value);
    case 'suffix-ignore-case':
      return typeof v === 'string' && foldCase(v).endsWith(m.value);
    case 'wildcard':
      return typeof v === 'string' && wildcardMatches(m.wildcard, v);
    case 'numeric': {
      if (typeof v !== 'number') return false;
      const q = quantize(v);
      const r = m.range;
      if (Number.isNaN(q)) return false;
      return (r.lowerOpen ? q > r.lower : q >= r.lower) && (r.upperOpen ? q < r.upper : q <= r.upper);
    }
    case 'exists':
      return m.value;
    case 'cidr': {
      if (typeof v !== 'string') return false;
      const ip = ipBits(v);
      const p = m.prefix;
      return ip !== null && ip.version === p.version && ip.bits.startsWith(p.bits) && (p.from === undefined || ip.bits >= p.from);
    }
    case 'anything-but':
      if (typeof v === 'string') return !m.strings.includes(v);
      if (typeof v === 'number') {
        const q = quantize(v);
        return Number.isNaN(q) || !m.numbers.some((n) => quantize(n) === q);
      }
      return true;
    case 'anything-but-ignore-case':
      return typeof v !== 'string' || !m.values.includes(foldCase(v));
    case 'anything-but-prefix':
      return typeof v !== 'string' || !m.values.some((p) => v.startsWith(p));
    case 'anything-but-suffix':
      return typeof v !== 'string' || !m.values.some((p) => v.endsWith(p));
    case 'anything-but-wildcard':
      return typeof v !== 'string' || !m.wildcards.some((w) => wildcardMatches(w, v));
  }
}
