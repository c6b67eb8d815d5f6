import { createMOAInference, type MOAInference, type MOAModel } from '@hop/moa';
import type { InferenceEngineName } from '@hop/core';

/**
 * The inference engine (ONNX Runtime where available, else tfjs; `HOP_INFERENCE` decides) of every network
 * a team plans with. tfjs reads the live weights; ONNX Runtime holds a copy, so a model whose weights
 * changed must be marked with `changed` and is re-exported at the next `sync`, never during a search.
 */
export class ModelEngines {
  private readonly engines = new Map<MOAModel, MOAInference>();
  private readonly stale = new Set<MOAModel>();
  private name: InferenceEngineName | null = null;
  private why = '';

  /** The engine chosen ('onnx' or 'tfjs') and why; null before the first sync. */
  get engine(): { name: InferenceEngineName; reason: string } | null {
    return this.name ? { name: this.name, reason: this.why } : null;
  }

  /** Marks a model whose weights changed since its engine was built. */
  changed(model: MOAModel): void {
    this.stale.add(model);
  }

  /** Builds engines for new models, refreshes stale ones, releases those of models no longer in use. Returns ms spent. */
  async sync(models: Iterable<MOAModel>): Promise<number> {
    const t0 = performance.now();
    const wanted = new Set(models);
    for (const [m, e] of this.engines)
      if (!wanted.has(m)) {
        await e.dispose();
        this.engines.delete(m);
      }
    for (const m of wanted) {
      const e = this.engines.get(m);
      if (!e) {
        const made = await createMOAInference(m);
        this.name = made.engine;
        this.why = made.reason;
        this.engines.set(m, made);
      } else if (this.stale.has(m)) await e.refresh();
    }
    this.stale.clear();
    return performance.now() - t0;
  }

  /** The engine of a synced model. */
  of(model: MOAModel): MOAInference {
    const e = this.engines.get(model);
    if (!e) throw new Error('ModelEngines.of: the model was not synced before planning');
    return e;
  }

  async dispose(): Promise<void> {
    for (const e of this.engines.values()) await e.dispose();
    this.engines.clear();
  }
}
