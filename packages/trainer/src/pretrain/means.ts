/** Running sums of named losses, averaged on demand; serialisable so a resume continues them exactly. */
export class RunningMeans {
  sums: Record<string, number> = {};
  counts: Record<string, number> = {};

  add(values: Record<string, number | null>): void {
    for (const [k, v] of Object.entries(values)) {
      if (v === null || !Number.isFinite(v)) continue;
      this.sums[k] = (this.sums[k] ?? 0) + v;
      this.counts[k] = (this.counts[k] ?? 0) + 1;
    }
  }

  means(prefix = ''): Record<string, number> {
    return Object.fromEntries(Object.keys(this.sums).map((k) => [`${prefix}${k}`, this.sums[k] / this.counts[k]]));
  }

  get empty(): boolean {
    return Object.keys(this.sums).length === 0;
  }

  reset(): void {
    this.sums = {};
    this.counts = {};
  }

  toJSON(): { sums: Record<string, number>; counts: Record<string, number> } {
    return { sums: { ...this.sums }, counts: { ...this.counts } };
  }

  static from(s: { sums: Record<string, number>; counts: Record<string, number> } | undefined): RunningMeans {
    const m = new RunningMeans();
    if (s) {
      m.sums = { ...s.sums };
      m.counts = { ...s.counts };
    }
    return m;
  }
}
