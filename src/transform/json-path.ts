/**
 * The JSONPath subset EventBridge reads in InputPath and in InputTransformer's InputPathsMap
 * (docs/input-transformation.md §2): `$`, then any number of `.name`, `[n]` and the wildcards
 * `.*` and `[*]`. A name runs to the next `.` or `[`, so dashes, slashes and the like need no
 * quoting (`$.detail-type`, `$.detail.a/b`).
 *
 *   parsePath('$.detail.items[0].sku')  -> ['detail', 'items', 0, 'sku']
 *   selectPath(event, segments)         -> the value, or undefined when the path selects nothing
 *
 * A path without a wildcard selects one value or nothing. A path with one selects every match,
 * as an array (possibly empty), the way Jayway JsonPath, which AWS's Java services use, answers an
 * "indefinite" path.
 */

/** Every member of an object or element of an array. */
export const ALL: unique symbol = Symbol('*');

/** A step of a path: a member name, an array index, or ALL. */
export type Segment = string | number | typeof ALL;

/** The steps of `path`, or null when it is not of the accepted form (PutTargets refuses those). */
export function parsePath(path: string): Segment[] | null {
  if (!path.startsWith('$')) return null;
  const segments: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      let end = i + 1;
      while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
      const name = path.slice(i + 1, end);
      if (name === '') return null;
      segments.push(name === '*' ? ALL : name);
      i = end;
    } else if (path[i] === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) return null;
      const inside = path.slice(i + 1, close);
      if (inside === '*') segments.push(ALL);
      else if (/^\d+$/.test(inside)) segments.push(Number(inside));
      else return null;
      i = close + 1;
    } else {
      return null;
    }
  }
  return segments;
}

/**
 * The value `segments` select in `root` (a parsed JSON value). Names select only an object's own
 * members (never an inherited `constructor` or `__proto__`), indexes only array elements.
 */
export function selectPath(root: unknown, segments: readonly Segment[]): unknown {
  let nodes: unknown[] = [root];
  let definite = true;
  for (const segment of segments) {
    if (segment === ALL) definite = false;
    const next: unknown[] = [];
    for (const node of nodes) {
      if (node === null || typeof node !== 'object') continue;
      if (segment === ALL) {
        // A loop, not push(...values): a 1 MB event can hold more elements than a call takes.
        for (const v of Array.isArray(node) ? node : Object.values(node)) next.push(v);
      } else if (typeof segment === 'number') {
        if (Array.isArray(node) && segment < node.length) next.push(node[segment]);
      } else if (!Array.isArray(node) && Object.hasOwn(node, segment)) {
        next.push((node as Record<string, unknown>)[segment]);
      }
    }
    nodes = next;
  }
  return definite ? nodes[0] : nodes;
}
