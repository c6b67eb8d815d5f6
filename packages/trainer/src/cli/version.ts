import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version of @hop/trainer: read from its package.json, found by walking up from this module (the same
 * from `dist/cli.js` and from `src/cli/version.ts` run by tsx).
 */
export function trainerVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@hop/trainer' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // keep walking
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
