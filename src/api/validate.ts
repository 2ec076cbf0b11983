/**
 * Request validation for the AWS JSON protocol, driven by AWS's own service model
 * (`models/*.generated.ts`, generated from botocore by `scripts/gen-models.mjs`).
 *
 * AWS checks a JSON request in two passes, and so does `validateInput`:
 *
 *   1. Deserialization. A value of the wrong JSON type for its shape fails the whole request with
 *      `SerializationException` and a message naming the conversion, e.g.
 *      `STRING_VALUE can not be converted to an Integer` or
 *      `Start of structure or map found where not expected.`. Only the first mismatch is reported,
 *      walking members in model order. Members the model does not know are ignored, and an
 *      explicit `null` is the same as an absent member.
 *
 *   2. Constraints (the model's required, min, max, pattern and enum traits). Every violation is
 *      collected, at most ten, into one `ValidationException`:
 *
 *        N validation error(s) detected: <error>; <error>; ...
 *        <error> = Value '<value>' at '<path>' failed to satisfy constraint: <constraint>
 *
 *      `<path>` is each member name with its first letter lowered (`retryPolicy`, `sAMLOptions`),
 *      joined by '.'; a list element of an aggregate shape is `<list>.<1-based index>.member`, a
 *      map value of an aggregate shape `<map>.<key>.member`. `<value>` is quoted even for numbers
 *      (`Value '0' at 'limit'`); a missing value is `Value null` without quotes; a sensitive one is
 *      left out (`Value at '<path>'`). Lists render as `[a, b]`, maps as `{k=v}`, structures as
 *      `ShapeName(field=value, field=null)`, strings inside them unquoted. A list or map of plain
 *      values reports once for the whole collection, listing all its element constraints:
 *      `Member must satisfy constraint: [...]`, `Map keys must satisfy constraint: [...]`,
 *      `Map value must satisfy constraint: [...]`.
 *
 * SQS (a model marked `awsQueryCompatible`) keeps the behaviour of its Query API: a missing
 * required parameter is `MissingParameter` "The request must contain the parameter X.", its
 * model carries no length/pattern traits, its enums are checked by the handlers with SQS's own
 * errors (InvalidAttributeName), and numbers and booleans sent for strings are accepted (SQS casts
 * them), so handlers must `String()` such values.
 *
 * The evidence for each format (AWS-recorded snapshots, real users' error reports) and what could
 * not be confirmed is listed at the top of test/validate.test.ts.
 *
 * The SQS query protocol (src/http/query.ts) decodes its form into the same JSON-shaped input, so
 * a query request is validated here exactly as a JSON one.
 */

/** The wire types of a botocore shape that JSON-protocol inputs use. */
export type ShapeType =
  | 'blob'
  | 'boolean'
  | 'double'
  | 'float'
  | 'integer'
  | 'list'
  | 'long'
  | 'map'
  | 'string'
  | 'structure'
  | 'timestamp';

/** A structure member: its name on the wire (unless `jsonName` says otherwise) and its shape. */
export interface MemberModel {
  readonly name: string;
  readonly shape: string;
  readonly jsonName?: string;
  readonly locationName?: string;
  /** Query protocol / XML: this list or map member's elements repeat without a wrapper. */
  readonly flattened?: boolean;
}

/** The validation-relevant part of one botocore shape. */
export interface ShapeModel {
  readonly type: ShapeType;
  /** Structure members in model order (the order AWS reports violations in). */
  readonly members?: readonly MemberModel[];
  readonly required?: readonly string[];
  /** List element shape. */
  readonly member?: string;
  /** Map key and value shapes. */
  readonly key?: string;
  readonly value?: string;
  /** Length (string, list, map, blob) or value (numbers) bounds. */
  readonly min?: number;
  readonly max?: number;
  /** A Java regular expression the whole string must match. */
  readonly pattern?: string;
  readonly enum?: readonly string[];
  /** AWS leaves the value out of error messages. */
  readonly sensitive?: boolean;
  /** Query protocol / XML: a list or map whose elements repeat without a wrapper (src/http/query.ts). */
  readonly flattened?: boolean;
}

