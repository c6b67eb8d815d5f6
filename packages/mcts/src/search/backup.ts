import type { MctsConfig } from '../config';
import type { TreeArena } from '../tree/arena';
import type { NodeList } from './frontier';

/**
 * Backup (mctx's `backward`): from each leaf to its root, `v <- r + gamma * v` through every edge, one
 * visit and `v` added to each node on the path, and the tree's min-max Q bounds widened with each node's
 * new Q estimate (the one PUCT scores, as MuZero updates its MinMaxStats). A non-terminal leaf starts
 * from its evaluator value; a terminal leaf is worth nothing beyond the reward collected on entering it
 * (the reference's `compat.doubleCountTerminalReward` valued it at that reward, added again on the way up).
 */
export function backup(arena: TreeArena, leaves: NodeList, config: MctsConfig): void {
  const gamma = config.gamma;
  const compat = config.compat.doubleCountTerminalReward;
  const qOffset = config.qEstimate === 'mean' ? 0 : 1;
  const M = arena.maxNodes;
  for (let i = 0; i < leaves.count; i++) {
    const b = leaves.tree[i];
    const base = b * M;
    let g = leaves.node[i];
    let v = arena.terminal[g] ? (compat ? arena.reward[g] : 0) : arena.rawValue[g];
    let lo = arena.minQ[b];
    let hi = arena.maxQ[b];
    for (;;) {
      const p = arena.parent[g];
      if (p < 0) {
        arena.visits[g]++;
        arena.valueSum[g] += v;
        break;
      }
      v = arena.reward[g] + gamma * v;
      const n = ++arena.visits[g];
      const w = (arena.valueSum[g] += v);
      const q = w / (n + qOffset);
      if (q < lo) lo = q;
      if (q > hi) hi = q;
      g = base + p;
    }
    arena.minQ[b] = lo;
    arena.maxQ[b] = hi;
  }
}
