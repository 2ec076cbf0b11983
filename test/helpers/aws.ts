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

// --- SQS errors ---------------------------------------------------------------------------------

export interface Expected {
  /** The SDK's error name: the exception shape (or, for Coral errors, the query code). */
  readonly name: string;
  readonly message: string | RegExp;
  /** HTTP status; 400 unless given. */
  readonly status?: number;
  /** The SDK's `Code` (x-amzn-query-error); the name unless given. */
  readonly code?: string;
}

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string; Type?: string; $fault?: string };

/**
 * The call fails with exactly this SQS error, as the SDK shows it: its name (the JSON `__type`),
 * message, HTTP status, and the Code/Type it takes from the x-amzn-query-error header.
 */
export async function fails(p: Promise<unknown>, e: Expected): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof Error, `expected ${e.name}, but the call succeeded`);
  const err = caught as SdkError;
  assert.equal(err.name, e.name, `error ${err.name}: ${err.message}`);
  if (typeof e.message === 'string') assert.equal(err.message, e.message);
  else assert.match(err.message, e.message);
  assert.equal(err.$metadata?.httpStatusCode, e.status ?? 400, 'HTTP status');
  assert.equal(err.Code, e.code ?? e.name, 'Code (x-amzn-query-error)');
  assert.equal(err.Type, 'Sender', 'Type (x-amzn-query-error)');
  assert.equal(err.$fault, 'client');
}
