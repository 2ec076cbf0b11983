// A small seeded pseudo-random generator for the benchmarks: the same seed gives the same
// events and the same rules on every machine, so two runs measure the same work.
//
// Algorithm: sfc32 (Chris Doty-Humphrey's "small fast counting" generator, 128 bits of state),
// seeded through splitmix32 so that neighbouring seeds give unrelated streams. It is not
// cryptographic and need not be; Math.random is not used anywhere in bench/ because it
// cannot be seeded.

/** Deterministic random numbers from a 32-bit seed. */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = splitmix32();
    this.#b = splitmix32();
    this.#c = splitmix32();
    this.#d = splitmix32();
    for (let i = 0; i < 12; i++) this.uint32(); // let the state mix before first use
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** A uniform double in [0, 1) with all 53 bits of the mantissa random. */
  float(): number {
    const high = this.uint32() >>> 5; // 27 bits
    const low = this.uint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A uniform double in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** A uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new RangeError('pick() from an empty list');
    return item;
  }

  /** An element chosen with probability proportional to its weight. */
  weighted<T>(table: WeightedTable<T>): T {
    let r = this.float() * table.total;
    for (const [item, weight] of table.entries) {
      r -= weight;
      if (r < 0) return item;
    }
    const last = table.entries[table.entries.length - 1];
    if (last === undefined) throw new RangeError('weighted() from an empty table');
    return last[0];
  }

  /** `length` characters drawn uniformly from `alphabet`. */
  string(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet.charAt(Math.floor(this.float() * alphabet.length));
    return out;
  }

  /** A decimal string of exactly `digits` digits, leading zeros kept. */
  digits(digits: number): string {
    return this.string('0123456789', digits);
  }
}

/** Items with relative weights, prepared once for {@link Random.weighted}. */
export interface WeightedTable<T> {
  readonly entries: readonly (readonly [T, number])[];
  readonly total: number;
}

export function weightedTable<T>(entries: readonly (readonly [T, number])[]): WeightedTable<T> {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (!(total > 0)) throw new RangeError('a weighted table needs a positive total weight');
  return { entries, total };
}
