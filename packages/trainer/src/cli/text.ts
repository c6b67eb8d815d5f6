/** A plain-text table for terminals: columns padded, the first left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number for a progress line: `n/a` instead of "NaN" / "Infinity" (e.g. no episode ended this iteration). */
export function fixed(v: number | undefined, digits: number): string {
  return v !== undefined && Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}
