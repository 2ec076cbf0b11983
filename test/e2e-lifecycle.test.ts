// The server process's life, end to end: startup to ready, graceful shutdown on SIGTERM and SIGINT
// with requests in flight (every 200 is in the store, exit code 0, promptly), refusal of bad
// options with a clear message, and configuration from flags, SWITCHYARD_* environment variables
// and a --config file, checked through what the API answers.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';

import { DescribeEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

import { assertNoServersLeft, BIN, freshDataDir, openDatabase, removeDataDir, startServer, untilListening } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

/** How long after its last in-flight request finished a stopping server may take to exit. */
const EXIT_BOUND_MS = 3000;

// ---------------------------------------------------------------------------------------------
// Helpers

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-lifecycle-'));
  tempDirs.push(dir);
  return dir;
}

/** process.env without SWITCHYARD_* options, so that the caller's shell cannot change a test. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SWITCHYARD_') || k === 'SWITCHYARD_REQUIRE_SERVICES') env[k] = v;
  }
  return { ...env, ...extra };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `check` every few milliseconds until it holds (or fail after `ms`). */
async function waitFor(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** A free TCP port on 127.0.0.1 (closed again, for a server to take). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with the exit code and signal; attach before signalling. */
function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** `switchyard serve ...` run to completion (for options that must be refused). */
function runServe(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, 'serve', ...args], { env, cwd: tempDir(), timeout: 10_000 }, (err, _out, stderr) => {
      if (err !== null && typeof err.code !== 'number' && err.killed !== true) {
        reject(err);
        return;
      }
      resolve({ code: child.exitCode, stderr });
    });
  });
}

interface Spawned {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly stderr: () => string;
}
const spawned = new Set<ChildProcess>();

/**
 * `switchyard serve` with exactly these arguments and environment (no --port/--data-dir added, unlike
 * the shared helper), in a fresh working directory; ready when it logs its URL.
 */
async function spawnServe(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Spawned> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: tempDir(), env, stdio: ['ignore', 'ignore', 'pipe'] });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  const { url, stderr } = await untilListening(child);
  return { url, port: Number(new URL(url).port), child, stderr };
}

async function stopSpawned(s: Spawned): Promise<void> {
  const exited = exitOf(s.child);
  s.child.kill('SIGTERM');
  const { code } = await exited;
  assert.equal(code, 0, s.stderr());
}

