// The ceiling of the ingest benchmark: a bare node:http server that does the least a PutEvents
// server must do (read the body, JSON.parse it, answer a PutEvents-shaped 200 with one random
// EventId per entry) and nothing else: no validation, no matching, no store.
//
//   node dist/bench/ingest/bare-server.js [--port N] [--host H]
//
// Prints `{"listening":PORT}` on stdout once it listens; stops on SIGTERM or SIGINT.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let entries: unknown;
    try {
      entries = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: unknown }).Entries;
    } catch {
      entries = undefined;
    }
    if (!Array.isArray(entries)) {
      const text = '{"__type":"SerializationException","message":"bad body"}';
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const text = JSON.stringify({ FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) });
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  });
});
server.keepAliveTimeout = 65_000;

server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`);
});

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
