/**
 * The trie of field paths that some rule names, used by the flatteners to decide, key by key,
 * whether a part of the event can matter; everything else is skipped without being examined.
 *
 * A path's segments are joined with "." ("detail.state.status"), and so are an event's keys, so an
 * event key that itself contains dots ("state.status") must reach the same node as nested keys.
 * Rather than splitting keys while matching, each node also maps every dotted run of segments
 * below it to the node the run leads to:
 *
 *   root --"detail"--------------> detail --"state"-------> detail.state --"status"--> (field)
 *     \---"detail.state"--------------------------------------^                          ^
 *      \--"detail.state.status"----------------------------------------------------------/
 *                                  detail --"state.status"--------------------------------/
 *
 * so one Map lookup per event key suffices, whatever dots the key holds. The trie is rebuilt from
 * the set of paths whenever that set changes (rare: only when a rule adds a new path or removes
 * the last condition on one).
 */
import type { FieldIndex } from './field-index.js';

/** A path as the flatteners report it: its dense id and the indexes a leaf there is given to. */
export interface TrieField {
  readonly path: string;
  readonly id: number;
  readonly indexes: readonly FieldIndex[];
}

export class PathNode {
  /** Keys (single or dotted runs of segments) to the nodes below; null for a leaf-only node. */
  children: Map<string, PathNode> | null = null;
  /**
   * The keys without a dot, as a list, when there are few: the text scanner compares an event key
   * that has no dot in place against each (no string is built for keys that lead nowhere, which
   * is most of them); a key with a dot is looked up in `children`.
   */
  few: readonly (readonly [string, PathNode])[] | null = null;
  /** The field whose path ends here, if some rule names this exact path. */
  field: TrieField | null = null;
}

/** Up to this many keys, a node's keys are compared in place rather than looked up. */
const FEW_CHILDREN = 16;

export function buildPathTrie(fields: Iterable<TrieField>): PathNode {
  const root = new PathNode();
  const nodes = new Map<string, PathNode>([['', root]]);
  const nodeFor = (path: string): PathNode => {
    let n = nodes.get(path);
    if (n === undefined) nodes.set(path, (n = new PathNode()));
    return n;
  };
  for (const field of fields) {
    const segments = field.path.split('.');
    const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('.'));
    for (let i = 0; i <= segments.length; i++) {
      const from = i === 0 ? root : nodeFor(prefixes[i - 1] as string);
      for (let j = i + 1; j <= segments.length; j++) {
        (from.children ??= new Map()).set(segments.slice(i, j).join('.'), nodeFor(prefixes[j - 1] as string));
      }
    }
    nodeFor(field.path).field = field;
  }
  for (const node of nodes.values()) {
    if (node.children === null) continue;
    const plain = [...node.children].filter(([key]) => !key.includes('.'));
    if (plain.length <= FEW_CHILDREN) node.few = plain;
  }
  return root;
}
