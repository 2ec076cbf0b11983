/**
 * AWS's query protocol, the older wire form of SQS (and of other AWS services): the codec between
 * it and the JSON-shaped inputs and outputs the operation handlers take and return, so that one set
 * of handlers serves both protocols. Pure functions, no I/O; src/http/server.ts does the HTTP.
 *
 *   request   POST / (or /<account>/<queue>), Content-Type: application/x-www-form-urlencoded
 *             Action=SendMessage&Version=2012-11-05&QueueUrl=...&MessageAttribute.1.Name=a&...
 *             (or GET with the same fields in the query string)
 *   answer    200 text/xml
 *             <?xml version="1.0"?><SendMessageResponse xmlns="..."><SendMessageResult>...
 *             </SendMessageResult><ResponseMetadata><RequestId>..</RequestId></ResponseMetadata>
 *             </SendMessageResponse>
 *   error     <?xml version="1.0"?><ErrorResponse xmlns="..."><Error><Type>Sender</Type>
 *             <Code>query code</Code><Message>..</Message><Detail/></Error><RequestId>..
 *             </RequestId></ErrorResponse>            with the error's catalogue status
 *
 * Names. A member's name on this protocol is its query name (`QueryNames.members`, Smithy's
 * `xmlName`) when it has one, else its model name. Both directions walk the service model (the
 * shapes in models/*.generated.ts) from the operation's input or output shape:
 *
 *   scalar             Name=v                       <Name>v</Name>
 *   structure          Name.Member=v                <Name><Member>v</Member></Name>
 *   flattened list     Name.1=a, Name.2=b           <Name>a</Name><Name>b</Name>
 *   list               Name.member.1=a              <Name><member>a</member></Name>
 *   flattened map      Name.1.Key=k, Name.1.Value=v <Name><Key>k</Key><Value>v</Value></Name>
 *   map                Name.entry.1.key=k, ...      <Name><entry><key>k</key><value>v</value>...
 *
 * (`member`, `key`, `value` unless `QueryNames.lists` / `.maps` name them; SQS flattens every list
 * and map.) Indexes start at 1; the decoder takes the indexes present in ascending order, skipping
 * gaps, and a bare `Name=` (how botocore sends an empty list) is an empty list. A bare `Name=v` for
 * a flattened list of scalars is the one-element list [v] (SQS's own documentation writes
 * `AttributeName=All`). When two members of a structure share a query name (SQS's ReceiveMessage:
 * AttributeNames and MessageSystemAttributeNames are both `AttributeName`), the first in model
 * order takes the values.
 *
 * Values arrive as text and are converted to what the JSON protocol would carry: integers and
 * longs that are decimal numbers become numbers, `true`/`false` become booleans, anything else
 * stays a string for validation (validate.ts) to refuse; blobs stay base64 text, as in JSON.
 *
 * XML text is escaped for `&`, `<`, `>` and `"`, and `\r` is written `&#xD;` so that a parser
 * does not fold a CRLF in a message body into LF (which would also break its MD5). Characters XML
 * cannot carry at all (controls other than tab, LF, CR; lone surrogates; U+FFFE/U+FFFF), which
 * SQS refuses in message bodies anyway, are written as U+FFFD.
 */
import type { ServiceModel, ShapeModel } from '../api/validate.js';
import { ERROR_CATALOGUE, queryCode } from '../domain/errors.js';
import type { ErrorCode } from '../domain/errors.js';

/** Query names that differ from the model's member names (Smithy's `xmlName` traits). */
export interface QueryNames {
  /** `Structure.Member` -> the member's query name. */
  readonly members: Readonly<Record<string, string>>;
  /** Map shape -> its key and value element names (default `key`, `value`). */
  readonly maps: Readonly<Record<string, { readonly key: string; readonly value: string }>>;
  /** List shape -> the element name inside the list when it is not flattened (default `member`). */
  readonly lists: Readonly<Record<string, string>>;
}

/** What a service needs to speak the query protocol besides its handlers. */
export interface QueryProtocol {
  /** The service model, with operation outputs and the `flattened` trait (gen-models `outputs`). */
  readonly model: ServiceModel;
  readonly names: QueryNames;
  /** The `xmlns` of every answer, e.g. `http://queue.amazonaws.com/doc/2012-11-05/`. */
  readonly xmlNamespace: string;
  /**
   * The input member a request sent to a resource's own URL (a path other than `/`) takes from
   * that URL when the form does not give it: SQS's `QueueUrl` for `POST /<account>/<queue>`.
   */
  readonly urlMember?: string;
  /** Messages this protocol words differently from the JSON protocol, by error code. */
  readonly messages?: Readonly<Partial<Record<ErrorCode, string>>>;
}

