// A delivery test bench in one process: the real server (startServer) on an injected clock with
// fixed jitter, the real EventBridge SDK, and a real HTTP sink that answers as a test cues it and
// counts what it sees (arrivals with the clock's time, requests under way at once). Time is
// moved, not slept on: `advance(ms)` moves the clock and waits for the dispatcher to attempt
// what fell due (settleDeliveries). `restart()` stops the server and starts it again on the same
// data directory, as after a deploy.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EventBridgeClient, PutEventsCommand, TagResourceCommand } from '@aws-sdk/client-eventbridge';
import type { Target } from '@aws-sdk/client-eventbridge';

import { call } from '../../src/cli/client.js';
import { resolveOptions } from '../../src/config/options.js';
import { startServer } from '../../src/server.js';
import type { RunningServer } from '../../src/server.js';
import { sinkRouter } from './destinations.js';
import type { SinkRoute, SinkRouter } from './destinations.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

/** How the sink answers one request: a status, after `holdMs` of real time when given. */
export interface Answer {
  readonly status: number;
  readonly holdMs?: number;
}

export interface Arrival {
  /** The injected clock when the request arrived. */
  readonly clock: number;
  readonly path: string;
  readonly body: string;
  /** The status the sink answered. */
  readonly status: number;
}

export class DeliveryBench {
  clock = Date.parse('2026-11-27T12:00:00Z');
  readonly arrivals: Arrival[] = [];
  /** Per path: how the next requests are answered (200 when it returns undefined). */
  readonly answers = new Map<string, (body: string) => Answer | undefined>();
  /** Per path: requests under way now, and the most at once. */
  readonly underWay = new Map<string, number>();
  readonly mostAtOnce = new Map<string, number>();
  server!: RunningServer;
  events!: EventBridgeClient;
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  private sink!: Server;
  private sinkUrl = '';
  private router: SinkRouter | undefined;
  private readonly held = new Set<ServerResponse>();

  async start(): Promise<void> {
    this.sink = createServer((req, res) => this.handle(req, res));
    this.sink.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.sink.listen(0, '127.0.0.1', resolve));
    this.sinkUrl = `http://127.0.0.1:${(this.sink.address() as AddressInfo).port}`;
    await this.startServer();
  }

  private async startServer(): Promise<void> {
    const options = resolveOptions({ port: 0, dataDir: this.dir }, {});
    this.server = await startServer(options, () => undefined, { now: () => this.clock, random: () => 0.5, httpTimeoutMs: 2_000 });
    this.events = new EventBridgeClient({ endpoint: this.server.url, region: REGION, credentials, maxAttempts: 1 });
    this.router = undefined;
  }

  /** Stop the server (in-flight attempts end) and start it again on the same data directory. */
  async restart(): Promise<void> {
    this.events.destroy();
    await this.server.close();
    await this.startServer();
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.events?.destroy();
    await this.server?.close();
    await new Promise<void>((resolve) => this.sink.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A rule on source `name` with one API destination target `sink` posting to /name. */
  async route(name: string, settings: Partial<Target> = {}): Promise<SinkRoute> {
    this.router ??= sinkRouter(this.events, this.sinkUrl, { account: ACCOUNT, region: REGION });
    // InvocationRateLimitPerSecond far above any test's load: the target options are what is tested.
    return this.router.route(name, settings, 100_000);
  }

  /** Set the target's options with rule tags (switchyard:target:sink:<option>). */
  async tag(ruleArn: string, options: Record<string, string>): Promise<void> {
    const Tags = Object.entries(options).map(([option, Value]) => ({ Key: `switchyard:target:sink:${option}`, Value }));
    await this.events.send(new TagResourceCommand({ ResourceARN: ruleArn, Tags }));
  }

  /** Put events with these details on source `source`, 10 per request; their ids in order. */
  async put(source: string, details: readonly unknown[]): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < details.length; i += 10) {
      const Entries = details.slice(i, i + 10).map((d) => ({ Source: source, DetailType: 'Test', Detail: JSON.stringify(d) }));
      const out = await this.events.send(new PutEventsCommand({ Entries }));
      assert.equal(out.FailedEntryCount, 0);
      ids.push(...(out.Entries ?? []).map((e) => e.EventId as string));
    }
    return ids;
  }

  /** A Switchyard API call (src/api/switchyard.ts and its families). */
  switchyard(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    return call(`Switchyard.${operation}`, input, { endpoint: this.server.url, env: {} });
  }

  /** Let the dispatcher attempt what is due now. */
  settle(): Promise<void> {
    return this.server.settleDeliveries();
  }

  /** Move the clock and let the dispatcher attempt what fell due. */
  async advance(ms: number): Promise<void> {
    this.clock += ms;
    await this.server.settleDeliveries();
  }

  /** The arrivals at /name (every request, whatever it was answered). */
  at(name: string): Arrival[] {
    return this.arrivals.filter((a) => a.path === `/${name}`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const now = (this.underWay.get(path) ?? 0) + 1;
      this.underWay.set(path, now);
      this.mostAtOnce.set(path, Math.max(now, this.mostAtOnce.get(path) ?? 0));
      const answer = this.answers.get(path)?.(body) ?? { status: 200 };
      this.arrivals.push({ clock: this.clock, path, body, status: answer.status });
      const reply = (): void => {
        this.held.delete(res);
        this.underWay.set(path, (this.underWay.get(path) ?? 1) - 1);
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.status < 300 ? 'ok' : 'not ok');
      };
      if (answer.holdMs === undefined) reply();
      else {
        this.held.add(res);
        setTimeout(reply, answer.holdMs);
      }
    });
  }
}
