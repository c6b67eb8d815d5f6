import { defineConfig } from 'vitest/config';
import { vitestDefaults } from '../../vitest.shared';

export default defineConfig(vitestDefaults);
