/**
 * The pattern engine's errors, as entries of the project's error catalogue: a bad pattern is
 * AWS's InvalidEventPatternException, a bad event given to TestEventPattern is its
 * ValidationException. Messages are AWS's, word for word.
 */
import { SwitchyardError } from '../domain/errors.js';

const PREFIX = 'Event pattern is not valid. Reason: ';

export class PatternError extends SwitchyardError {
  /** The reason alone, without AWS's prefix and location line. */
  readonly reason: string;

  private constructor(reason: string, location: string | null) {
    super('InvalidEventPatternException', PREFIX + reason + (location === null ? '' : `\n at ${location}`));
    this.reason = reason;
  }

  /** An error AWS reports without a location (raised after parsing, e.g. CIDR or complexity). */
  static of(reason: string): PatternError {
    return new PatternError(reason, null);
  }

  /** An error AWS reports with the parser's location line. */
  static located(reason: string, location: string): PatternError {
    return new PatternError(reason, location);
  }
}

export class EventValidationError extends SwitchyardError {
  constructor() {
    super('ValidationException', 'Parameter Event is not valid.');
  }
}
