/**
 * Numbers, as EventBridge compares them.
 *
 * AWS compares numbers by value ("300", "300.0" and "3.0e2" are equal) within -5.0e9..+5.0e9 and to
 * six digits after the decimal point. We keep that contract by quantizing a double to an integer
 * count of millionths: |5e9 * 1e6| = 5e15 < 2^53, so every quantized value is an exact integer and
 * quantized values compare exactly. Numbers outside the range take no part in numeric comparison;
 * an exact-number pattern still matches them by their shortest decimal text (`numberText`).
 */

export const NUMERIC_LIMIT = 5_000_000_000;

/** Millionths of `x`, or NaN when `x` is outside the numeric-matching range. */
export function quantize(x: number): number {
  if (!(x >= -NUMERIC_LIMIT && x <= NUMERIC_LIMIT)) return Number.NaN;
  return Math.round(x * 1e6);
}

/** The text by which out-of-range numbers are compared for exact matching. */
export function numberText(x: number): string {
  return String(x);
}

/** The key under which a number is indexed for exact matching. */
export function numberKey(x: number): number | string {
  const q = quantize(x);
  return Number.isNaN(q) ? numberText(x) : q;
}
