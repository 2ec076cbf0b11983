/**
 * The event-pattern engine: EventBridge's pattern language, AWS-exact validation, a reference
 * evaluator and a compiled matcher. A library with no I/O; its specification is docs/patterns.md.
 *
 *   parsePattern(text)            -> Pattern, or PatternError (InvalidEventPatternException)
 *   testEventPattern(event, pat)  -> boolean (TestEventPattern)
 *   new RuleSet().add(id, pat); rs.matchJson(eventText) / rs.matchEvent(obj) -> rule ids
 *   matchesReference(pattern, event) -> boolean (the plain evaluator, the oracle for tests)
 */
export type { Field, IpPrefix, Leaf, Matcher, MatcherKind, NumericRange, Pattern, SubRule } from './ast.js';
export { EventValidationError, PatternError } from './errors.js';
export { EventSyntaxError } from './flatten.js';
export { DEFAULT_MAX_PATTERN_LENGTH, MAX_OR_COMBINATIONS, parsePattern } from './parse.js';
export type { PatternOptions } from './parse.js';
export { matchesReference } from './reference.js';
export { RuleSet } from './rule-set.js';
export type { RuleSetOptions } from './rule-set.js';
export { REQUIRED_EVENT_FIELDS, testEventPattern } from './test-event-pattern.js';
