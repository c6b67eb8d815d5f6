import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeReadme } from '../../../tools/readme-blocks/vitest';

// Every TypeScript block of README.md is type-checked and run (or marked no-run / fragment / file=...).
describeReadme(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
