/**
 * Timing for a machine shared with other jobs: each figure is the best of N runs, both in wall-clock
 * time and in this process's CPU time (user + system). The wasm backend runs on one thread, so CPU
 * time is what the work costs on one core even while other processes compete for it.
 */
export interface Timing {
  /** Best wall-clock milliseconds of one call. */
  wallMs: number;
  /** Best CPU milliseconds of one call. */
  cpuMs: number;
  runs: number;
}

export function measure(f: () => void, runs: number, warmup = 1): Timing {
  for (let i = 0; i < warmup; i++) f();
  let wallMs = Infinity;
  let cpuMs = Infinity;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    wallMs = Math.min(wallMs, wall);
    cpuMs = Math.min(cpuMs, (c.user + c.system) / 1000);
  }
  return { wallMs, cpuMs, runs };
}

/** Items per second at the best wall-clock and the best CPU time. */
export function rate(t: Timing, items: number): { wall: number; cpu: number } {
  return { wall: (items * 1000) / t.wallMs, cpu: (items * 1000) / t.cpuMs };
}

export function fmt(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
