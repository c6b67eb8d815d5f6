// The release metadata every published package carries, from one place: `sync-metadata.mjs` writes it into
// packages/*/package.json and tools/release/hygiene.test.ts fails when a package.json drifts from it.

/** The repository's public home (a placeholder org until the real one exists: change it here only). */
export const REPOSITORY = 'https://github.com/hop-ts/hop-ts';

const COMMON_KEYWORDS = ['hop', 'multi-agent', 'reinforcement-learning', 'marl', 'typescript'];

/** Keywords beyond the common ones, by package directory. */
const KEYWORDS = {
  core: ['tfjs', 'tensorflow', 'rng', 'npy', 'onnx', 'checkpoint'],
  'env-staghunt': ['stag-hunt', 'gridworld', 'environment', 'game-theory'],
  vae: ['vae', 'gumbel-softmax', 'tfjs', 'representation-learning'],
  moa: ['opponent-modelling', 'theory-of-mind', 'bayesian', 'goal-inference', 'tfjs'],
  'world-model': ['world-model', 'model-based-rl', 'tfjs'],
  mcts: ['mcts', 'puct', 'gumbel', 'planning', 'search'],
  trainer: ['cli', 'self-play', 'training', 'experiments'],
};

/** The fields `dir`'s package.json must hold, exactly. */
export function releaseMetadata(dir) {
  return {
    license: 'MIT',
    repository: { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${dir}` },
    homepage: `${REPOSITORY}/tree/main/packages/${dir}#readme`,
    bugs: { url: `${REPOSITORY}/issues` },
    keywords: [...COMMON_KEYWORDS, ...(KEYWORDS[dir] ?? [])],
    // provenance: npm signs the tarball with the CI run that built it (needs a GitHub Actions / GitLab CI
    // OIDC token at publish time: `permissions: id-token: write`), see README "Releasing".
    publishConfig: { access: 'public', provenance: true },
  };
}
