/**
 * The node lists one simulation step hands from phase to phase (mctx's `simulate` returns the leaf and the
 * action to expand; here B trees at once): global arena node indices plus the tree each belongs to.
 */
export interface NodeList {
  /** `[capacity]` tree of each entry. */
  readonly tree: Int32Array;
  /** `[capacity]` global arena node (`tree * maxNodes + local`). */
  readonly node: Int32Array;
  count: number;
}

/** New edges to step: child `to[e]` of node `from[e]` under focal action `action[e]` in tree `tree[e]`. */
export interface EdgeList {
  readonly tree: Int32Array;
  readonly action: Int32Array;
  /** `from` / `to` are the simulator step batch's arrays (a node's state is its arena slot). */
  readonly from: Int32Array;
  readonly to: Int32Array;
  count: number;
}

export function nodeList(capacity: number): NodeList {
  return { tree: new Int32Array(capacity), node: new Int32Array(capacity), count: 0 };
}

export function pushNode(list: NodeList, tree: number, node: number): void {
  list.tree[list.count] = tree;
  list.node[list.count++] = node;
}
