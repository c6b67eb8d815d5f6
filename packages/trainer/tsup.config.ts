import { defineConfig } from 'tsup';
import { tsupDefaults } from '../../tools/tsup.shared';

// Three entries: the library (index), the `hop` executable (cli, shebang kept by tsup, ESM only is used) and
// the rollout worker that piscina loads by path (a sibling of the bundles in dist/).
export default defineConfig({
  ...tsupDefaults,
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'rollout-worker': 'src/algos/hop/rollout-worker.ts', 'eval-worker': 'src/eval/worker.ts' },
  dts: { entry: { index: 'src/index.ts' } },
});
