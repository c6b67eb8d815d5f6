import { defineConfig } from 'tsup';
import { tsupDefaults } from '../../tools/tsup.shared';

// Two entries: the library (index) and the `hop` executable (cli, shebang kept by tsup, ESM only is used).
export default defineConfig({
  ...tsupDefaults,
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  dts: { entry: { index: 'src/index.ts' } },
});
