/**
 * Every error a user can cause with bad input (a config, a dataset file, a checkpoint, a shape) is a
 * HopError: `code` is stable for programs, `message` says what was wrong and how to fix it.
 */
export class HopError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HopError';
    this.code = code;
  }
}

/** Throws a shape error naming the tensor, the expected and the actual shape. */
export function assertShape(name: string, actual: readonly number[], expected: readonly (number | null)[]): void {
  const ok =
    actual.length === expected.length && expected.every((d, i) => d === null || d === actual[i]);
  if (!ok) {
    const fmt = (s: readonly (number | null)[]) => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;
    throw new HopError('E_SHAPE', `${name} has shape ${fmt(actual)}, expected ${fmt(expected)}`);
  }
}
