import { defineConfig } from 'tsup';
import { tsupDefaults } from '../../tools/tsup.shared';

export default defineConfig({ ...tsupDefaults, entry: ['src/index.ts'] });
