/**
 * Config keys that were renamed: the old spelling is still accepted (a flag, a config file line, a saved
 * run's config.json) and reported as deprecated. `hop train` now speaks @hop/mcts's names.
 */
export const TRAIN_RENAMES: Readonly<Record<string, string>> = {
  treeNum: 'numTrees',
  simulations: 'numSimulations',
  // `preset` named the environment in `hop collect` / `hop demo` and the budget in `hop train`.
  preset: 'budget',
};

/** `values` with renamed keys under their new names; `moved` lists the old keys found (a new key given too wins). */
export function renameKeys(values: Record<string, unknown>, renames: Readonly<Record<string, string>>): { values: Record<string, unknown>; moved: string[] } {
  const out: Record<string, unknown> = {};
  const moved: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const to = renames[k];
    if (to === undefined) out[k] = v;
    else {
      moved.push(k);
      if (!(to in values)) out[to] = v;
    }
  }
  return { values: out, moved };
}
