import type { Options } from 'tsup';

/** One build shape for every package: ESM first, CJS beside it, types for both. */
export const tsupDefaults: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
  // import.meta.url in the CJS build (backend locates its .wasm files from it)
  shims: true,
};
