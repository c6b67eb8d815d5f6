import { defineConfig } from 'tsup';
import { tsupDefaults } from '../../tools/tsup.shared';

// Two entries share their code through chunks (splitting), so `HopError` from '@hop/core/base' and from
// '@hop/core' is one class and `instanceof` holds across them. No import.meta shim: it would read
// __filename when the module loads, and the backend reads its location only when it is set up.
export default defineConfig({ ...tsupDefaults, entry: ['src/index.ts', 'src/base.ts'], splitting: true, shims: false });
