/**
 * Assertions shared by the end-to-end tests: AWS errors as the SDK surfaces them, and the
 * teardown of a server process.
 */
import assert from 'node:assert/strict';
import type { ServerProcess } from './server.js';
import { assertNoServersLeft, removeDataDir } from './server.js';

/** The call fails with AWS error `name` and exactly `message` (or a message matching it), HTTP 400. */
export async function rejects(p: Promise<unknown>, name: string, message: string | RegExp): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected ${name}, but the call succeeded`);
  const e = caught as Error & { $metadata?: { httpStatusCode?: number } };
  assert.equal(e.name, name, `error ${e.name}: ${e.message}`);
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  assert.equal(e.$metadata?.httpStatusCode, 400);
}

/** Stop `server` gracefully (it must exit 0), remove its data, and fail if any server is left. */
export async function stopAndCheck(server: ServerProcess | undefined): Promise<void> {
  try {
    if (server !== undefined) {
      assert.equal(await server.stop(), 0, 'graceful stop exits 0');
      removeDataDir(server.dataDir);
    }
  } finally {
    assertNoServersLeft();
  }
}
