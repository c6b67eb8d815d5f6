import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HopError, writeFileAtomicSync } from '@hop/core';
import { EXIT } from '../cli/exit';
import { writeComparison } from '../compare/command';
import { evaluateSource, evaluationPlan, evaluationResult, writeEvaluation } from '../eval/command';
import type { EvalCell } from '../eval/protocol';
import { experimentEvalConfig, loadExperiment, trainCell } from '../experiment/command';
import { prepareInput } from '../experiment/inputs';
import { prepareEnvironment } from '../run/environment';
import { markerPath, readMarker } from './marker';
import { planExperiment, recipeHash, shardFile } from './plan';

/**
 * Runs one queue job in this process (the worker's child): the experiment comes from the marker in `root`, the
 * job from its plan; a job whose recipe is no longer the marker's is refused by name. Returns the exit code.
 */
export async function runQueueJob(root: string, experiment: string, name: string, recipe: string, log: (line: string) => void): Promise<number> {
  const marker = readMarker(root, experiment);
  const { exp, cells } = await loadExperiment(marker.file, marker.cli, marker.values);
  const evalConfig = marker.cli.skipEval ? null : experimentEvalConfig(marker.file, exp, root, marker.cli);
  const jobs = planExperiment(exp, root, cells, evalConfig, marker.seedsPerShard);
  const job = jobs.find((j) => j.name === name);
  const now = job ? recipeHash(job.recipe) : null;
  if (now !== recipe)
    throw new HopError(
      'E_QUEUE',
      `job ${name} of experiment '${experiment}': ${job ? `its recipe changed since it was enqueued (enqueued ${recipe}, ${markerPath(root)} now gives ${now})` : `${markerPath(root)} no longer has it`}; ` +
        `take the experiment off the queue (\`hop queue remove ${experiment}\`) and enqueue it again`,
    );
  switch (job!.kind) {
    case 'input':
      return (await prepareInput(exp, root, name.replace(/^input\./, ''), log)) ? EXIT.ok : EXIT.interrupted;
    case 'cell': {
      const cell = cells[job!.cell!];
      return trainCell(cell, `${name} (${cell.algo} ${cell.override} seed ${cell.seed})`, { log });
    }
    case 'eval': {
      await prepareEnvironment(log);
      const { protocol, source, seeds, variant } = job!.shard!;
      const plan = evaluationPlan(cells.map((c) => c.dir), evalConfig!);
      const spec = plan.specs.get(plan.sources[source]);
      const specVariant = spec?.kind === 'run' ? spec.variant : undefined;
      // The shard names its source by index: the plan read from the runs must list the same row there.
      if (!spec || specVariant !== variant)
        throw new HopError(
          'E_QUEUE',
          `evaluation shard ${name} of experiment '${experiment}': source ${source} of the evaluation is ${spec ? `${plan.sources[source].label}${specVariant ? ` (${specVariant})` : ''}` : 'missing'}, not the ${variant ?? 'plain'} row the shard was planned for; ` +
            `is an algorithm of a cell in ${root} not the one the file gives it? take the experiment off the queue (\`hop queue remove ${experiment}\`) and enqueue it again`,
        );
      const t0 = performance.now();
      const got = await evaluateSource(plan, plan.sources[source], protocol, evalConfig!, seeds);
      const file = shardFile(root, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomicSync(file, JSON.stringify({ recipe, cells: got }) + '\n');
      log(`${protocol}: ${plan.sources[source].label} seeds ${seeds.join(',')}: ${got.length} cells (${((performance.now() - t0) / 1000).toFixed(1)}s) -> ${file}`);
      return EXIT.ok;
    }
    case 'tables': {
      const runs = cells.map((c) => c.dir);
      const plan = evaluationPlan(runs, evalConfig!);
      // Plan order (protocols, sources, seeds) is the order the in-process evaluation makes its cells in.
      const all: EvalCell[] = jobs.filter((j) => j.kind === 'eval').flatMap((j) => readShard(root, j.name, recipeHash(j.recipe)));
      const evalDir = join(root, 'evaluation');
      await writeEvaluation(evalDir, evaluationResult(runs, evalConfig!, plan, all));
      log(`evaluation: ${join(evalDir, 'tables.csv')}`);
      log(`comparison: ${await writeComparison(runs, { out: join(root, 'compare.html'), evaluation: join(evalDir, 'evaluation.json') })}`);
      return EXIT.ok;
    }
  }
}

function readShard(root: string, name: string, recipe: string): EvalCell[] {
  const file = shardFile(root, name);
  if (!existsSync(file)) throw new HopError('E_QUEUE', `evaluation shard ${name} finished but ${file} is missing: is ${root} the same shared directory on every worker?`);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { recipe: string; cells: EvalCell[] };
  if (saved.recipe !== recipe) throw new HopError('E_QUEUE', `${file} was written for another recipe (${saved.recipe}, now ${recipe}); delete it and rerun its shard`);
  return saved.cells;
}