/** The request's parameters: form or query-string pairs, decoded, the first of a repeated name kept. */
export type QueryParams = ReadonlyMap<string, string>;

/**
 * Parses `application/x-www-form-urlencoded` text (a POST body or a query string): `+` is a space,
 * `%XX` sequences are UTF-8. Parameters already in `into` are kept (the first occurrence wins).
 */
export function parseQueryParams(text: string, into: Map<string, string> = new Map()): Map<string, string> {
  for (const [name, value] of new URLSearchParams(text)) if (!into.has(name)) into.set(name, value);
  return into;
}

// ---------------------------------------------------------------------------------------------
// Request: parameters -> JSON-shaped input
// ---------------------------------------------------------------------------------------------

/**
 * The input of `operation` as the JSON protocol would carry it, read from the request's
 * parameters. `resourceUrl` is the URL the request was sent to when its path is not `/`; it fills
 * `protocol.urlMember` when the parameters do not. Parameters the input shape does not know
 * (`Action`, `Version`, presigning parameters, misspellings) are ignored, as JSON's unknown members
 * are. Throws a RangeError for an operation the model does not have.
 */
export function decodeQueryInput(
  protocol: QueryProtocol,
  operation: string,
  params: QueryParams,
  resourceUrl?: string,
): Record<string, unknown> {
  const op = operationOf(protocol.model, operation);
  if (op.input === undefined) return {};
  const decoder = new Decoder(protocol, params);
  const input = decoder.structure(op.input, '') ?? {};
  const urlMember = protocol.urlMember;
  if (
    urlMember !== undefined &&
    resourceUrl !== undefined &&
    input[urlMember] === undefined &&
    shapeOf(protocol.model, op.input).members?.some((m) => m.name === urlMember) === true
  ) {
    input[urlMember] = resourceUrl;
  }
  return input;
}

const INDEX = /^[1-9][0-9]{0,8}$/;
/**
 * Parameter names longer, or with more `.`s, than any member path can have are not indexed (the
 * indexing is quadratic in a name's length; SQS's longest paths are under 100 characters and 8
 * segments).
 */
const MAX_INDEXED_NAME = 256;
const MAX_INDEXED_DOTS = 16;

class Decoder {
  /** Parameter prefix -> the list indexes that follow it (`Attribute` -> {1, 2} for `Attribute.1.Name`, `Attribute.2.Name`). */
  private readonly indexes = new Map<string, Set<number>>();
  /** Every proper prefix of a parameter name that ends before a `.`, to tell present structures from absent ones. */
  private readonly prefixes = new Set<string>();

  constructor(
    private readonly protocol: QueryProtocol,
    private readonly params: QueryParams,
  ) {
    for (const name of params.keys()) {
      if (name.length > MAX_INDEXED_NAME) continue;
      let at = name.indexOf('.');
      for (let dots = 0; at >= 0 && dots < MAX_INDEXED_DOTS; dots += 1) {
        const prefix = name.slice(0, at);
        this.prefixes.add(prefix);
        const next = name.indexOf('.', at + 1);
        const segment = name.slice(at + 1, next < 0 ? undefined : next);
        if (INDEX.test(segment)) {
          let set = this.indexes.get(prefix);
          if (set === undefined) this.indexes.set(prefix, (set = new Set()));
          set.add(Number(segment));
        }
        at = next;
      }
    }
  }

  /** The structure whose members' parameters start with `prefix`, or undefined when none is present. */
  structure(shapeName: string, prefix: string): Record<string, unknown> | undefined {
    const shape = shapeOf(this.protocol.model, shapeName);
    const out: Record<string, unknown> = {};
    const taken = new Set<string>();
    let found = false;
    for (const m of shape.members ?? []) {
      const name = this.protocol.names.members[`${shapeName}.${m.name}`] ?? m.name;
      if (taken.has(name)) continue;
      taken.add(name);
      const value = this.value(m.shape, `${prefix}${name}`, m.flattened === true);
      if (value !== undefined) {
        out[m.jsonName ?? m.name] = value;
        found = true;
      }
    }
    return found ? out : undefined;
  }

