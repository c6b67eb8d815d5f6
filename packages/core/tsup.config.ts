import { defineConfig } from 'tsup';
import { tsupDefaults } from '../../tools/tsup.shared';

// Two entries share their code through chunks (splitting), so `HopError` from '@hop/core/base' and from
// '@hop/core' is one class and `instanceof` holds across them. No import.meta shim: it would read
// __filename when the module loads, and the backend reads its location only when it is set up.
// The tensor entry is built as dist/tensor.*; scripts/tensor-entry.mjs (the build script's second step, after the declarations) writes dist/index.* around it
// (a missing @tensorflow/tfjs becomes a HopError there).
export default defineConfig({
  ...tsupDefaults,
  entry: { tensor: 'src/index.ts', base: 'src/base.ts' },
  splitting: true,
  shims: false,
});
