/**
 * TestEventPattern: does this event match this pattern? The event must be a JSON object carrying
 * the envelope fields AWS requires; otherwise AWS answers "Parameter Event is not valid.".
 */
import { EventValidationError } from './errors.js';
import { parsePattern } from './parse.js';
import type { PatternOptions } from './parse.js';
import { EventTooDeepError, matchesReference } from './reference.js';

export const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

export function testEventPattern(eventText: string, patternText: string, options: PatternOptions = {}): boolean {
  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch {
    throw new EventValidationError();
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new EventValidationError();
  for (const name of REQUIRED_EVENT_FIELDS) if (!Object.hasOwn(event, name)) throw new EventValidationError();
  const pattern = parsePattern(patternText, options);
  try {
    return matchesReference(pattern, event);
  } catch (e) {
    if (e instanceof EventTooDeepError) throw new EventValidationError();
    throw e;
  }
}
