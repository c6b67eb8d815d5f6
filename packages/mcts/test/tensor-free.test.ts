import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../src');
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(SRC, f));

/**
 * @hop/mcts installs and runs without tfjs (tools/consumer checks the packed package). That holds only while
 * the search imports nothing but @hop/core's tensor-free entry: '@hop/core' itself loads tfjs.
 */
describe('@hop/mcts is tensor-free', () => {
  it("imports only '@hop/core/base' and relative modules, never tfjs or another @hop package", () => {
    const seen = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (m[1].startsWith('.') || m[1].startsWith('node:') || m[1] === 'zod') continue;
        seen.add(`${m[1]} (${relative(SRC, file)})`);
      }
    }
    expect([...seen].filter((s) => !s.startsWith('@hop/core/base '))).toEqual([]);
    expect([...seen].length).toBeGreaterThan(0);
  });
});
