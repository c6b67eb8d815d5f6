// The layering rules of the monorepo, for dependency-cruiser (used by ../../.dependency-cruiser.cjs and by
// the fixture test). Packages may import only the @hop packages their package.json depends on (derived here,
// so the rule follows the manifests); @hop/mcts sees only @hop/core/base; nothing anywhere is in a cycle;
// the trainer's shared folders import no algorithm folder and the algorithm contract imports none either.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

/** `{ name: dir, deps: [dir] }` for every package under `packagesDir` with a package.json. */
function packagesOf(packagesDir) {
  return readdirSync(packagesDir)
    .filter((d) => existsSync(join(packagesDir, d, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8'));
      const all = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
      const deps = Object.keys(all).filter((d) => d.startsWith('@hop/')).map((d) => d.slice('@hop/'.length));
      return { dir, deps };
    });
}

/** The forbidden-rule list for a repository whose packages sit in `<prefix>packages/`. */
function layeringRules(packagesDir, prefix = 'packages/') {
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const P = esc(prefix);
  const rules = [
    {
      name: 'no-cycles',
      comment: 'No module may reach itself through its (runtime) imports, in any package.',
      severity: 'error',
      from: { path: `^${P}[^/]+/src/` },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      // Erased at build time (verbatimModuleSyntax), so not an error; shown so that it gets untangled.
      name: 'no-type-cycles',
      comment: 'A cycle through `import type` only: harmless at run time, but the modules are not layered.',
      severity: 'warn',
      from: { path: `^${P}[^/]+/src/` },
      to: { circular: true },
    },
  ];
  for (const { dir, deps } of packagesOf(packagesDir)) {
    const allowed = [dir, ...deps].map(esc).join('|');
    rules.push({
      name: `layers-${dir}`,
      comment: `@hop/${dir} imports only the @hop packages in its package.json (${deps.join(', ') || 'none'}): packages import only packages below them.`,
      severity: 'error',
      from: { path: `^${P}${esc(dir)}/` },
      to: { path: `^${P}[^/]+/`, pathNot: `^${P}(${allowed})/` },
    });
  }
  rules.push(
    {
      name: 'mcts-sees-core-base-only',
      comment: '@hop/mcts is tensor-free: from @hop/core it imports only @hop/core/base.',
      severity: 'error',
      from: { path: `^${P}mcts/src/` },
      to: { path: `^${P}core/`, pathNot: `^${P}core/src/base\\.ts$` },
    },
    {
      name: 'trainer-shared-imports-no-algorithm',
      comment: "The trainer's shared folders (run, team, planning, metrics, config, data, beliefs) import nothing from algos/.",
      severity: 'error',
      from: { path: `^${P}trainer/src/(run|team|planning|metrics|config|data|beliefs)/` },
      to: { path: `^${P}trainer/src/algos/` },
    },
    {
      name: 'trainer-algorithms-through-the-registry',
      comment: 'Outside algos/, an algorithm is reached only through algos/registry.ts and the contract algos/types.ts (index.ts, the public API, re-exports).',
      severity: 'error',
      from: { path: `^${P}trainer/src/`, pathNot: `^${P}trainer/src/(algos/|index\\.ts$)` },
      to: { path: `^${P}trainer/src/algos/[^/]+/` },
    },
    {
      name: 'trainer-contract-at-the-bottom',
      comment: 'The algorithm contract (algos/types.ts) imports no algorithm and not the registry.',
      severity: 'error',
      from: { path: `^${P}trainer/src/algos/types\\.ts$` },
      to: { path: `^${P}trainer/src/algos/` },
    },
  );
  return rules;
}

module.exports = { layeringRules, packagesOf };
