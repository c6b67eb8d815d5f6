import { HopError } from '@hop/core/base';
import type { BatchedSimulator, SimStepBatch, SimViewBatch } from '@hop/core/base';

type ViewCall = 'legalActions' | 'agentDone' | 'observe' | 'time' | 'terminal' | 'hash' | 'goalsAvailable';

/**
 * The planner's calls into the simulator (the user's game): an error thrown inside one comes back as a
 * `HopError` naming the call, the batch row that failed and the tree node it belongs to, with the original
 * error as its `cause` (a bare `TypeError` from a game's rules otherwise names none of them). The row is
 * found after the failure by repeating the call one row at a time (views only read; the planner never steps
 * a state in place, so a repeated step rewrites only the child's own slot).
 */
export class GuardedSimulator {
  constructor(
    readonly sim: BatchedSimulator,
    /** Where a global arena node sits (tree, decision, depth), for the message. */
    private readonly describeNode: (node: number) => string,
  ) {}

  async step(batch: SimStepBatch): Promise<void> {
    try {
      await this.sim.step(batch);
    } catch (e) {
      const P = this.sim.numAgents;
      let row = -1;
      for (let k = 0; k < batch.count && row < 0; k++) {
        if (batch.from[k] === batch.to[k]) continue;
        const one: SimStepBatch = {
          states: batch.states,
          from: batch.from.subarray(k, k + 1),
          to: batch.to.subarray(k, k + 1),
          actions: batch.actions.subarray(k * P, (k + 1) * P),
          count: 1,
          rewards: batch.rewards.subarray(k * P, (k + 1) * P),
          terminal: batch.terminal.subarray(k, k + 1),
        };
        try {
          await this.sim.step(one);
        } catch {
          row = k;
        }
      }
      const where =
        row < 0
          ? ''
          : ` row ${row} (from ${this.describeNode(batch.from[row])}, joint action [${Array.from(batch.actions.subarray(row * P, (row + 1) * P)).join(', ')}])`;
      throw wrap('step', row, batch.count, where, e);
    }
  }

  legalActions(view: SimViewBatch, out: Uint8Array): void {
    this.view('legalActions', view, out);
  }
  agentDone(view: SimViewBatch, out: Uint8Array): void {
    this.view('agentDone', view, out);
  }
  observe(view: SimViewBatch, out: Float32Array): void {
    this.view('observe', view, out);
  }
  time(view: SimViewBatch, out: Float32Array): void {
    this.view('time', view, out);
  }
  terminal(view: SimViewBatch, out: Uint8Array): void {
    this.view('terminal', view, out);
  }
  hash(view: SimViewBatch, out: Uint32Array): void {
    this.view('hash', view, out);
  }
  goalsAvailable(view: SimViewBatch, out: Uint8Array): void {
    this.view('goalsAvailable', view, out);
  }

  private view(call: ViewCall, view: SimViewBatch, out: Uint8Array | Float32Array | Uint32Array): void {
    const sim = this.sim as unknown as Record<ViewCall, (v: SimViewBatch, o: typeof out) => void>;
    try {
      sim[call](view, out);
    } catch (e) {
      let row = -1;
      for (let k = 0; k < view.count && row < 0; k++) {
        try {
          sim[call]({ states: view.states, slots: view.slots.subarray(k, k + 1), count: 1 }, out);
        } catch {
          row = k;
        }
      }
      throw wrap(call, row, view.count, row < 0 ? '' : ` row ${row} (${this.describeNode(view.slots[row])})`, e);
    }
  }
}

function wrap(call: string, row: number, count: number, where: string, e: unknown): HopError {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const code = e instanceof HopError ? e.code : 'E_SIMULATOR';
  const at = row < 0 ? ` on a batch of ${count} states` : ` on${where} of a batch of ${count}`;
  return new HopError(code, `the simulator's ${call} threw${at}: ${msg}`, { cause: e });
}