/** An EventBridge operation without any signature (the loopback development rule). */
async function unsigned(url: string, operation: string, input: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'x-amz-target': `AWSEvents.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function sdk(url: string, region = 'us-east-1'): EventBridgeClient {
  return new EventBridgeClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

/** Whether a brand-new TCP connection to the port is accepted. */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A PutEvents request held in flight: sent with `Expect: 100-continue`, so once the server answers
 * `100 Continue` it has parsed the request and is reading its body; then half the body is sent.
 * `finish()` sends the rest and resolves with the response. Runs on a keep-alive agent, as SDKs do.
 */
interface HeldRequest {
  finish(): Promise<{ status: number; connection: string | undefined; body: Record<string, unknown> }>;
}
async function holdPutEvents(port: number, agent: http.Agent, detail: Record<string, unknown>): Promise<HeldRequest> {
  const body = JSON.stringify({ Entries: [{ Source: 'lifecycle', DetailType: 'held', Detail: JSON.stringify(detail) }] });
  const half = Math.floor(body.length / 2);
  let req!: http.ClientRequest;
  const response = new Promise<{ status: number; connection: string | undefined; body: Record<string, unknown> }>((resolve, reject) => {
    req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: 'POST',
        path: '/',
        headers: {
          'x-amz-target': 'AWSEvents.PutEvents',
          'content-type': 'application/x-amz-json-1.1',
          'content-length': Buffer.byteLength(body),
          expect: '100-continue',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: JSON.parse(text) as Record<string, unknown> }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    req.once('continue', () => req.write(body.slice(0, half), () => resolve()));
    req.once('error', reject);
    req.flushHeaders();
  });
  return {
    finish() {
      req.end(body.slice(half));
      return response;
    },
  };
}

/** The stored envelope of each id (undefined when missing), read after the server exited. */
function storedEnvelopes(dataDir: string, ids: readonly string[]): Map<string, Record<string, unknown> | undefined> {
  const db = openDatabase(dataDir);
  try {
    const get = db.prepare('SELECT envelope FROM events WHERE id = ?');
    return new Map(
      ids.map((id) => {
        const row = get.get(id) as { envelope: string } | undefined;
        return [id, row === undefined ? undefined : (JSON.parse(row.envelope) as Record<string, unknown>)];
      }),
    );
  } finally {
    db.close();
  }
}

/** Wait for the exit after a stop signal, at most EXIT_BOUND_MS; past that, SIGKILL and fail. */
async function expectPromptExit(
  server: ServerProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  signal: string,
  servedAfterSignal: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timer = delay(EXIT_BOUND_MS).then(() => 'timeout' as const);
  const result = await Promise.race([exited, timer]);
  if (result === 'timeout') {
    await server.stop('SIGKILL');
    assert.fail(
      `the server did not exit within ${EXIT_BOUND_MS} ms after ${signal} once its in-flight requests were answered ` +
        `(the clients still hold their keep-alive connections; ${servedAfterSignal} request(s) answered with ` +
        `"Connection: keep-alive" after the signal)`,
    );
  }
  return result;
}

after(() => {
  for (const dir of tempDirs) removeDataDir(dir);
  const left = spawned.size;
  for (const child of spawned) child.kill('SIGKILL');
  spawned.clear();
  assertNoServersLeft();
  if (left > 0) throw new Error(`${left} spawned server process(es) were left running`);
});

// ---------------------------------------------------------------------------------------------

describe('startup', () => {
  it('serve --port 0 reaches /health 200 well under a second', async (t) => {
    const t0 = performance.now();
    const server = await startServer();
    try {
      let res: Response;
      do {
        res = await fetch(`${server.url}/health`);
      } while (res.status !== 200 && performance.now() - t0 < 5000);
      const elapsed = performance.now() - t0;
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(typeof (await res.json()), 'object');
      t.diagnostic(`spawn to /health 200: ${elapsed.toFixed(0)} ms (node start, store open, migrations, listen)`);
      assert.ok(elapsed < 5000, `startup took ${elapsed.toFixed(0)} ms`);

      // A restart on an existing data directory (no migrations to run) is ready as fast.
      assert.equal(await server.stop(), 0);
      const t1 = performance.now();
      const again = await startServer({ dataDir: server.dataDir });
      const health = await fetch(`${again.url}/health`);
      t.diagnostic(`restart to /health ${health.status}: ${(performance.now() - t1).toFixed(0)} ms`);
      assert.equal(health.status, 200);
      assert.equal(await again.stop(), 0);
    } finally {
      await server.stop('SIGKILL');
      removeDataDir(server.dataDir);
    }
  });
});

describe('graceful shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} with requests in flight: they are answered 200 and stored, new connections refused, exit 0`, async () => {
      const server = await startServer();
      const agent = new http.Agent({ keepAlive: true });
      try {
        const held = await Promise.all([0, 1, 2].map((n) => holdPutEvents(server.port, agent, { n })));
        const exited = exitOf(server.process);
        server.process.kill(signal);
        await waitFor(`the server to log "stopping" after ${signal}`, () => /"msg":"stopping"/.test(server.stderr()));

        assert.equal(await acceptsConnections(server.port), false, `a new connection was accepted after ${signal}`);

        const responses = await Promise.all(held.map((h) => h.finish()));
        const ids: string[] = [];
        for (const r of responses) {
          assert.equal(r.status, 200, JSON.stringify(r.body));
          assert.equal(r.body.FailedEntryCount, 0);
          const id = (r.body.Entries as { EventId?: string }[])[0]?.EventId;
          assert.ok(id);
          ids.push(id);
        }
        const keptAlive = responses.filter((r) => r.connection !== 'close').length;

        const { code, signal: killedBy } = await expectPromptExit(server, exited, signal, keptAlive);
        assert.equal(killedBy, null, `the server died of ${killedBy} instead of exiting`);
        assert.equal(code, 0, server.stderr());
        assert.doesNotMatch(server.stderr(), /"level":"error"/);

        const stored = storedEnvelopes(server.dataDir, ids);
        for (const [id, envelope] of stored) {
          assert.ok(envelope, `event ${id} was acknowledged with 200 but is not in the store`);
          assert.equal(envelope.source, 'lifecycle');
        }
      } finally {
        agent.destroy();
        await server.stop('SIGKILL');
        removeDataDir(server.dataDir);
      }
    });
  }

  it('SIGTERM under SDK load: every PutEvents answered 200 is in the store, exit 0', async (t) => {
    const server = await startServer();
    const client = sdk(server.url);
    const acked: { id: string; seq: number }[] = [];
    let seq = 0;
    let signalled = false;
    let failed = 0;
    let answeredAfterSignal = 0;
    let exited: ReturnType<typeof exitOf> | undefined;
    try {
      const loop = async (): Promise<void> => {
        while (!signalled) {
          const seqs = [seq++, seq++, seq++];
          try {
            const out = await client.send(
              new PutEventsCommand({
                Entries: seqs.map((n) => ({ Source: 'lifecycle', DetailType: 'load', Detail: JSON.stringify({ seq: n }) })),
              }),
            );
            assert.equal(out.FailedEntryCount, 0);
            if (signalled) answeredAfterSignal++;
            out.Entries?.forEach((e, i) => acked.push({ id: e.EventId as string, seq: seqs[i] as number }));
          } catch (e) {
            assert.ok(signalled, `PutEvents failed before the signal: ${String(e)}`);
            failed++;
            return;
          }
          // The signal goes out once 40 requests were acknowledged, while the other loops are mid-request.
          if (!signalled && acked.length >= 120) {
            signalled = true;
            exited = exitOf(server.process);
            server.process.kill('SIGTERM');
          }
        }
      };
      await Promise.all(Array.from({ length: 6 }, loop));
      assert.ok(exited);
      // Close the client's keep-alive connections: whether the server exits while a client holds
      // them is the business of the tests above; this one is about what was stored.
      client.destroy();
      const { code, signal } = await expectPromptExit(server, exited, 'SIGTERM', answeredAfterSignal);
      assert.equal(signal, null);
      assert.equal(code, 0, server.stderr());
      const stored = storedEnvelopes(server.dataDir, acked.map((a) => a.id));
      for (const a of acked) {
        const envelope = stored.get(a.id);
        assert.ok(envelope, `event ${a.id} was acknowledged with 200 but is not in the store`);
        assert.equal((envelope.detail as { seq: number }).seq, a.seq);
      }
      t.diagnostic(`${acked.length} acknowledged events verified after SIGTERM; ${answeredAfterSignal} request(s) in flight at the signal answered 200, ${failed} refused`);
    } finally {
      client.destroy();
      await server.stop('SIGKILL');
      removeDataDir(server.dataDir);
    }
  });
});

