// What the benchmark runners and load generators share: medians and percentiles, number and
// table formatting for RESULTS.md, progress lines, and the load-generator child process with its
// request/answer IPC.
//
// The IPC protocol with a load generator (bench/*/load.ts): the child sends {type:'ready'} once,
// then answers each command {type, id, ...} with {type:'result', id, result} or
// {type:'error', id, message}; {type:'exit'} ends it.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The value below which `q` (0..1) of the sorted values lie (nearest rank). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(n: number | null): string {
  return n === null || !Number.isFinite(n) ? '-' : `${fmt(n)}%`;
}

/** A Markdown table, columns from `rightFrom` on right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], rightFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i >= rightFrom ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

type Reply = { type: 'ready' } | { type: 'result'; id: number; result: unknown } | { type: 'error'; id: number; message: string };

/** A command as the runner writes it: the process numbers it. */
type WithoutId<C> = C extends unknown ? Omit<C, 'id'> : never;

/** A load generator in its own process (commands `C`), and a promise per command sent to it. */
export class LoadProcess<C extends { readonly type: string }> {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<void>;

  constructor(script: string) {
    this.child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: Reply) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'result') this.waiting.get(m.id)?.resolve(m.result);
        else this.waiting.get(m.id)?.reject(new Error(`load generator: ${m.message}`));
        if (m.type !== 'ready') this.waiting.delete(m.id);
      });
      this.child.once('exit', (code) => {
        const e = new Error(`the load generator exited with ${code}`);
        reject(e);
        for (const w of this.waiting.values()) w.reject(e);
        this.waiting.clear();
      });
    });
  }

  /** Send a command that gets no answer (e.g. set-up before the child is ready). */
  tell(command: WithoutId<C>): void {
    this.child.send(command);
  }

  /** Send a command and resolve with the child's result for it. */
  async ask<R>(command: WithoutId<C>): Promise<R> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: (r) => resolve(r as R), reject });
      this.child.send({ ...command, id });
    });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' });
    await exited;
  }
}
