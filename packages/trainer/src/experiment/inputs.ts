import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Progress } from '../run/progress';
import { dirname, join } from 'node:path';
import { HopError, writeFileAtomicSync } from '@hop/core';
import { collectDataset } from '../collect/command';
import { CollectConfigSchema, PretrainConfigSchema } from '../config/schemas';
import { pretrain, resumePretrain } from '../pretrain/train';
import { resolveConfig } from '../config/load';
import { cellStatus } from './status';
import type { z } from 'zod';
import type { Experiment } from './schema';

/** How a cell setting names an input of the experiment: `pretrained: input:pre-true`. */
const REF = /^input:(.+)$/;

export const inputDir = (root: string, name: string) => join(root, 'inputs', name);
/** `<name>.input.json`: what the input is made from, written before it is made and marked complete after. */
const recordFile = (root: string, name: string) => join(root, 'inputs', `${name}.input.json`);

type Input = Experiment['inputs'][string];
/** What an input is made from: its kind, its settings as the file writes them (keys sorted) and, for every input it names, that input's own recipe; so a changed upstream input changes the recipe of all that use it. */
export interface Recipe {
  kind: 'collect' | 'pretrain';
  settings: Record<string, unknown>;
  uses: Record<string, Recipe>;
}
interface InputRecord {
  recipe: Recipe;
  complete: boolean;
}

const settingsOf = (input: Input) => ('collect' in input ? input.collect : input.pretrain);

/**
 * Makes the experiment's inputs (datasets by `hop collect`, MOAs by `hop pretrain`) in the order the file
 * lists them, each once. The recipe is recorded before the input is made, so a rerun knows what is there:
 * a complete input with the same recipe is reused, an incomplete one is made again (a collect) or resumed
 * (a pretraining), and one whose recipe changed in the file, or whose upstream input did, is refused rather
 * than silently stale. Returns false when a pretraining was interrupted (Ctrl-C).
 */
export async function prepareInputs(exp: Experiment, root: string, log: (line: string) => void, progress?: Progress): Promise<boolean> {
  const names = Object.keys(exp.inputs);
  // Every reference is checked before anything is made (and so none can form a cycle).
  names.forEach((name, n) => resolveRefs(exp, root, settingsOf(exp.inputs[name]), `inputs.${name}`, names.slice(0, n)));
  for (const [n, name] of names.entries()) {
    progress?.update(n, `making ${name}`);
    if (!(await prepareInput(exp, root, name, log))) return false;
    progress?.update(n + 1, `${name} ready`);
  }
  return true;
}

/** The recipe of every input of the experiment (an input's holds those of the inputs it names). */
export function inputRecipes(exp: Experiment): Record<string, Recipe> {
  const recipes: Record<string, Recipe> = {};
  for (const [name, input] of Object.entries(exp.inputs)) recipes[name] = recipeOf(input, recipes);
  return recipes;
}

/**
 * Makes one input of the experiment (see prepareInputs); the inputs it names must be complete. Returns false
 * when its pretraining was interrupted.
 */
export async function prepareInput(exp: Experiment, root: string, name: string, log: (line: string) => void): Promise<boolean> {
  const names = Object.keys(exp.inputs);
  const n = names.indexOf(name);
  const input = exp.inputs[name];
  const dir = inputDir(root, name);
  const settings = resolveRefs(exp, root, settingsOf(input), `inputs.${name}`, names.slice(0, n));
  const recipe = inputRecipes(exp)[name];
  const file = recordFile(root, name);
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as InputRecord) : null;
  if (saved && JSON.stringify(saved.recipe) !== JSON.stringify(recipe)) {
    const users = [...names.slice(n + 1).filter((u) => dependsOn(exp, u, name)).map((u) => `input ${u}`), ...cellsUsing(exp, name)];
    throw new HopError(
      'E_CONFIG',
      `experiment input '${name}' in ${dir} was made from another recipe than the file's (${recipeDiff(saved.recipe, recipe).join('; ')}); ` +
        `delete ${dir} and ${file} to make it again${users.length ? ` (and what was made from it: ${users.join(', ')})` : ''}, or give the input another name`,
    );
  }
  if (saved?.complete) {
    const missing = missingArtifact(saved.recipe.kind, dir);
    if (missing) throw new HopError('E_CONFIG', `experiment input '${name}': ${file} says it is complete but ${missing}; delete ${file} to make the input again`);
    log(`input ${name}: made earlier from this recipe (${dir}), reused`);
    return true;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomicSync(file, JSON.stringify({ recipe, complete: false } satisfies InputRecord));
  if ('collect' in input) {
    log(`input ${name}: hop collect into ${dir}`);
    await collectDataset(asConfig(CollectConfigSchema, { preset: exp.env, ...settings, out: dir, force: true }, name), log);
  } else if (existsSync(join(dir, 'config.json'))) {
    log(`input ${name}: resuming the pretraining in ${dir}`);
    if ((await resumePretrain(dir, {}, { log })).status === 'interrupted') return false;
  } else {
    log(`input ${name}: hop pretrain into ${dir}`);
    if ((await pretrain(asConfig(PretrainConfigSchema, { ...settings, out: dir }, name), { log })).status === 'interrupted') return false;
  }
  writeFileAtomicSync(file, JSON.stringify({ recipe, complete: true } satisfies InputRecord));
  return true;
}

