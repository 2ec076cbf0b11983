/**
 * Case folding for equals-ignore-case and its prefix/suffix forms.
 *
 * AWS folds Unicode case, not just ASCII. JavaScript has no casefold, so we fold with
 * upper-then-lower (which maps e.g. "ß" and "SS" to "ss") and then replace final sigma with sigma,
 * because `toLowerCase` picks "ς" by context, and a prefix must fold the same way whether or not
 * more letters follow it. ASCII text takes the fast path.
 */

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

export function foldCase(s: string): string {
  if (ASCII.test(s)) return s.toLowerCase();
  return s.toUpperCase().toLowerCase().replace(/ς/g, 'σ');
}
