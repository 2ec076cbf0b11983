/**
 * Starting and stopping a Switchyard server: open the store, load the router from it, build the
 * services and the HTTP edge, listen. `close()` stops accepting connections, lets in-flight
 * requests finish, and closes the store.
 */
import type { Server } from 'node:http';
import { eventBridgeService } from './api/eventbridge.js';
import { signingOperations } from './api/signing.js';
import { sqsService } from './api/sqs.js';
import { switchyardService } from './api/switchyard.js';
import { targetOptionsOperations } from './api/target-options.js';
import { traceOperations } from './api/trace.js';
import type { Services } from './api/services.js';
import { ConfigError } from './config/options.js';
import type { Options } from './config/options.js';
import { newEventId } from './domain/ids.js';
import type { AcceptedEvent, Target } from './domain/model.js';
import { createEdge, listen } from './http/server.js';
import type { Handler } from './http/server.js';
import { GroupCommit } from './ingest/group-commit.js';
import { parsePattern } from './pattern/index.js';
import { QueueEngine } from './queues/engine.js';
import { ApiDestinationAdapter, QueueAdapter } from './delivery/adapters.js';
import { BusAdapter } from './delivery/bus-target.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { HttpTargets } from './delivery/http-target.js';
import { TargetOptionsRegistry } from './delivery/target-options.js';
import { ssrfPolicy } from './delivery/ssrf.js';
import { Router } from './rules/router.js';
import type { Store } from './store/port.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import { SecretBox } from './connections/secret-box.js';
import { ConnectionVault } from './connections/vault.js';

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  readonly store: Store;
  /** Resolves once every delivery due now has been attempted (in-process tests drive time). */
  settleDeliveries(): Promise<void>;
  close(): Promise<void>;
}

/** What an in-process test may inject; a served process uses the real clock and jitter. */
export interface ServerHooks {
  /** Milliseconds since the epoch: events, queues, retries and dead-lettering read this clock. */
  readonly now?: () => number;
  /** Retry jitter in [0, 1). */
  readonly random?: () => number;
  /** The deadline of one HTTP delivery attempt, in ms (EventBridge's 5 s by default). */
  readonly httpTimeoutMs?: number;
}

export type Log = (line: Record<string, unknown>) => void;

/** How long a stopping server waits for in-flight requests before closing their connections. */
export const CLOSE_GRACE_MS = 10_000;

export const jsonLog: Log = (line) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);

export async function startServer(options: Options, log: Log = jsonLog, hooks: ServerHooks = {}): Promise<RunningServer> {
  if (options.store !== 'sqlite') throw new ConfigError('the postgres store is not built yet; use --store sqlite');
  const store = openSqliteStore(options.dataDir);
  let box: SecretBox;
  try {
    box = SecretBox.open(options.dataDir, options.secretKeyFile);
  } catch (e) {
    await store.close();
    throw e;
  }
  const vault = new ConnectionVault(store, box);
  const compilePattern = (text: string) => parsePattern(text, { maxLength: options.maxPatternLength });
  const router = new Router(compilePattern);
  const targetOptions = new TargetOptionsRegistry();
  for (const rule of await store.allRules()) {
    router.putRule(rule);
    targetOptions.setRuleTags(rule.arn, await store.getTags(rule.arn));
  }
  const byRule = new Map<string, Target[]>();
  for (const { ruleArn, target } of await store.allTargets()) {
    let list = byRule.get(ruleArn);
    if (list === undefined) byRule.set(ruleArn, (list = []));
    list.push(target);
  }
  for (const [ruleArn, targets] of byRule) router.putTargets(ruleArn, targets);

  const services: Services = {
    options,
    store,
    router,
    commit: new GroupCommit<AcceptedEvent>(async (batch) => {
      await store.appendEvents(batch);
      dispatcher.committed(batch);
    }),
    now: hooks.now ?? (() => Date.now()),
    newId: () => newEventId(),
    compilePattern,
    vault,
    targetOptions,
  };
  const engine = new QueueEngine({ store: store.queues, now: services.now });
  const http = new HttpTargets({
    ssrf: ssrfPolicy(options.host),
    now: services.now,
    ...(hooks.httpTimeoutMs === undefined ? {} : { timeoutMs: hooks.httpTimeoutMs }),
    onConnectionState: (arn, state, reason) => vault.setState(arn, state, services.now(), reason),
  });
  const dispatcher = new Dispatcher({
    store,
    engine,
    router,
    now: services.now,
    log,
    adapters: {
      queue: new QueueAdapter(store, engine, services.now),
      'api-destination': new ApiDestinationAdapter(store, vault, http, targetOptions),
      bus: new BusAdapter({ store, router, now: services.now, newId: services.newId, committed: (batch) => dispatcher.committed(batch) }),
    },
    ...(hooks.random === undefined ? {} : { random: hooks.random }),
    targetOptions,
    breakerChanged: ({ ruleArn, targetId }, change) => {
      store.breakers.record({ ruleArn, targetId, ...change }).catch((e: unknown) => log({ level: 'error', msg: 'breaker change not recorded', err: String(e) }));
    },
  });
  // Breakers live in memory: one left OPEN or HALF_OPEN by the last run starts CLOSED; say so.
  for (const left of await store.breakers.leftOpen()) {
    await store.breakers.record({ ...left, at: services.now(), from: left.to, to: 'CLOSED', reason: 'the server restarted' });
  }
  dispatcher.poke();
  let ready = false;
  let listening = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  // Switchyard API operations defined outside src/api/switchyard.ts (one entry per module).
  const switchyardFamilies: Record<string, Handler>[] = [];
  switchyardFamilies.push(signingOperations({ store, vault, now: services.now }));
  switchyardFamilies.push(traceOperations({ store }));
  switchyardFamilies.push(
    targetOptionsOperations({ services, breakerState: (ruleArn, targetId) => dispatcher.breakerStateOf(ruleArn, targetId) }),
  );
  const sqs = sqsService({ engine, now: services.now, baseUrl: (ctx) => `http://${ctx.host ?? listening}` });
  const server: Server = createEdge({
    services: [eventBridgeService(services), sqs, switchyardService({ store, now: services.now, redriven: () => dispatcher.poke() }, ...switchyardFamilies)],
    auth: {
      credentials: new Map(options.credentials.map((c) => [c.accessKeyId, { secretAccessKey: c.secretAccessKey, account: c.account }])),
      defaultAccount: options.account,
      defaultRegion: options.region,
      now: () => new Date(),
    },
    ready: () => ready,
    log,
  });
  const port = await listen(server, options.host, options.port);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  listening = `${host}:${port}`;
  ready = true;
  log({ level: 'info', msg: 'listening', url: `http://${host}:${port}`, store: store.kind, dataDir: options.dataDir });
  return {
    port,
    url: `http://${host}:${port}`,
    store,
    settleDeliveries: () => dispatcher.settle(),
    /** Stop accepting, let in-flight requests finish (at most CLOSE_GRACE_MS), close the store. */
    async close() {
      ready = false;
      // Long polls answer now (they would hold the in-flight wait below for up to 20 s).
      engine.close();
      await new Promise<void>((resolve) => {
        const idle = setInterval(() => server.closeIdleConnections(), 10);
        const deadline = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearInterval(idle);
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      // No request is left: stop delivering (attempts under way end; the rest stay owed).
      await dispatcher.close();
      await http.close();
      await store.close();
    },
  };
}
