import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['consumer/**/*.test.ts', 'readme-blocks/**/*.test.ts', 'layering/**/*.test.ts', 'release/**/*.test.ts'],
    // The repository's own checks. consumer/ installs the packed packages and builds in child processes:
    // minutes, not seconds.
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
