/**
 * A batch of search trees as one struct of typed arrays (mctx's `Tree`, flattened): node `n` of tree `b`
 * is global index `g = b * maxNodes + n`; per-action fields live at `g * numActions + a`. The simulator state
 * of a node is slot `g` of `states`, so stepping a node is a simulator call `from g to g'`.
 * Nothing here allocates after construction.
 */
export class TreeArena {
  readonly numTrees: number;
  readonly maxNodes: number;
  readonly numActions: number;
  readonly numAgents: number;
  readonly stateWords: number;

  /** `[B]` nodes in use per tree (node 0 is the root). */
  readonly size: Int32Array;
  /** `[B]` focal agent of each tree. */
  readonly focal: Int32Array;
  /** `[B]` 0 when the tree's root is terminal (nothing to search). */
  readonly active: Uint8Array;
  /**
   * `[B]` smallest / largest Q estimate of any non-root node after its backups (MuZero's MinMaxStats), so that
   * min-max normalisation maps every Q that PUCT scores into [0, 1].
   */
  readonly minQ: Float64Array;
  readonly maxQ: Float64Array;

  /** Visits of the node (its own expansion counts as one). */
  readonly visits: Int32Array;
  /** Sum of the returns `r + gamma * v` backed up through the edge into the node (root: of the leaf values). */
  readonly valueSum: Float64Array;
  /** Focal agent's reward on entering the node. */
  readonly reward: Float32Array;
  /** Evaluator value of the node (0 for terminal nodes). */
  readonly rawValue: Float32Array;
  readonly terminal: Uint8Array;
  readonly parent: Int32Array;
  readonly actionFromParent: Int32Array;
  readonly depth: Int32Array;

  /** `[.., A]` child node (local index) per focal action, -1 when not expanded. */
  readonly children: Int32Array;
  /** `[.., A]` prior probabilities (root: with Dirichlet noise when enabled). */
  readonly prior: Float32Array;
  /** `[.., A]` evaluator logits minus their max over valid actions (-Infinity for invalid). */
  readonly logits: Float32Array;
  /** `[.., A]` 1 = valid action of the focal agent. */
  readonly legal: Uint8Array;
  /**
   * `[.., numAgents]` joint-action template: co-player actions sampled once at this node, when it is first
   * expanded (`coReady` = 1 from then on).
   */
  readonly coActions: Int32Array;
  readonly coReady: Uint8Array;
  /** `[.., stateWords]` simulator states. */
  readonly states: Int32Array;

  // scratch for re-rooting (one tree at a time)
  private readonly remap: Int32Array;
  private readonly queue: Int32Array;

  constructor(numTrees: number, maxNodes: number, numActions: number, numAgents: number, stateWords: number) {
    this.numTrees = numTrees;
    this.maxNodes = maxNodes;
    this.numActions = numActions;
    this.numAgents = numAgents;
    this.stateWords = stateWords;
    const n = numTrees * maxNodes;
    this.size = new Int32Array(numTrees);
    this.focal = new Int32Array(numTrees);
    this.active = new Uint8Array(numTrees);
    this.minQ = new Float64Array(numTrees);
    this.maxQ = new Float64Array(numTrees);
    this.visits = new Int32Array(n);
    this.valueSum = new Float64Array(n);
    this.reward = new Float32Array(n);
    this.rawValue = new Float32Array(n);
    this.terminal = new Uint8Array(n);
    this.parent = new Int32Array(n);
    this.actionFromParent = new Int32Array(n);
    this.depth = new Int32Array(n);
    this.children = new Int32Array(n * numActions);
    this.prior = new Float32Array(n * numActions);
    this.logits = new Float32Array(n * numActions);
    this.legal = new Uint8Array(n * numActions);
    this.coActions = new Int32Array(n * numAgents);
    this.coReady = new Uint8Array(n);
    this.states = new Int32Array(n * stateWords);
    this.remap = new Int32Array(maxNodes);
    this.queue = new Int32Array(maxNodes);
  }

  /** Empties tree `b` and makes room for a root (node 0); the caller writes the root state. */
  resetTree(b: number): void {
    this.size[b] = 1;
    this.minQ[b] = Infinity;
    this.maxQ[b] = -Infinity;
    this.initNode(b * this.maxNodes, -1, -1, 0);
  }

  /** Allocates a child of local node `parentLocal` under `action`; returns its global index. */
  addChild(b: number, parentLocal: number, action: number): number {
    const local = this.size[b]++;
    const base = b * this.maxNodes;
    const g = base + local;
    this.initNode(g, parentLocal, action, this.depth[base + parentLocal] + 1);
    this.children[(base + parentLocal) * this.numActions + action] = local;
    return g;
  }

  private initNode(g: number, parentLocal: number, action: number, depth: number): void {
    this.visits[g] = 0;
    this.valueSum[g] = 0;
    this.reward[g] = 0;
    this.rawValue[g] = 0;
    this.terminal[g] = 0;
    this.coReady[g] = 0;
    this.parent[g] = parentLocal;
    this.actionFromParent[g] = action;
    this.depth[g] = depth;
    this.children.fill(-1, g * this.numActions, (g + 1) * this.numActions);
  }