/** Replaces every `input:<name>` string of `settings` by that input's directory (an input may name only those listed before it). */
export function resolveRefs(exp: Experiment, root: string, settings: Record<string, unknown>, where: string, known = Object.keys(exp.inputs)): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    const m = typeof v === 'string' ? REF.exec(v) : null;
    if (!m) {
      out[k] = v;
      continue;
    }
    if (!known.includes(m[1])) {
      const self = where === `inputs.${m[1]}`;
      const what = self ? 'the input itself' : m[1] in exp.inputs ? `an input listed after ${where} (list it before)` : 'no input of the experiment';
      throw new HopError('E_CONFIG', `${where}.${k}: '${v}' names ${what}; ${known.length ? `inputs it may name: ${known.join(', ')}` : 'there is none it may name'}`);
    }
    out[k] = inputDir(root, m[1]);
  }
  return out;
}

function recipeOf(input: Input, recipes: Record<string, Recipe>): Recipe {
  const raw = settingsOf(input);
  const settings: Record<string, unknown> = {};
  const uses: Record<string, Recipe> = {};
  for (const k of Object.keys(raw).sort()) {
    settings[k] = raw[k];
    const m = typeof raw[k] === 'string' ? REF.exec(raw[k]) : null;
    if (m) uses[m[1]] = recipes[m[1]];
  }
  return { kind: 'collect' in input ? 'collect' : 'pretrain', settings, uses };
}

/** What differs between two recipes, as `key: old -> new` (upstream inputs by name). */
function recipeDiff(a: Recipe, b: Recipe, prefix = ''): string[] {
  if (a.kind !== b.kind) return [`${prefix}kind: ${a.kind} -> ${b.kind}`];
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(a.settings), ...Object.keys(b.settings)])].sort()) {
    const [x, y] = [JSON.stringify(a.settings[k]), JSON.stringify(b.settings[k])];
    if (x !== y) out.push(`${prefix}${k}: ${x ?? '(unset)'} -> ${y ?? '(unset)'}`);
  }
  for (const u of Object.keys(b.uses)) if (a.uses[u] && JSON.stringify(a.uses[u]) !== JSON.stringify(b.uses[u])) out.push(...recipeDiff(a.uses[u], b.uses[u], `${prefix}input ${u}: `));
  return out.length ? out : ['the inputs it was made from changed'];
}

function missingArtifact(kind: Recipe['kind'], dir: string): string | null {
  if (kind === 'collect') return existsSync(join(dir, 'meta.json')) ? null : `${dir} holds no dataset (no meta.json)`;
  const status = cellStatus(dir);
  return status === 'finished' ? null : status === 'new' ? `${dir} holds no pretraining run (no config.json)` : `the pretraining in ${dir} never finished (no end event)`;
}

const refsOf = (settings: Record<string, unknown>) =>
  Object.values(settings).flatMap((v) => {
    const m = typeof v === 'string' ? REF.exec(v) : null;
    return m ? [m[1]] : [];
  });

function dependsOn(exp: Experiment, user: string, name: string): boolean {
  const refs = refsOf(settingsOf(exp.inputs[user]));
  return refs.includes(name) || refs.some((r) => r in exp.inputs && r !== user && dependsOn(exp, r, name));
}

function cellsUsing(exp: Experiment, name: string): string[] {
  return Object.entries(exp.algos)
    .filter(([, s]) => refsOf({ ...exp.base, ...s }).some((r) => r === name || (r in exp.inputs && dependsOn(exp, r, name))))
    .map(([algo]) => `the ${algo} cells`);
}

/** An input's settings through its command's record, with the errors `hop <command> --config` gives. */
const asConfig = <S extends z.ZodObject>(schema: S, values: Record<string, unknown>, name: string): z.infer<S> =>
  resolveConfig(schema, `experiment input '${name}'`, { file: { path: `inputs.${name}`, values } });