  private value(shapeName: string, key: string, memberFlattened: boolean): unknown {
    const shape = shapeOf(this.protocol.model, shapeName);
    const flattened = memberFlattened || shape.flattened === true;
    switch (shape.type) {
      case 'structure':
        return this.prefixes.has(key) ? this.structure(shapeName, `${key}.`) : undefined;
      case 'list':
        return this.list(shapeName, shape, key, flattened);
      case 'map':
        return this.map(shapeName, shape, key, flattened);
      default: {
        const text = this.params.get(key);
        return text === undefined ? undefined : scalar(shape, text);
      }
    }
  }

  private list(shapeName: string, shape: ShapeModel, key: string, flattened: boolean): unknown[] | undefined {
    const elementShape = child(shape.member, shapeName);
    const base = flattened ? key : `${key}.${this.protocol.names.lists[shapeName] ?? 'member'}`;
    const indexes = this.indexes.get(base);
    if (indexes === undefined) {
      const bare = this.params.get(key);
      if (bare === undefined) return undefined;
      if (bare === '') return [];
      const element = shapeOf(this.protocol.model, elementShape);
      return flattened && !isAggregate(element) ? [scalar(element, bare)] : undefined;
    }
    const out: unknown[] = [];
    for (const i of [...indexes].sort((a, b) => a - b)) {
      const element = this.value(elementShape, `${base}.${i}`, false);
      if (element !== undefined) out.push(element);
    }
    return out;
  }

  private map(shapeName: string, shape: ShapeModel, key: string, flattened: boolean): Record<string, unknown> | undefined {
    const names = this.protocol.names.maps[shapeName] ?? { key: 'key', value: 'value' };
    const base = flattened ? key : `${key}.entry`;
    const indexes = this.indexes.get(base);
    if (indexes === undefined) return this.params.get(key) === '' ? {} : undefined;
    const valueShape = child(shape.value, shapeName);
    const out: Record<string, unknown> = {};
    for (const i of [...indexes].sort((a, b) => a - b)) {
      const entryKey = this.params.get(`${base}.${i}.${names.key}`);
      const entryValue = this.value(valueShape, `${base}.${i}.${names.value}`, false);
      // An entry without its key, or without its value, is left out. Defined, not assigned, so
      // that a key such as `__proto__` is an ordinary key, as JSON.parse makes it.
      if (entryKey !== undefined && entryValue !== undefined && !Object.hasOwn(out, entryKey)) {
        Object.defineProperty(out, entryKey, { value: entryValue, enumerable: true, writable: true, configurable: true });
      }
    }
    return out;
  }
}

