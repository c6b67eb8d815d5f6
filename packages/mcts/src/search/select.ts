import type { TreeArena } from '../tree/arena';
import type { SelectionContext } from './context';
import type { EdgeList, NodeList } from './frontier';
import { pushNode } from './frontier';
import type { SearchRun, SearchSelectors } from './types';

/**
 * Selection (mctx's `simulate`): in every active tree with budget left, descend from the root with the
 * variant's selectors until a terminal node or an unexpanded edge. A new edge gets its child allocated
 * (stepped later, in expansion) and becomes the leaf; its parent joins `needCoPlayers` when it has no
 * co-player actions yet. Records the leaf depths in `run`.
 */
export function selectLeaves(
  arena: TreeArena,
  ctx: SelectionContext,
  variant: SearchSelectors,
  budget: Int32Array,
  run: SearchRun,
  leaves: NodeList,
  edges: EdgeList,
  needCoPlayers: NodeList,
): void {
  const B = arena.numTrees;
  const M = arena.maxNodes;
  const A = arena.numActions;
  const step = ctx.simIndex;
  leaves.count = 0;
  edges.count = 0;
  needCoPlayers.count = 0;
  for (let b = 0; b < B; b++) {
    if (!arena.active[b] || step >= budget[b]) continue;
    const base = b * M;
    let g = base;
    for (;;) {
      if (arena.terminal[g]) break;
      const depth = arena.depth[g];
      const a = depth === 0 ? variant.root(ctx, b, g, 0) : variant.interior(ctx, b, g, depth);
      const c = arena.children[g * A + a];
      if (c >= 0) {
        g = base + c;
        continue;
      }
      const child = arena.addChild(b, g - base, a);
      const e = edges.count++;
      edges.tree[e] = b;
      edges.action[e] = a;
      edges.from[e] = g;
      edges.to[e] = child;
      if (!arena.coReady[g]) pushNode(needCoPlayers, b, g);
      g = child;
      break;
    }
    pushNode(leaves, b, g);
    const depth = arena.depth[g];
    run.leafDepthSum[b] += depth;
    run.leafCount[b]++;
    if (depth > run.maxDepth[b]) run.maxDepth[b] = depth;
  }
}
