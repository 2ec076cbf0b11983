/**
 * What a rule's target receives for an event: the envelope, a constant (Input), the value at a
 * path (InputPath), or a filled template (InputTransformer). The specification, with AWS's
 * documented examples and our decisions where AWS says nothing, is docs/input-transformation.md.
 *
 * Pure and per call: the envelope is parsed at most once, and only when a path or an event
 * variable needs it; nothing is cached between calls.
 */
import { parsePath, selectPath } from './json-path.js';
import type { Resolver } from './template.js';
import { fillTemplate, JsonText, NOT_A_VARIABLE } from './template.js';

/** A target's input configuration as PutTargets stored it (AWS's member names; at most one set). */
export interface TargetInput {
  /** A JSON text, sent as it is. */
  readonly Input?: string;
  /** A JSONPath into the event; the value it selects is sent as compact JSON. */
  readonly InputPath?: string;
  readonly InputTransformer?: {
    /** Variable name -> JSONPath into the event. */
    readonly InputPathsMap?: Readonly<Record<string, string>>;
    /** The text sent, with `<variable>` placeholders. */
    readonly InputTemplate: string;
  };
}

/** The delivery's facts that the reserved variables report. */
export interface TransformContext {
  /** `<aws.events.rule-arn>` */
  readonly ruleArn: string;
  /** `<aws.events.rule-name>` */
  readonly ruleName: string;
  /** `<aws.events.event.ingestion-time>`: ISO 8601 text as AWS prints it. */
  readonly ingestionTime: string;
}

/**
 * The members of `<aws.events.event>`, in the order AWS writes them (recorded from AWS by
 * LocalStack's validated snapshot): the envelope without `detail`, `detail-type` as `detailType`.
 */
const EVENT_MEMBERS: readonly (readonly [string, string])[] = [
  ['id', 'id'],
  ['account', 'account'],
  ['detail-type', 'detailType'],
  ['time', 'time'],
  ['source', 'source'],
  ['region', 'region'],
  ['resources', 'resources'],
  ['version', 'version'],
];

/**
 * The body a target receives for the event whose envelope is the JSON text `envelope`.
 *
 * Never throws for a stored target on a valid envelope: a path that selects nothing gives the
 * empty string for InputPath (nothing to send) and the empty value in a template. Throws
 * SyntaxError only when the envelope is needed and is not JSON.
 */
export function targetBody(envelope: string, input: TargetInput, ctx: TransformContext): string {
  if (input.Input !== undefined) return input.Input;
  let parsed: unknown;
  let isParsed = false;
  const event = (): unknown => {
    if (!isParsed) {
      parsed = JSON.parse(envelope);
      isParsed = true;
    }
    return parsed;
  };
  if (input.InputPath !== undefined) {
    const value = valueAt(event(), input.InputPath);
    return value === undefined ? '' : JSON.stringify(value);
  }
  const transformer = input.InputTransformer;
  if (transformer === undefined) return envelope;
  const paths = transformer.InputPathsMap ?? {};
  const resolve: Resolver = (name) => {
    if (Object.hasOwn(paths, name)) return valueAt(event(), paths[name] as string);
    switch (name) {
      case 'aws.events.rule-arn':
        return ctx.ruleArn;
      case 'aws.events.rule-name':
        return ctx.ruleName;
      case 'aws.events.event.ingestion-time':
        return ctx.ingestionTime;
      case 'aws.events.event':
        return new JsonText(JSON.stringify(eventWithoutDetail(event())));
      case 'aws.events.event.json':
        return new JsonText(envelope);
      default:
        return NOT_A_VARIABLE;
    }
  };
  return fillTemplate(transformer.InputTemplate, resolve);
}

/** The value `path` selects in `event`, or undefined (also for a path of a form we do not read). */
function valueAt(event: unknown, path: string): unknown {
  const segments = parsePath(path);
  return segments === null ? undefined : selectPath(event, segments);
}

/** `<aws.events.event>`: the envelope's members but `detail`, renamed and ordered as AWS does. */
function eventWithoutDetail(event: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (event === null || typeof event !== 'object') return out;
  const e = event as Record<string, unknown>;
  for (const [member, name] of EVENT_MEMBERS) if (Object.hasOwn(e, member)) out[name] = e[member];
  // Members a later envelope may carry (AWS adds `replay-name` to replayed events) follow.
  for (const member of Object.keys(e)) {
    if (member !== 'detail' && !EVENT_MEMBERS.some(([m]) => m === member)) out[member] = e[member];
  }
  return out;
}