export interface ServiceModel {
  readonly metadata: {
    readonly apiVersion: string;
    readonly jsonVersion?: string;
    readonly protocol: string;
    readonly serviceId: string;
    readonly targetPrefix?: string;
    readonly uid?: string;
    /** A Query API moved to JSON (SQS): Query-style parameter errors, no Coral constraint pass. */
    readonly awsQueryCompatible?: boolean;
  };
  /** Each operation's input shape and, for models generated with outputs (SQS), its output shape. */
  readonly operations: Readonly<Record<string, { readonly input?: string; readonly output?: string }>>;
  readonly shapes: Readonly<Record<string, ShapeModel>>;
}

export type ValidationFailure =
  | { readonly code: 'ValidationException'; readonly message: string }
  | { readonly code: 'SerializationException'; readonly message: string }
  /** SQS only (see the module comment). */
  | { readonly code: 'MissingParameter'; readonly message: string };

/** AWS reports at most this many constraint violations (and counts only those). */
export const MAX_REPORTED_ERRORS = 10;

/**
 * Checks `input` (the parsed JSON body; `null`/`undefined` is an empty body) against the input
 * shape of `operation`. Returns the failure AWS would answer with, or null when the request is
 * valid. Throws a RangeError for an operation the model does not have: callers answer
 * UnknownOperationException before validating.
 */
export function validateInput(model: ServiceModel, operation: string, input: unknown): ValidationFailure | null {
  const op = model.operations[operation];
  if (op === undefined) throw new RangeError(`${model.metadata.serviceId} has no operation ${operation}`);
  if (op.input === undefined) return null;
  const body = input ?? {};
  const queryCompatible = model.metadata.awsQueryCompatible === true;

  const mismatch = typeMismatch(model, op.input, body, queryCompatible);
  if (mismatch !== null) return { code: 'SerializationException', message: mismatch };

  if (queryCompatible) return missingParameter(model, op.input, body);

  const collector = new Collector();
  visitValue(model, collector, op.input, body, '', false);
  const errors = collector.errors;
  if (errors.length === 0) return null;
  const noun = errors.length === 1 ? 'error' : 'errors';
  return { code: 'ValidationException', message: `${errors.length} validation ${noun} detected: ${errors.join('; ')}` };
}

// ---------------------------------------------------------------------------------------------
// Pass 1: deserialization (JSON types against shape types)
// ---------------------------------------------------------------------------------------------

const STRUCTURE_NOT_EXPECTED = 'Start of structure or map found where not expected.';
const LIST_NOT_EXPECTED = 'Start of list found where not expected';

/** Java type names AWS's messages use for each scalar shape type. */
const JAVA_TYPE: Partial<Record<ShapeType, string>> = {
  boolean: 'Boolean',
  double: 'Double',
  float: 'Float',
  integer: 'Integer',
  long: 'Long',
  string: 'String',
  timestamp: 'Date',
};

/** The JSON token name AWS's deserializer reports for a scalar. */
function tokenName(value: string | number | boolean): string {
  if (typeof value === 'string') return 'STRING_VALUE';
  if (typeof value === 'boolean') return value ? 'TRUE_VALUE' : 'FALSE_VALUE';
  return Number.isInteger(value) ? 'NUMBER_VALUE' : 'DECIMAL_VALUE';
}

/** The first type mismatch in model order, as AWS's SerializationException message, or null. */
function typeMismatch(model: ServiceModel, shapeName: string, value: unknown, castToString: boolean): string | null {
  if (value === null || value === undefined) return null;
  const shape = shapeOf(model, shapeName);
  switch (shape.type) {
    case 'structure': {
      if (Array.isArray(value)) return LIST_NOT_EXPECTED;
      if (!isRecord(value)) return 'Expected null';
      for (const m of shape.members ?? []) {
        const found = typeMismatch(model, m.shape, value[wireName(m)], castToString);
        if (found !== null) return found;
      }
      return null;
    }
    case 'list': {
      if (isRecord(value)) return STRUCTURE_NOT_EXPECTED;
      if (!Array.isArray(value)) return 'Expected list or null';
      const member = childShape(shape.member, shapeName, 'member');
      for (const element of value as unknown[]) {
        const found = typeMismatch(model, member, element, castToString);
        if (found !== null) return found;
      }
      return null;
    }
    case 'map': {
      if (Array.isArray(value)) return LIST_NOT_EXPECTED;
      if (!isRecord(value)) return 'Expected map or null';
      const valueShape = childShape(shape.value, shapeName, 'value');
      for (const entry of Object.values(value)) {
        const found = typeMismatch(model, valueShape, entry, castToString);
        if (found !== null) return found;
      }
      return null;
    }
    default:
      return scalarMismatch(shape.type, value, castToString);
  }
}

