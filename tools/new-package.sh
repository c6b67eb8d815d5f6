#!/usr/bin/env bash
# Scaffold packages/<dir> as @hop/<dir> with the repository's package hygiene.
# usage: tools/new-package.sh <dir> "<description>"
set -euo pipefail
dir=$1; desc=$2
root=$(cd "$(dirname "$0")/.." && pwd)
p="$root/packages/$dir"
mkdir -p "$p/src" "$p/test" "$p/bench"
cat > "$p/package.json" <<JSON
{
  "name": "@hop/$dir",
  "version": "0.0.0",
  "description": "$desc",
  "license": "MIT",
  "type": "module",
  "sideEffects": false,
  "main": "./dist/index.cjs",
  "module": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": {
      "import": { "types": "./dist/index.d.ts", "default": "./dist/index.js" },
      "require": { "types": "./dist/index.d.cts", "default": "./dist/index.cjs" }
    },
    "./package.json": "./package.json"
  },
  "files": ["dist", "src", "README.md"],
  "engines": { "node": ">=20" },
  "repository": { "type": "git", "url": "git+https://github.com/hop-ts/hop-ts.git", "directory": "packages/$dir" },
  "scripts": {
    "build": "tsup",
    "typecheck": "tsc -p tsconfig.json",
    "test": "vitest run",
    "lint": "node ../../tools/check-packages.mjs .",
    "bench": "node --import tsx bench/index.ts"
  },
  "peerDependencies": {
    "@tensorflow/tfjs": "^4.22.0"
  },
  "dependencies": {}
}
JSON
cat > "$p/tsup.config.ts" <<'TS'
import { defineConfig } from 'tsup';
import { tsupDefaults } from '../../tools/tsup.shared';

export default defineConfig({ ...tsupDefaults, entry: ['src/index.ts'] });
TS
cat > "$p/tsconfig.json" <<'TS'
{
  "extends": "../../tsconfig.base.json",
  "include": ["src", "test", "bench", "*.config.ts"]
}
TS
cat > "$p/vitest.config.ts" <<'TS'
import { defineConfig } from 'vitest/config';
import { vitestDefaults } from '../../vitest.shared';

export default defineConfig(vitestDefaults);
TS
[ -f "$p/src/index.ts" ] || echo "export {};" > "$p/src/index.ts"
[ -f "$p/README.md" ] || printf '# @hop/%s\n\n%s\n' "$dir" "$desc" > "$p/README.md"
# license, repository, homepage, bugs, keywords, publishConfig and LICENSE, as every package has them
node "$root/tools/release/sync-metadata.mjs"
