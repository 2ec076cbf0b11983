// The CL2 rule groups: event-ruler's citylots2 benchmark (14 groups of 5 rules, one group per
// kind of matching: EXACT, WILDCARD, PREFIX, ..., ANYTHING_BUT_WILDCARD), read from the copy
// in cl2-benchmark-rules.json (see NOTICE for where it comes from).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Cl2Group {
  /** EXACT, WILDCARD, PREFIX, ... in the file's order. */
  readonly name: string;
  /** The 5 patterns as compact JSON text, in the file's order. */
  readonly rules: readonly string[];
  /** event-ruler's counts on the real citylots2: for reference only (see citylots.ts). */
  readonly citylots2Counts: readonly number[];
}

const FILE_NAME = 'cl2-benchmark-rules.json';

/**
 * Where the rules file is: beside this module when run from source, or back in
 * bench/patterns/ when run as compiled code from dist/bench/patterns/ (tsc copies no JSON).
 */
function rulesFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, FILE_NAME), resolve(here, '../../../bench/patterns', FILE_NAME)];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) throw new Error(`${FILE_NAME} not found; looked in ${candidates.join(', ')}`);
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The 14 groups, checked for shape so that a damaged file fails loudly. */
export function loadCl2Groups(file: string = rulesFile()): Cl2Group[] {
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isRecord(data) || !isRecord(data['groups'])) throw new Error(`${file}: no "groups" object`);
  return Object.entries(data['groups']).map(([name, group]) => {
    if (!isRecord(group) || !Array.isArray(group['rules']) || !Array.isArray(group['expected_match_counts'])) {
      throw new Error(`${file}: group ${name} lacks "rules" or "expected_match_counts"`);
    }
    const counts = group['expected_match_counts'].map((count) => {
      if (typeof count !== 'number') throw new Error(`${file}: group ${name}: a count is not a number`);
      return count;
    });
    return { name, rules: group['rules'].map((rule) => JSON.stringify(rule)), citylots2Counts: counts };
  });
}