  /** Visits of the child of global node `g` under action `a` (0 when not expanded). */
  childVisits(b: number, g: number, a: number): number {
    const c = this.children[g * this.numActions + a];
    return c < 0 ? 0 : this.visits[b * this.maxNodes + c];
  }

  /** Value sum of the child of global node `g` under action `a` (0 when not expanded). */
  childValueSum(b: number, g: number, a: number): number {
    const c = this.children[g * this.numActions + a];
    return c < 0 ? 0 : this.valueSum[b * this.maxNodes + c];
  }

  /**
   * Finds the child of tree `b`'s root whose state equals `state[offset ..]` word for word (the most visited
   * one when several focal actions led to the same state); returns its local index or -1.
   */
  findRootChild(b: number, state: Int32Array, offset: number): number {
    const base = b * this.maxNodes;
    const W = this.stateWords;
    let found = -1;
    for (let a = 0; a < this.numActions; a++) {
      const c = this.children[base * this.numActions + a];
      if (c < 0) continue;
      const s = (base + c) * W;
      let same = true;
      for (let w = 0; w < W; w++) {
        if (this.states[s + w] !== state[offset + w]) {
          same = false;
          break;
        }
      }
      if (same && (found < 0 || this.visits[base + c] > this.visits[base + found])) found = c;
    }
    return found;
  }

  /** Number of nodes in the subtree of tree `b` under local node `root`. */
  subtreeSize(b: number, root: number): number {
    const base = b * this.maxNodes;
    const A = this.numActions;
    let head = 0;
    let tail = 0;
    this.queue[tail++] = root;
    while (head < tail) {
      const n = this.queue[head++];
      for (let a = 0; a < A; a++) {
        const c = this.children[(base + n) * A + a];
        if (c >= 0) this.queue[tail++] = c;
      }
    }
    return tail;
  }

  /**
   * Makes local node `newRoot` of tree `b` the root, keeping only its subtree. The kept nodes keep their
   * relative order (creation order, so parents precede children) and are moved down in place: a node's new
   * index is its rank among the kept nodes, never above its old index, so no unread node is overwritten.
   */
  reroot(b: number, newRoot: number): void {
    const base = b * this.maxNodes;
    const A = this.numActions;
    const count = this.subtreeSize(b, newRoot); // fills queue with the kept nodes' old indices
    this.queue.subarray(0, count).sort();
    const remap = this.remap;
    for (let i = 0; i < count; i++) remap[this.queue[i]] = i;
    const rootDepth = this.depth[base + newRoot];
    for (let i = 0; i < count; i++) {
      const from = base + this.queue[i];
      const to = base + i;
      this.moveNode(from, to);
      this.depth[to] -= rootDepth;
      this.parent[to] = i === 0 ? -1 : remap[this.parent[to]];
      if (i === 0) this.actionFromParent[to] = -1;
      for (let a = 0; a < A; a++) {
        const c = this.children[to * A + a];
        if (c >= 0) this.children[to * A + a] = remap[c];
      }
    }
    this.size[b] = count;
    // as a root the node sums the values backed up to it (its value plus its children's returns), without
    // the reward and discount of the edge it no longer has
    let w = this.rawValue[base];
    for (let a = 0; a < A; a++) w += this.childValueSum(b, base, a);
    this.valueSum[base] = w;
    this.reward[base] = 0;
  }

  /** Recomputes tree `b`'s min-max bounds from its nodes (after re-rooting dropped the others). */
  recomputeQBounds(b: number, meanQ: boolean): void {
    const base = b * this.maxNodes;
    let lo = Infinity;
    let hi = -Infinity;
    for (let n = 1; n < this.size[b]; n++) {
      const N = this.visits[base + n];
      if (N === 0) continue;
      const q = this.valueSum[base + n] / (meanQ ? N : 1 + N);
      if (q < lo) lo = q;
      if (q > hi) hi = q;
    }
    this.minQ[b] = lo;
    this.maxQ[b] = hi;
  }

  private moveNode(from: number, to: number): void {
    if (from === to) return;
    const A = this.numActions;
    const M = this.numAgents;
    const W = this.stateWords;
    this.visits[to] = this.visits[from];
    this.valueSum[to] = this.valueSum[from];
    this.reward[to] = this.reward[from];
    this.rawValue[to] = this.rawValue[from];
    this.terminal[to] = this.terminal[from];
    this.coReady[to] = this.coReady[from];
    this.parent[to] = this.parent[from];
    this.actionFromParent[to] = this.actionFromParent[from];
    this.depth[to] = this.depth[from];
    this.children.copyWithin(to * A, from * A, (from + 1) * A);
    this.prior.copyWithin(to * A, from * A, (from + 1) * A);
    this.logits.copyWithin(to * A, from * A, (from + 1) * A);
    this.legal.copyWithin(to * A, from * A, (from + 1) * A);
    this.coActions.copyWithin(to * M, from * M, (from + 1) * M);
    this.states.copyWithin(to * W, from * W, (from + 1) * W);
  }
}
