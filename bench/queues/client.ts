// The queue benchmark's SQS client: raw AWS JSON 1.0 requests (`x-amz-target: AmazonSQS.<Op>`)
// over a keep-alive node:http Agent, unsigned, bodies built with JSON.stringify and answers read
// with JSON.parse. Deliberately not @aws-sdk/client-sqs: the SDK's middleware stack, its MD5
// checks of every body and its retries would cost the load generator several times what a
// request costs it here, and on a 2-core machine that CPU is taken from the server under test.
//
// Switchyard accepts unsigned requests on loopback when it has no credentials configured;
// moto_server routes a request by the credential scope of its Authorization header and does not
// verify the signature, so the runner passes such a header (MOTO_SQS_HEADERS) for moto only.

import { Agent, request } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';

export const MOTO_SQS_HEADERS: Readonly<Record<string, string>> = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-target, Signature=0',
};

export interface Endpoint {
  readonly port: number;
  /** Extra headers on every request (moto's routing Authorization header). */
  readonly headers: Readonly<Record<string, string>>;
}

/** An SQS answer other than 200, a body that is not JSON, or a transport error. */
export class SqsCallError extends Error {}

export class SqsClient {
  private readonly endpoint: Endpoint;
  private readonly agent: Agent;

  constructor(endpoint: Endpoint, maxSockets: number) {
    this.endpoint = endpoint;
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /**
   * One operation; resolves with the parsed answer (an empty object for an empty body).
   * `onWritten` is called once the whole request has been handed to the socket.
   */
  call(operation: string, input: unknown, onWritten?: () => void): Promise<Record<string, unknown>> {
    const body = Buffer.from(JSON.stringify(input));
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${operation}`,
      'content-length': body.length,
      ...this.endpoint.headers,
    };
    return new Promise((resolve, reject) => {
      const req = request({ agent: this.agent, host: '127.0.0.1', port: this.endpoint.port, method: 'POST', path: '/', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new SqsCallError(`${operation}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
            return;
          }
          try {
            resolve(text === '' ? {} : (JSON.parse(text) as Record<string, unknown>));
          } catch {
            reject(new SqsCallError(`${operation}: not JSON: ${text.slice(0, 300)}`));
          }
        });
        res.on('error', reject);
      });
      req.on('error', (e) => reject(new SqsCallError(`${operation}: ${e.message}`)));
      if (onWritten !== undefined) req.once('finish', onWritten);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A received message, as far as the benchmark reads it. */
export interface Received {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly Body: string;
}

export function messagesOf(answer: Record<string, unknown>): Received[] {
  const m = answer.Messages;
  return Array.isArray(m) ? (m as Received[]) : [];
}

/** Creates the queue (FIFO when the name ends in .fifo) and returns its URL as the server gives it. */
export async function createQueue(client: SqsClient, name: string): Promise<string> {
  const out = await client.call('CreateQueue', { QueueName: name, ...(name.endsWith('.fifo') ? { Attributes: { FifoQueue: 'true' } } : {}) });
  if (typeof out.QueueUrl !== 'string') throw new Error(`CreateQueue ${name}: no QueueUrl in ${JSON.stringify(out)}`);
  return out.QueueUrl;
}


