// Timing and memory helpers for the benchmark.
//
// The machines are shared and noisy, so a figure is never one timing: each measurement is a
// number of rounds over the same pre-generated event texts, the figure is the MEDIAN of the
// rounds, and what is compared is a RATIO to a reference measured in the same run, with the
// rounds of the two interleaved (A B B A A B ...; with more contenders, A B C C B A ...). The ratio is the median of the per-round
// ratios (`pairedRatio`): the two rounds of a pair ran a fraction of a second apart, so a slow
// patch of the machine (another process waking up) hits both alike and cancels out, which the
// ratio of the two medians would not guarantee. A round stops early once it has used its time budget, so a pathologically slow
// case costs seconds, not hours; its events/s are then over the events it got through.

import { performance } from 'node:perf_hooks';

/** Work done for one event; returns a number so that the work cannot be optimised away. */
export type EventWork = (text: string) => number;

export interface Round {
  /** Events processed (fewer than offered when the budget ran out). */
  readonly events: number;
  readonly ms: number;
  readonly eventsPerSec: number;
  /** The sum of what the work returned (for matchJson: the number of matches). */
  readonly sum: number;
}

// How many events between two looks at the clock.
const CHUNK = 256;

/** Runs `work` over `texts` once, or until `budgetMs` is used up. */
export function runRound(texts: readonly string[], work: EventWork, budgetMs: number): Round {
  let sum = 0;
  let done = 0;
  const start = performance.now();
  while (done < texts.length) {
    const end = Math.min(texts.length, done + CHUNK);
    for (let i = done; i < end; i++) sum += work(texts[i] as string);
    done = end;
    if (performance.now() - start > budgetMs) break;
  }
  const ms = performance.now() - start;
  return { events: done, ms, eventsPerSec: (done * 1000) / ms, sum };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The median over rounds of `rounds[r] / reference[r]`, the two measured side by side in round
 * r of the same `interleave` call.
 */
export function pairedRatio(rounds: readonly number[], reference: readonly number[]): number {
  const n = Math.min(rounds.length, reference.length);
  return median(Array.from({ length: n }, (_, r) => (rounds[r] as number) / (reference[r] as number)));
}

export interface Contender {
  readonly name: string;
  readonly work: EventWork;
}

export interface Interleaved {
  /** Per contender (same order as given): events/s of every measured round. */
  readonly rounds: readonly (readonly number[])[];
  /** Per contender: the median of `rounds`. */
  readonly medians: readonly number[];
  /** Per contender: matches (or whatever the work sums) per event, over all measured rounds. */
  readonly perEvent: readonly number[];
}

export interface RoundPlan {
  /** Timed rounds per contender. */
  readonly rounds: number;
  /** A round stops once it has run this long. */
  readonly budgetMs: number;
  /** Untimed rounds first, at least one and at least this long per contender (JIT, lazy indexes). */
  readonly warmupMs: number;
}

/**
 * Measures several contenders over the same texts: untimed warm-up rounds for each, then
 * `plan.rounds` rounds each, interleaved, the order reversed every other round.
 */
export function interleave(texts: readonly string[], contenders: readonly Contender[], plan: RoundPlan): Interleaved {
  const { rounds, budgetMs, warmupMs } = plan;
  for (const contender of contenders) {
    const start = performance.now();
    do runRound(texts, contender.work, budgetMs);
    while (performance.now() - start < warmupMs);
  }
  const perRound = contenders.map((): number[] => []);
  const sums = contenders.map(() => 0);
  const events = contenders.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    const order = contenders.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const round = runRound(texts, (contenders[i] as Contender).work, budgetMs);
      perRound[i]?.push(round.eventsPerSec);
      sums[i] = (sums[i] as number) + round.sum;
      events[i] = (events[i] as number) + round.events;
    }
  }
  return {
    rounds: perRound,
    medians: perRound.map((values) => median(values)),
    perEvent: sums.map((sum, i) => sum / (events[i] as number)),
  };
}

/** True when node runs with --expose-gc. */
export function canCollect(): boolean {
  return typeof globalThis.gc === 'function';
}

/** Heap in use after a full collection (twice: the first may leave weak things for the next). */
export function settledHeap(): number {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}
