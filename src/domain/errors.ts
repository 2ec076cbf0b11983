/**
 * The error catalogue: every error Switchyard raises on purpose has a stable code here, with the
 * HTTP status it maps to at the edge. Codes are AWS's wire `__type` names, so the HTTP layer can
 * translate a `SwitchyardError` to an AWS error body in one place without a second table.
 *
 * Modules throw `SwitchyardError` (or a subclass) with a code from this catalogue and the exact
 * message AWS would send; they never build wire responses themselves.
 */

export const ERROR_CATALOGUE = {
  /** An event pattern that AWS would refuse (PutRule, TestEventPattern). */
  InvalidEventPatternException: { status: 400, summary: 'The event pattern is not valid.' },
  /** A request parameter failed validation (e.g. TestEventPattern's event). */
  ValidationException: { status: 400, summary: 'A parameter failed validation.' },
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
