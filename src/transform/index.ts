/**
 * What a rule's target receives for an event, exactly as Amazon EventBridge computes it: the
 * envelope, Input, InputPath or InputTransformer. Pure, no I/O; its specification is
 * docs/input-transformation.md.
 *
 *   targetBody(envelopeText, target, { ruleArn, ruleName, ingestionTime }) -> the body text
 */
export { targetBody } from './target-body.js';
export type { TargetInput, TransformContext } from './target-body.js';
