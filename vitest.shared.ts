import { readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

// Tests import sibling packages from source, so a change in @hop/core is seen without rebuilding it.
// Exact matches: '@hop/core/base' is an entry of its own, not a path under '@hop/core'.
const alias = [
  { find: /^@hop\/core\/base$/, replacement: resolve(root, 'packages/core/src/base.ts') },
  ...readdirSync(resolve(root, 'packages')).map((dir) => ({
    find: new RegExp(`^@hop/${dir}$`),
    replacement: resolve(root, 'packages', dir, 'src/index.ts'),
  })),
];

export const vitestDefaults: ViteUserConfig = {
  resolve: { alias },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Type tests (`expectTypeOf`) live in *.test-d.ts: vitest compiles them with tsc and counts each as a test.
    // At run time `expectTypeOf` does nothing, so a type test in a *.test.ts file can never fail.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: 'tsconfig.json' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // The JSON file feeds tools/test-summary.mjs, which prints the suite's closing tally for CI.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
};