function scalarMismatch(type: ShapeType, value: unknown, castToString: boolean): string | null {
  if (Array.isArray(value)) return LIST_NOT_EXPECTED;
  if (isRecord(value)) return STRUCTURE_NOT_EXPECTED;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return null;
  switch (type) {
    case 'string':
      if (typeof value === 'string' || castToString) return null;
      break;
    case 'integer':
    case 'long':
      // A decimal is no integer: Jackson refuses DECIMAL_VALUE for an Integer member.
      if (typeof value === 'number' && Number.isInteger(value)) return null;
      break;
    case 'float':
    case 'double':
      if (typeof value === 'number') return null;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return null;
      break;
    case 'timestamp':
      // The SDKs send epoch seconds; date strings are left to the handlers.
      if (typeof value === 'number' || typeof value === 'string') return null;
      break;
    case 'blob':
      return typeof value === 'string' ? base64Mismatch(value) : `${tokenName(value)} can not be converted to a Blob`;
    default:
      return null;
  }
  return `${tokenName(value)} can not be converted to an ${JAVA_TYPE[type] ?? type}`;
}

function base64Mismatch(value: string): string | null {
  const prefix = `'${value}' can not be converted to a Blob: `;
  if (value.length % 4 !== 0) {
    return `${prefix}Base64 encoded length is expected a multiple of 4 bytes but found: ${value.length}`;
  }
  const bad = /[^a-zA-Z0-9+/=]|=[^=]/.exec(value);
  if (bad !== null) return `${prefix}Invalid Base64 character: '${bad[0][0] ?? ''}'`;
  if (Buffer.from(value, 'base64').toString('base64') !== value) {
    return `${prefix}Invalid last non-pad Base64 character dectected`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// SQS: Query-style required parameters
// ---------------------------------------------------------------------------------------------

function missingParameter(model: ServiceModel, shapeName: string, body: unknown): ValidationFailure | null {
  const shape = shapeOf(model, shapeName);
  if (!isRecord(body)) return null;
  for (const m of shape.members ?? []) {
    if (!(shape.required ?? []).includes(m.name)) continue;
    const value = body[wireName(m)];
    if (value === null || value === undefined || value === '') {
      return { code: 'MissingParameter', message: `The request must contain the parameter ${m.name}.` };
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Pass 2: constraints
// ---------------------------------------------------------------------------------------------

const NOT_NULL = 'Member must not be null';

class Collector {
  readonly errors: string[] = [];

  get full(): boolean {
    return this.errors.length >= MAX_REPORTED_ERRORS;
  }

  add(subject: string, path: string, constraint: string): void {
    if (!this.full) this.errors.push(`${subject} at '${path}' failed to satisfy constraint: ${constraint}`);
  }
}

/** One constraint of a shape: AWS's wording and the test. */
interface Constraint {
  readonly text: string;
  readonly holds: (value: unknown) => boolean;
}

const constraintCache = new WeakMap<ShapeModel, readonly Constraint[]>();

/**
 * The constraints of a shape in the order AWS lists them: maximum, minimum, pattern, enum (the
 * order of AWS's bracketed lists, e.g. `[Member must have length less than or equal to 256,
 * Member must have length greater than or equal to 1, Member must satisfy regular expression
 * pattern: ...]`).
 */
function constraintsOf(shape: ShapeModel): readonly Constraint[] {
  const cached = constraintCache.get(shape);
  if (cached !== undefined) return cached;
  const list: Constraint[] = [];
  const numeric = isNumeric(shape.type);
  const measure = numeric ? 'value' : 'length';
  const size = (v: unknown): number => (numeric ? Number(v) : sizeOf(shape.type, v));
  const { max, min, pattern } = shape;
  if (max !== undefined) {
    list.push({ text: `Member must have ${measure} less than or equal to ${max}`, holds: (v) => size(v) <= max });
  }
  if (min !== undefined) {
    list.push({ text: `Member must have ${measure} greater than or equal to ${min}`, holds: (v) => size(v) >= min });
  }
  if (pattern !== undefined && shape.type === 'string') {
    const re = javaRegex(pattern);
    list.push({ text: `Member must satisfy regular expression pattern: ${pattern}`, holds: (v) => re.test(String(v)) });
  }
  if (shape.enum !== undefined && shape.type === 'string') {
    const values = new Set(shape.enum);
    list.push({
      text: `Member must satisfy enum value set: [${shape.enum.join(', ')}]`,
      holds: (v) => values.has(String(v)),
    });
  }
  constraintCache.set(shape, list);
  return list;
}

function visitValue(
  model: ServiceModel,
  out: Collector,
  shapeName: string,
  value: unknown,
  path: string,
  required: boolean,
): void {
  if (out.full) return;
  if (value === null || value === undefined) {
    if (required) out.add('Value null', path, NOT_NULL);
    return;
  }
  const shape = shapeOf(model, shapeName);
  for (const c of constraintsOf(shape)) {
    if (!c.holds(value)) out.add(subject(model, shapeName, value), path, c.text);
  }
  switch (shape.type) {
    case 'structure':
      if (!isRecord(value)) return;
      for (const m of shape.members ?? []) {
        const memberPath = path === '' ? lowerFirst(m.name) : `${path}.${lowerFirst(m.name)}`;
        visitValue(model, out, m.shape, value[wireName(m)], memberPath, (shape.required ?? []).includes(m.name));
      }
      return;
    case 'list': {
      if (!Array.isArray(value)) return;
      const memberName = childShape(shape.member, shapeName, 'member');
      const elements = value as unknown[];
      if (isAggregate(shapeOf(model, memberName).type)) {
        // A null element is reported like a missing required member.
        elements.forEach((element, i) => visitValue(model, out, memberName, element, `${path}.${i + 1}.member`, true));
      } else {
        collectionRule(model, out, shapeName, value, path, memberName, elements, 'Member must satisfy constraint');
      }
      return;
    }
    case 'map': {
      if (!isRecord(value)) return;
      const keyName = childShape(shape.key, shapeName, 'key');
      const valueName = childShape(shape.value, shapeName, 'value');
      collectionRule(model, out, shapeName, value, path, keyName, Object.keys(value), 'Map keys must satisfy constraint');
      if (isAggregate(shapeOf(model, valueName).type)) {
        for (const [k, v] of Object.entries(value)) visitValue(model, out, valueName, v, `${path}.${k}.member`, false);
      } else {
        collectionRule(model, out, shapeName, value, path, valueName, Object.values(value), 'Map value must satisfy constraint');
      }
      return;
    }
    default:
      return;
  }
}

/** One error for a whole list or map whose plain elements (or keys) break their shape's rules. */
function collectionRule(
  model: ServiceModel,
  out: Collector,
  collectionShape: string,
  collection: unknown,
  path: string,
  elementShape: string,
  elements: readonly unknown[],
  lead: string,
): void {
  const rules = constraintsOf(shapeOf(model, elementShape));
  if (rules.length === 0) return;
  const broken = elements.some((e) => e !== null && e !== undefined && rules.some((r) => !r.holds(e)));
  if (broken) {
    out.add(subject(model, collectionShape, collection), path, `${lead}: [${rules.map((r) => r.text).join(', ')}]`);
  }
}

/** `Value '<rendered>'`, or `Value` alone for a sensitive shape. */
function subject(model: ServiceModel, shapeName: string, value: unknown): string {
  if (shapeOf(model, shapeName).sensitive === true) return 'Value';
  return `Value '${render(model, shapeName, value)}'`;
}

// ---------------------------------------------------------------------------------------------
// Rendering values the way AWS's (Java) messages print them
// ---------------------------------------------------------------------------------------------

/**
 * Fields AWS's own request classes have beyond the public model; they print as `=null` in a
 * structure's rendering. Recorded from EventBridge's answer to PutEvents with 11 entries.
 */
const HIDDEN_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['EventBridge/PutEventsRequestEntry', ['kmsKeyIdentifier', 'internalMetadata']],
]);

function render(model: ServiceModel, shapeName: string, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const shape = shapeOf(model, shapeName);
  if (shape.sensitive === true) return '***';
  switch (shape.type) {
    case 'structure': {
      if (!isRecord(value)) return String(value);
      const fields = (shape.members ?? []).map(
        (m) => `${lowerFirst(m.name)}=${render(model, m.shape, value[wireName(m)])}`,
      );
      for (const hidden of HIDDEN_FIELDS.get(`${model.metadata.serviceId}/${shapeName}`) ?? []) {
        fields.push(`${hidden}=null`);
      }
      return `${shapeName}(${fields.join(', ')})`;
    }
    case 'list': {
      if (!Array.isArray(value)) return String(value);
      const member = childShape(shape.member, shapeName, 'member');
      return `[${(value as unknown[]).map((v) => render(model, member, v)).join(', ')}]`;
    }
    case 'map': {
      if (!isRecord(value)) return String(value);
      const valueShape = childShape(shape.value, shapeName, 'value');
      return `{${Object.entries(value)
        .map(([k, v]) => `${k}=${render(model, valueShape, v)}`)
        .join(', ')}}`;
    }
    case 'blob': {
      const n = sizeOf('blob', value);
      return `java.nio.HeapByteBuffer[pos=0 lim=${n} cap=${n}]`;
    }
    case 'timestamp':
      return typeof value === 'number' ? instant(value) : String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean);
  }
}

/** java.time.Instant#toString of epoch seconds: ISO-8601 UTC, no fraction when it is zero. */
function instant(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return String(epochSeconds);
  return date.toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function shapeOf(model: ServiceModel, name: string): ShapeModel {
  const shape = model.shapes[name];
  if (shape === undefined) throw new Error(`${model.metadata.serviceId} model has no shape ${name}`);
  return shape;
}

function childShape(name: string | undefined, parent: string, role: string): string {
  if (name === undefined) throw new Error(`shape ${parent} has no ${role} shape`);
  return name;
}

function wireName(m: MemberModel): string {
  return m.jsonName ?? m.name;
}

/** AWS's path segment for a member: the name with its first character lower-cased. */
function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAggregate(type: ShapeType): boolean {
  return type === 'structure' || type === 'list' || type === 'map';
}

function isNumeric(type: ShapeType): boolean {
  return type === 'integer' || type === 'long' || type === 'float' || type === 'double';
}

/** Length as AWS measures it: code points of a string, elements, entries, decoded bytes. */
function sizeOf(type: ShapeType, value: unknown): number {
  if (type === 'blob') return typeof value === 'string' ? Buffer.from(value, 'base64').length : 0;
  if (typeof value === 'string') {
    let n = 0;
    for (let i = 0; i < value.length; i += 1) {
      const unit = value.charCodeAt(i);
      if (unit < 0xdc00 || unit > 0xdfff || i === 0 || !isHighSurrogate(value.charCodeAt(i - 1))) n += 1;
    }
    return n;
  }
  if (Array.isArray(value)) return value.length;
  if (isRecord(value)) return Object.keys(value).length;
  return 0;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

const regexCache = new Map<string, RegExp>();

/**
 * A model pattern (Java syntax, matched against the whole value) as a JavaScript RegExp. The
 * models' patterns are in the common subset of both syntaxes; `\p{..}` classes need the `u` flag,
 * which the other patterns must not get (it rejects escapes such as `\_` that Java accepts).
 */
function javaRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern})$`, /\\[pP]\{/.test(pattern) ? 'u' : '');
    regexCache.set(pattern, re);
  }
  return re;
}
