/**
 * Wilson score interval (95%, z = 1.96) of a proportion `p` measured on `n` independent trials: unlike
 * p ± 1.96 SE it stays inside [0, 1] and is not empty at p = 0 or 1. Null when n or p is unusable.
 */
export function wilsonInterval(p: number, n: number): [number, number] | null {
  if (!(n > 0) || !Number.isFinite(p)) return null;
  const z = 1.959964;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const w = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - w), Math.min(1, c + w)];
}
