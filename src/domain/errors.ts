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
  SerializationException: { status: 400, summary: 'The request body is malformed.' },
  /** X-Amz-Target names no operation of the service. */
  UnknownOperationException: { status: 400, summary: 'The operation is not known.' },
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
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

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