describe('bad options are refused with a clear message and no stack trace', () => {
  const file = join(tempDir(), 'a-regular-file');
  writeFileSync(file, 'not a directory\n');
  const cases: { name: string; args: string[]; env?: Record<string, string>; message: RegExp }[] = [
    { name: '--port abc', args: ['--port', 'abc'], message: /port must be an integer from 0 to 65535, not 'abc'/ },
    { name: '--port 70000', args: ['--port', '70000'], message: /port must be an integer from 0 to 65535, not '70000'/ },
    { name: '--store nope', args: ['--store', 'nope'], message: /store must be sqlite or postgres, not 'nope'/ },
    { name: '--store postgres without a URL', args: ['--store', 'postgres'], message: /postgres.*--postgres-url/ },
    {
      name: '--host 0.0.0.0 without credentials',
      args: ['--host', '0.0.0.0'],
      message: /refusing to listen on 0\.0\.0\.0 without credentials/,
    },
    {
      name: 'SWITCHYARD_HOST=0.0.0.0 without credentials',
      args: [],
      env: { SWITCHYARD_HOST: '0.0.0.0' },
      message: /refusing to listen on 0\.0\.0\.0 without credentials/,
    },
    { name: '--region nowhere', args: ['--region', 'nowhere'], message: /region 'nowhere' is not a region name/ },
    { name: '--account 12', args: ['--account', '12'], message: /account must be 12 digits/ },
    { name: '--data-dir under a regular file', args: ['--data-dir', join(file, 'data')], message: /cannot open the data directory .*not a directory/i },
    { name: '--data-dir that is a regular file', args: ['--data-dir', file], message: /cannot open the data directory/ },
    { name: '--config of a missing file', args: ['--config', join(file, 'nope.json')], message: /cannot read config file/ },
    { name: 'an unknown option', args: ['--bogus'], message: /unknown option '--bogus'/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dataDir = c.args.includes('--data-dir') ? [] : ['--data-dir', join(tempDir(), 'data')];
      const portArgs = c.args.includes('--port') ? [] : ['--port', '0'];
      const { code, stderr } = await runServe([...portArgs, ...dataDir, ...c.args], cleanEnv(c.env));
      assert.notEqual(code, 0, `serve ${c.args.join(' ')} should have been refused`);
      assert.notEqual(code, null, `serve ${c.args.join(' ')} did not exit by itself:\n${stderr}`);
      assert.match(stderr, c.message);
      assert.doesNotMatch(stderr, /^\s+at /m, `stack trace on stderr:\n${stderr}`);
      assert.doesNotMatch(stderr, /"msg":"listening"/);
    });
  }
});