const DECIMAL_INTEGER = /^[-+]?[0-9]+$/;
const DECIMAL_NUMBER = /^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** A parameter's text as the JSON protocol would carry the value (see the module comment). */
function scalar(shape: ShapeModel, text: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long':
      return DECIMAL_INTEGER.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text;
    case 'float':
    case 'double':
      return DECIMAL_NUMBER.test(text) ? Number(text) : text;
    case 'boolean': {
      const lower = text.toLowerCase();
      return lower === 'true' ? true : lower === 'false' ? false : text;
    }
    default:
      return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Answers: JSON-shaped output -> XML
// ---------------------------------------------------------------------------------------------

const XML_DECLARATION = '<?xml version="1.0"?>';

/**
 * The XML answer to `operation`: `<OpResponse>` with `<OpResult>` (for an operation with an
 * output; `<OpResult/>` when the output has nothing to say) and `<ResponseMetadata>`. Members of
 * `output` the model does not know, and null or undefined ones, are left out.
 */
export function encodeQueryResponse(protocol: QueryProtocol, operation: string, output: unknown, requestId: string): string {
  const op = operationOf(protocol.model, operation);
  let result = '';
  if (op.output !== undefined) {
    const inner = isRecord(output) ? structureXml(protocol, op.output, output) : '';
    result = inner === '' ? `<${operation}Result/>` : `<${operation}Result>${inner}</${operation}Result>`;
  }
  return (
    `${XML_DECLARATION}<${operation}Response xmlns="${xmlText(protocol.xmlNamespace)}">${result}` +
    `<ResponseMetadata><RequestId>${xmlText(requestId)}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

/**
 * The XML error answer: the error's query code (domain/errors.ts `queryCode`), `Sender` for a
 * client error and `Receiver` for a server fault, the message (in this protocol's wording when
 * `protocol.messages` has one for the code). Send it with the catalogue status.
 */
export function encodeQueryError(protocol: QueryProtocol, code: ErrorCode, message: string, requestId: string): string {
  const type = ERROR_CATALOGUE[code].status >= 500 ? 'Receiver' : 'Sender';
  const text = protocol.messages?.[code] ?? message;
  return (
    `${XML_DECLARATION}<ErrorResponse xmlns="${xmlText(protocol.xmlNamespace)}"><Error><Type>${type}</Type>` +
    `<Code>${xmlText(queryCode(code))}</Code><Message>${xmlText(text)}</Message><Detail/></Error>` +
    `<RequestId>${xmlText(requestId)}</RequestId></ErrorResponse>`
  );
}

function structureXml(protocol: QueryProtocol, shapeName: string, value: Record<string, unknown>): string {
  let out = '';
  for (const m of shapeOf(protocol.model, shapeName).members ?? []) {
    const v = value[m.jsonName ?? m.name];
    if (v === undefined || v === null) continue;
    const name = protocol.names.members[`${shapeName}.${m.name}`] ?? m.name;
    out += memberXml(protocol, m.shape, name, v, m.flattened === true);
  }
  return out;
}

/** One member (or list element, or map value) named `name`: its element, or its repeated elements. */
function memberXml(protocol: QueryProtocol, shapeName: string, name: string, value: unknown, memberFlattened: boolean): string {
  const shape = shapeOf(protocol.model, shapeName);
  const flattened = memberFlattened || shape.flattened === true;
  switch (shape.type) {
    case 'structure':
      return isRecord(value) ? element(name, structureXml(protocol, shapeName, value)) : '';
    case 'list': {
      if (!Array.isArray(value)) return '';
      const elementShape = child(shape.member, shapeName);
      const elementName = flattened ? name : (protocol.names.lists[shapeName] ?? 'member');
      let items = '';
      for (const item of value as unknown[]) {
        if (item !== undefined && item !== null) items += memberXml(protocol, elementShape, elementName, item, false);
      }
      return flattened ? items : element(name, items);
    }
    case 'map': {
      if (!isRecord(value)) return '';
      const names = protocol.names.maps[shapeName] ?? { key: 'key', value: 'value' };
      const valueShape = child(shape.value, shapeName);
      let entries = '';
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined || v === null) continue;
        const entry = element(names.key, xmlText(k)) + memberXml(protocol, valueShape, names.value, v, false);
        entries += element(flattened ? name : 'entry', entry);
      }
      return flattened ? entries : element(name, entries);
    }
    default:
      return element(name, xmlText(scalarText(shape, value)));
  }
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

/** A scalar as query-protocol XML text: booleans `true`/`false`, timestamps ISO 8601, blobs base64. */
function scalarText(shape: ShapeModel, value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (shape.type === 'timestamp' && typeof value === 'number') return new Date(value * 1000).toISOString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * Text made safe for XML character data (see the module comment): `&<>"` as entities, CR as
 * `&#xD;`, characters XML 1.0 cannot carry as U+FFFD; characters outside the BMP stay as they are.
 */
export function xmlText(text: string): string {
  return text.replace(XML_UNSAFE, (c) => XML_ESCAPES[c] ?? '\uFFFD');
}

const XML_UNSAFE = /[&<>"\r]|[^\t\n\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#xD;' };

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Whether the model has the operation (an own property: `constructor` is no operation). */
export function hasOperation(model: ServiceModel, name: string): boolean {
  return Object.hasOwn(model.operations, name);
}

function operationOf(model: ServiceModel, name: string): ServiceModel['operations'][string] {
  const op = hasOperation(model, name) ? model.operations[name] : undefined;
  if (op === undefined) throw new RangeError(`${model.metadata.serviceId} has no operation ${name}`);
  return op;
}

function shapeOf(model: ServiceModel, name: string): ShapeModel {
  const shape = model.shapes[name];
  if (shape === undefined) throw new Error(`${model.metadata.serviceId} model has no shape ${name}`);
  return shape;
}

function child(name: string | undefined, parent: string): string {
  if (name === undefined) throw new Error(`shape ${parent} has no element shape`);
  return name;
}

function isAggregate(shape: ShapeModel): boolean {
  return shape.type === 'structure' || shape.type === 'list' || shape.type === 'map';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
