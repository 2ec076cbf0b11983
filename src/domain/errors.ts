/**
 * The error catalogue: every error Switchyard raises on purpose has a stable code here, with the
 * HTTP status it maps to at the edge. Codes are AWS's wire `__type` names, so the HTTP layer can
 * translate a `SwitchyardError` to an AWS error body in one place without a second table.
 *
 * Modules throw `SwitchyardError` (or a subclass) with a code from this catalogue and the exact
 * message AWS would send; they never build wire responses themselves.
 */

export const ERROR_CATALOGUE = {
  // Request and protocol
  /** A request parameter failed validation. */
  ValidationException: { status: 400, summary: 'A parameter failed validation.' },
  /** The request body could not be read as the operation's input. */
  SerializationException: { status: 400, summary: 'The request body is malformed.', json: 'com.amazon.coral.service#SerializationException', query: 'MalformedInput' },
  /** X-Amz-Target names no operation of the service. */
  UnknownOperationException: { status: 400, summary: 'The operation is not known.', json: 'com.amazon.coral.service#UnknownOperationException', query: 'InvalidAction' },
  /** The request body is larger than the server accepts. */
  RequestEntityTooLargeException: { status: 413, summary: 'The request body is too large.' },
  // Authentication
  MissingAuthenticationTokenException: { status: 400, summary: 'The request is not signed.' },
  IncompleteSignatureException: { status: 400, summary: 'The Authorization header is malformed.' },
  InvalidSignatureException: { status: 400, summary: 'The signature does not match, or has expired.' },
  UnrecognizedClientException: { status: 400, summary: 'The access key is not known.' },
  AccessDeniedException: { status: 400, summary: 'The caller may not perform the action.' },
  // Resources
  ResourceNotFoundException: { status: 400, summary: 'The resource does not exist.' },
  ResourceAlreadyExistsException: { status: 400, summary: 'The resource already exists.' },
  LimitExceededException: { status: 400, summary: 'A quota would be exceeded.' },
  ConcurrentModificationException: { status: 400, summary: 'The resource changed concurrently.' },
  ManagedRuleException: { status: 400, summary: 'The rule is managed by a service.' },
  PolicyLengthExceededException: { status: 400, summary: 'The resource policy is too long.' },
  /** An event pattern that AWS would refuse (PutRule, TestEventPattern). */
  InvalidEventPatternException: { status: 400, summary: 'The event pattern is not valid.' },
  // Server faults
  InternalException: { status: 500, summary: 'The server failed.' },
  // SQS. On AWS JSON 1.0 the `__type` is `json` when given, else `com.amazonaws.sqs#<code>`;
  // `query` is the code SQS's query protocol answers with, also sent in the x-amzn-query-error
  // header (the code itself when absent). Codes, statuses, messages: docs/notes/aws-sqs-api.md.
  QueueDoesNotExist: { status: 400, summary: 'The queue does not exist.', query: 'AWS.SimpleQueueService.NonExistentQueue' },
  QueueNameExists: { status: 400, summary: 'A queue of that name exists with other attributes.', query: 'QueueAlreadyExists' },
  QueueDeletedRecently: { status: 400, summary: 'A queue of that name was deleted less than 60 s ago.', query: 'AWS.SimpleQueueService.QueueDeletedRecently' },
  PurgeQueueInProgress: { status: 403, summary: 'The queue was purged less than 60 s ago.', query: 'AWS.SimpleQueueService.PurgeQueueInProgress' },
  ReceiptHandleIsInvalid: { status: 404, summary: 'The receipt handle is not one SQS issued.' },
  InvalidAttributeName: { status: 400, summary: 'An attribute name is not known.' },
  InvalidAttributeValue: { status: 400, summary: 'An attribute value is not valid.' },
  InvalidMessageContents: { status: 400, summary: 'The message has characters SQS does not allow.' },
  EmptyBatchRequest: { status: 400, summary: 'The batch has no entries.', query: 'AWS.SimpleQueueService.EmptyBatchRequest' },
  TooManyEntriesInBatchRequest: { status: 400, summary: 'The batch has more than 10 entries.', query: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest' },
  BatchEntryIdsNotDistinct: { status: 400, summary: 'Two batch entries have the same id.', query: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct' },
  InvalidBatchEntryId: { status: 400, summary: 'A batch entry id is not valid.', query: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
  BatchRequestTooLong: { status: 400, summary: 'The batch is larger than 1 MiB.', query: 'AWS.SimpleQueueService.BatchRequestTooLong' },
  UnsupportedOperation: { status: 400, summary: 'The operation is not supported here.', query: 'AWS.SimpleQueueService.UnsupportedOperation' },
  OverLimit: { status: 403, summary: 'A limit would be exceeded.' },
  /** Another account's queue whose policy does not allow the caller the action. */
  SqsAccessDenied: { status: 403, summary: "Another account's queue, whose policy does not allow the action.", json: 'com.amazon.coral.service#AccessDeniedException', query: 'AccessDenied' },
  /** A message move task, or its source or destination queue, does not exist. */
  SqsResourceNotFound: { status: 404, summary: 'A move task or its queue does not exist.', json: 'com.amazonaws.sqs#ResourceNotFoundException', query: 'ResourceNotFoundException' },
  InvalidParameterValue: { status: 400, summary: 'A parameter value is not valid (SQS).', json: 'com.amazon.coral.service#InvalidParameterValueException' },
  MissingParameter: { status: 400, summary: 'A required parameter is missing (SQS).', json: 'com.amazon.coral.service#MissingRequiredParameterException' },
  // SQS's signature refusals (src/http/sigv4.ts answers them for the service 'sqs').
  MissingAuthenticationToken: { status: 403, summary: 'The request is not signed (SQS).', json: 'com.amazon.coral.service#MissingAuthenticationTokenException' },
  IncompleteSignature: { status: 400, summary: 'The Authorization header is malformed (SQS).', json: 'com.amazon.coral.service#IncompleteSignatureException' },
  SignatureDoesNotMatch: { status: 403, summary: 'The signature does not match, or has expired (SQS).', json: 'com.amazon.coral.service#InvalidSignatureException' },
  InvalidClientTokenId: { status: 403, summary: 'The access key is not known (SQS).', json: 'com.amazon.coral.service#UnrecognizedClientException' },
  InvalidAction: { status: 400, summary: 'The query-protocol Action is not known (SQS).', json: 'com.amazon.coral.service#UnknownOperationException' },
} as const satisfies Record<string, { status: number; summary: string; query?: string; json?: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The code SQS's query protocol (and its x-amzn-query-error header) gives an error. */
export function queryCode(code: ErrorCode): string {
  const entry = ERROR_CATALOGUE[code];
  return 'query' in entry ? entry.query : code;
}

/** The `__type` SQS's JSON protocol gives an error. */
export function sqsJsonType(code: ErrorCode): string {
  const entry = ERROR_CATALOGUE[code];
  return 'json' in entry ? entry.json : `com.amazonaws.sqs#${code}`;
}

export class SwitchyardError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = code;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/** SQS's InvalidParameterValue, the error most of its checks answer with. */
export function invalidParameterValue(message: string): SwitchyardError {
  return new SwitchyardError('InvalidParameterValue', message);
}