describe('configuration', () => {
  it('from SWITCHYARD_* environment variables', async () => {
    const port = await freePort();
    const dataDir = join(tempDir(), 'env-data');
    const s = await spawnServe(
      [],
      cleanEnv({ SWITCHYARD_PORT: String(port), SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_REGION: 'eu-west-1', SWITCHYARD_ACCOUNT: '111122223333' }),
    );
    try {
      assert.equal(s.port, port);
      assert.equal(s.url, `http://127.0.0.1:${port}`);
      const r = await unsigned(s.url, 'DescribeEventBus', {});
      assert.equal(r.status, 200);
      assert.equal(r.body.Arn, 'arn:aws:events:eu-west-1:111122223333:event-bus/default');
      // The SDK signs with its own region; the request acts in the configured account.
      const client = sdk(s.url, 'eu-west-1');
      const out = await client.send(new DescribeEventBusCommand({}));
      client.destroy();
      assert.equal(out.Arn, 'arn:aws:events:eu-west-1:111122223333:event-bus/default');
    } finally {
      await stopSpawned(s);
    }
    assert.ok(existsSync(join(dataDir, 'switchyard.db')), 'the store is not in SWITCHYARD_DATA_DIR');
  });

  it('from a --config JSON file', async () => {
    const port = await freePort();
    const dir = tempDir();
    const config = join(dir, 'switchyard.json');
    writeFileSync(config, JSON.stringify({ port, dataDir: join(dir, 'cfg-data'), region: 'ap-southeast-2', account: '222233334444' }));
    const s = await spawnServe(['--config', config], cleanEnv());
    try {
      assert.equal(s.port, port);
      const r = await unsigned(s.url, 'DescribeEventBus', {});
      assert.equal(r.status, 200);
      assert.equal(r.body.Arn, 'arn:aws:events:ap-southeast-2:222233334444:event-bus/default');
      const client = sdk(s.url, 'ap-southeast-2');
      const out = await client.send(
        new PutEventsCommand({ Entries: [{ Source: 'cfg', DetailType: 'x', Detail: '{}' }] }),
      );
      client.destroy();
      assert.equal(out.FailedEntryCount, 0);
    } finally {
      await stopSpawned(s);
    }
    assert.ok(existsSync(join(dir, 'cfg-data', 'switchyard.db')), 'the store is not in the config file dataDir');
  });

  it('precedence: flags over SWITCHYARD_* over the config file (SWITCHYARD_CONFIG names the file)', async () => {
    const dir = tempDir();
    const config = join(dir, 'switchyard.json');
    const filePort = await freePort();
    writeFileSync(
      config,
      JSON.stringify({ port: filePort, dataDir: join(dir, 'data'), region: 'ap-southeast-2', account: '222233334444' }),
    );
    const s = await spawnServe(
      ['--account', '333344445555'],
      cleanEnv({ SWITCHYARD_CONFIG: config, SWITCHYARD_REGION: 'eu-central-1', SWITCHYARD_ACCOUNT: '444455556666' }),
    );
    try {
      assert.equal(s.port, filePort, 'the port comes from the config file');
      const r = await unsigned(s.url, 'DescribeEventBus', {});
      assert.equal(r.status, 200);
      // region: environment over file; account: flag over environment and file.
      assert.equal(r.body.Arn, 'arn:aws:events:eu-central-1:333344445555:event-bus/default');
    } finally {
      await stopSpawned(s);
    }
  });

  it('--region on the command line sets the region of unsigned requests', async () => {
    const dataDir = freshDataDir();
    const server = await startServer({ dataDir, args: ['--region', 'eu-west-1'] });
    try {
      const r = await unsigned(server.url, 'DescribeEventBus', {});
      assert.equal(r.status, 200);
      assert.equal(r.body.Arn, 'arn:aws:events:eu-west-1:000000000000:event-bus/default');
    } finally {
      assert.equal(await server.stop(), 0);
      removeDataDir(dataDir);
    }
  });
});
