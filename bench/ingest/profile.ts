// Summarises a V8 CPU profile (`node --cpu-prof`) as text: the functions with the most self time,
// the same grouped by source file, and the inclusive time of the project's own functions.
//
//   node dist/bench/ingest/profile.js FILE.cpuprofile [--top N]
//
// The runner uses it for `--profile DIR`, which starts Switchyard under --cpu-prof.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

export interface Line {
  readonly name: string;
  readonly ms: number;
  readonly pct: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly bySelf: readonly Line[];
  readonly byFile: readonly Line[];
  /** Inclusive time of functions under `ownCode` (recursion counted once). */
  readonly ownInclusive: readonly Line[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 1);
  return url.replace(/^file:\/\//, '');
}

function fnKey(f: CallFrame): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  return f.url === '' ? name : `${name} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

export function summarize(profile: CpuProfile, top: number, ownCode = '/dist/src/'): ProfileSummary {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const hits = new Map<number, number>();
  if (profile.samples !== undefined) for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  let totalHits = 0;
  for (const h of hits.values()) totalHits += h;
  const msPerHit = totalHits === 0 ? 0 : totalMs / totalHits;

  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) {
    const ms = (hits.get(n.id) ?? 0) * msPerHit;
    if (ms === 0) continue;
    const k = fnKey(n.callFrame);
    self.set(k, (self.get(k) ?? 0) + ms);
    const file = n.callFrame.url === '' ? n.callFrame.functionName || '(native)' : shortUrl(n.callFrame.url);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }

  // Inclusive time: each node's self time plus its subtree's, credited to every distinct function
  // on the path from the root (so a recursive function is counted once per sample).
  const inclusive = new Map<string, number>();
  const root = profile.nodes[0];
  if (root !== undefined) {
    const onPath = new Map<string, number>();
    const visit = (n: ProfileNode): void => {
      const k = fnKey(n.callFrame);
      const own = n.callFrame.url.includes(ownCode);
      if (own) onPath.set(k, (onPath.get(k) ?? 0) + 1);
      const ms = (hits.get(n.id) ?? 0) * msPerHit;
      if (ms > 0) for (const key of onPath.keys()) inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
      for (const c of n.children ?? []) {
        const child = byId.get(c);
        if (child !== undefined) visit(child);
      }
      if (own) {
        const left = (onPath.get(k) as number) - 1;
        if (left === 0) onPath.delete(k);
        else onPath.set(k, left);
      }
    };
    visit(root);
  }

  const lines = (m: Map<string, number>): Line[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, pct: totalMs === 0 ? 0 : (ms / totalMs) * 100 }));
  return { totalMs, bySelf: lines(self), byFile: lines(byFile), ownInclusive: lines(inclusive) };
}

export function formatSummary(s: ProfileSummary): string {
  const block = (title: string, lines: readonly Line[]): string =>
    [title, ...lines.map((l) => `  ${l.pct.toFixed(1).padStart(5)}%  ${l.ms.toFixed(0).padStart(7)} ms  ${l.name}`)].join('\n');
  return [
    `profile: ${(s.totalMs / 1000).toFixed(1)} s sampled`,
    block('top self time, by function:', s.bySelf),
    block('self time, by file:', s.byFile),
    block("inclusive time of Switchyard's own functions:", s.ownInclusive),
  ].join('\n\n');
}

export function summarizeFile(path: string, top: number): string {
  return formatSummary(summarize(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, top));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  for (const file of positionals) process.stdout.write(`${file}\n${summarizeFile(file, Number(values.top))}\n\n`);
}
