/**
 * Model outputs stored per (state, agent, goal) for one search call: an open-addressing hash table over the
 * simulator's 32-bit state hash, confirmed by comparing the full state words, so a hash collision can
 * never hand back another state's output. Entries point at a node of the tree arena holding the state,
 * which is why the cache lives no longer than the trees it indexes.
 *
 * Disabled, it still hands out one fresh entry per request, so the search has a single code path.
 */
export class OutputCache {
  readonly width: number;
  readonly enabled: boolean;
  /** `[capacity, width]` stored outputs. */
  readonly data: Float32Array;
  private readonly keyHash: Uint32Array;
  private readonly keyAgent: Int32Array;
  private readonly keyGoal: Int32Array;
  private readonly keyFocal: Int32Array;
  /** Global arena node holding the entry's state. */
  private readonly keyNode: Int32Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number, width: number, enabled: boolean) {
    this.capacity = capacity;
    this.width = width;
    this.enabled = enabled;
    this.data = new Float32Array(capacity * width);
    this.keyHash = new Uint32Array(enabled ? capacity : 0);
    this.keyAgent = new Int32Array(enabled ? capacity : 0);
    this.keyGoal = new Int32Array(enabled ? capacity : 0);
    this.keyFocal = new Int32Array(enabled ? capacity : 0);
    this.keyNode = new Int32Array(enabled ? capacity : 0);
    let size = 2;
    while (size < 2 * capacity) size *= 2;
    this.table = new Int32Array(enabled ? size : 0).fill(-1);
    this.mask = size - 1;
  }

  get entries(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
    if (this.enabled) this.table.fill(-1);
  }

  /**
   * The entry for a request. Returns `e >= 0` for an existing entry (hit) and `-(e + 1)` for a new entry
   * the caller must fill (miss). `states` / `node` give the state for the equality check.
   */
  lookup(
    hash: number,
    agent: number,
    goal: number,
    focal: number,
    states: Int32Array,
    node: number,
    stateWords: number,
  ): number {
    if (!this.enabled) return -(this.newEntry() + 1);
    let h = mixKey(hash, agent, goal, focal) & this.mask;
    for (;;) {
      const e = this.table[h];
      if (e < 0) break;
      if (
        this.keyHash[e] === hash &&
        this.keyAgent[e] === agent &&
        this.keyGoal[e] === goal &&
        this.keyFocal[e] === focal &&
        sameState(states, this.keyNode[e], node, stateWords)
      )
        return e;
      h = (h + 1) & this.mask;
    }
    const e = this.newEntry();
    this.table[h] = e;
    this.keyHash[e] = hash;
    this.keyAgent[e] = agent;
    this.keyGoal[e] = goal;
    this.keyFocal[e] = focal;
    this.keyNode[e] = node;
    return -(e + 1);
  }

  private newEntry(): number {
    if (this.count >= this.capacity) throw new Error(`OutputCache overflow (${this.capacity} entries)`);
    return this.count++;
  }
}

function sameState(states: Int32Array, a: number, b: number, W: number): boolean {
  if (a === b) return true;
  const oa = a * W;
  const ob = b * W;
  for (let w = 0; w < W; w++) if (states[oa + w] !== states[ob + w]) return false;
  return true;
}

function mixKey(hash: number, agent: number, goal: number, focal: number): number {
  let h = hash ^ Math.imul(agent + 1, 0x9e3779b1) ^ Math.imul(goal + 2, 0x85ebca77) ^ Math.imul(focal + 3, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
