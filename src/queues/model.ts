/**
 * The queue engine's records, in domain terms (the store keeps them; the SQS API turns them into
 * AWS's wire shapes). Times are milliseconds since the epoch unless a name says otherwise.
 */
import type { Scope } from '../domain/model.js';

/** A queue, with its settable attributes as AWS's strings (defaults filled in at creation). */
export interface Queue extends Scope {
  /** The store's number for this queue; a queue deleted and created again gets a new one. */
  readonly id: number;
  readonly name: string;
  readonly arn: string;
  readonly fifo: boolean;
  /** Settable attributes (VisibilityTimeout, RedrivePolicy, ...), by AWS name, as AWS's strings. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly modifiedAt: number;
}

/** A message attribute as SQS carries it (binary values as base64 text). */
export interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** A message as sent, before the store numbers it. */
export interface NewMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttribute>>;
  /** Message system attributes (only AWSTraceHeader exists). */
  readonly systemAttributes: Readonly<Record<string, MessageAttribute>>;
  readonly md5OfBody: string;
  readonly md5OfAttributes?: string;
  readonly md5OfSystemAttributes?: string;
  readonly senderId: string;
  readonly sentAt: number;
  /** When it may first be received (sentAt + delay). */
  readonly visibleAt: number;
  /** FIFO only. */
  readonly groupId?: string;
  /** FIFO only: MessageDeduplicationId as given, or the body's SHA-256 (content-based). */
  readonly deduplicationId?: string;
  /** FIFO only: what duplicates are found by (the id, within its group when so scoped). */
  readonly deduplicationKey?: string;
}

/** A message in a queue, as the store returns it. */
export interface StoredMessage extends NewMessage {
  /** The store's number for it: orders messages by arrival. */
  readonly seq: number;
  readonly receiveCount: number;
  readonly firstReceivedAt?: number;
  /** The nonce of its latest receipt handle (absent until first received). */
  readonly receipt?: string;
  /** When the receive that returned it claimed it (on receive results only; not stored). */
  readonly receivedAt?: number;
  /** FIFO only: its sequence number (20 digits). */
  readonly sequenceNumber?: string;
  /** The ARN of the queue it was dead-lettered from, once it has been. */
  readonly deadLetterSourceArn?: string;
}

/** The outcome of sending one message. */
export interface SendOutcome {
  readonly messageId: string;
  readonly sequenceNumber?: string;
  /** A FIFO duplicate within the deduplication interval: accepted, not enqueued again. */
  readonly duplicate: boolean;
}

/** The parts of a receipt handle. */
export interface Receipt {
  readonly queueId: number;
  readonly seq: number;
  readonly nonce: string;
}

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

/** A message move task (StartMessageMoveTask): from a dead-letter queue back to a source. */
export interface MoveTask extends Scope {
  readonly handle: string;
  readonly sourceArn: string;
  /** Absent: each message goes back to the queue it was dead-lettered from. */
  readonly destinationArn?: string;
  readonly maxPerSecond?: number;
  readonly status: MoveTaskStatus;
  readonly startedAt: number;
  readonly moved: number;
  readonly toMove: number;
  readonly failureReason?: string;
}
