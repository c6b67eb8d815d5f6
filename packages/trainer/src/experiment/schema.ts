import { z } from 'zod';


/**
 * Names that become directory names (the experiment, its algorithm keys, override sets): one path segment
 * that starts with a letter or digit, so `..`, `.`, hidden names and separators cannot move a directory
 * outside the experiment.
 */
export const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SAFE_SEGMENT_MESSAGE = 'one path segment: a letter or digit, then letters, digits, . _ - (no "..", no "/")';

/**
 * An experiment file (`hop experiment experiments/<name>.yaml`): a grid of algorithms x seeds x override sets,
 * each cell one `hop train` run, then one `hop eval` over all of them and one `hop compare` page.
 */
export const ExperimentSchema = z.strictObject({
  name: z.string().regex(SAFE_SEGMENT, SAFE_SEGMENT_MESSAGE).describe('Experiment name (directory name of its runs)'),
  env: z.string().min(1).describe('Environment preset of every cell'),
  seeds: z.array(z.number().int().min(0)).min(1).describe('Seeds of the grid'),
  out: z.string().min(1).optional().describe('Directory of the cells, evaluation and comparison (default runs/experiments/<name>)'),
  /** Settings every cell gets (under each algorithm's own). */
  base: z.record(z.string(), z.unknown()).default({}),
  /**
   * What the cells start from, made once before the grid (in this order) under `<out>/inputs/<name>`: a
   * dataset (`collect:` with `hop collect`'s settings) or a pretrained MOA (`pretrain:` with `hop pretrain`'s).
   * Settings name an input as `input:<name>` (e.g. `pretrained: input:pre-true`, `data: input:mixed`).
   */
  inputs: z
    .record(
      // A leading letter: integer-like keys would be reordered by JavaScript, and the order is the making order.
      z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/, 'an input name starts with a letter (then letters, digits, . _ -)'),
      z.record(z.string(), z.record(z.string(), z.unknown())).superRefine((v, ctx) => {
        const keys = Object.keys(v);
        if (keys.length !== 1 || (keys[0] !== 'collect' && keys[0] !== 'pretrain'))
          ctx.addIssue({ code: 'custom', message: `an input is { collect: {...hop collect settings} } or { pretrain: {...hop pretrain settings} } (got keys: ${keys.join(', ') || 'none'})` });
      }),
    )
    .transform((r) => r as Record<string, { collect: Record<string, unknown> } | { pretrain: Record<string, unknown> }>)
    .default({}),
  /** Per algorithm: its `hop train` settings. The keys of this record are the grid's algorithms. */
  algos: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .superRefine((a, ctx) => {
      for (const k of Object.keys(a))
        if (!SAFE_SEGMENT.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: `an algorithm key names a cell directory: ${SAFE_SEGMENT_MESSAGE}` });
    })
    .refine((a) => Object.keys(a).length > 0, 'at least one algorithm'),
  /** Named override sets (a third grid axis); default one set without overrides. */
  overrides: z.array(z.strictObject({ name: z.string().regex(SAFE_SEGMENT, SAFE_SEGMENT_MESSAGE), values: z.record(z.string(), z.unknown()) })).default([{ name: 'default', values: {} }]),
  /** Budget keys of the cells multiplied by `--scale` (rounded to integers, at least 1). */
  scaled: z.array(z.string()).default(['totalTimesteps', 'iterations']),
  /**
   * Budget keys of the inputs multiplied by `--scale` the same way (a collect's episodes, a pretraining's
   * epochs). The scaled values are the input's recipe, so inputs made at one scale are never taken for another's.
   */
  scaledInputs: z.array(z.string()).default(['episodes', 'epochs']),
  /** `hop eval` settings (checked by its record when the evaluation starts; `env` and `out` come from here). */
  eval: z.record(z.string(), z.unknown()).default({}),
});
export type Experiment = z.infer<typeof ExperimentSchema>;

export const ExperimentCliSchema = z.strictObject({
  scale: z.number().positive().default(1).describe("Multiply every budget key of the file (the cells' scaled:, the inputs' scaledInputs:) by this, for bigger machines"),
  out: z.string().min(1).optional().describe("Directory of the experiment (default: the file's out, or runs/experiments/<name>)"),
  skipEval: z.boolean().default(false).describe('Only train the grid'),
  evalEpisodes: z.number().int().min(1).optional().describe("Override the file's eval.episodes (a quicker look)"),
  evalSeeds: z.number().int().min(1).optional().describe("Override the file's eval.seeds"),
  evalPairings: z.number().int().min(1).optional().describe("Override the file's eval.pairings"),
  progress: z
    .enum(['auto', 'bar', 'plain', 'none'])
    .default('auto')
    .describe('Progress of the inputs, cells (with an ETA), evaluation and comparison: a bar on a terminal, plain lines otherwise (auto), or forced'),
});
export type ExperimentCli = z.infer<typeof ExperimentCliSchema>;

/** `settings` with each of `keys` that holds a number multiplied by `scale` (rounded, at least 1). */
export function scaleBudget(settings: Record<string, unknown>, keys: readonly string[], scale: number): Record<string, unknown> {
  const out = { ...settings };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'number') out[k] = Math.max(1, Math.round(v * scale));
  }
  return out;
}

/** The experiment with its inputs' budgets (scaledInputs:) multiplied by `scale`. */
export function scaleInputs(exp: Experiment, scale: number): Experiment {
  const inputs: Experiment['inputs'] = {};
  for (const [name, input] of Object.entries(exp.inputs))
    inputs[name] = 'collect' in input ? { collect: scaleBudget(input.collect, exp.scaledInputs, scale) } : { pretrain: scaleBudget(input.pretrain, exp.scaledInputs, scale) };
  return { ...exp, inputs };
}
