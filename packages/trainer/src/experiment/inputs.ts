import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HopError, writeFileAtomicSync } from '@hop/core';
import { collectDataset } from '../collect/command';
import { CollectConfigSchema, PretrainConfigSchema } from '../config/schemas';
import { pretrain, resumePretrain } from '../pretrain/train';
import type { Experiment } from './schema';

/** How a cell setting names an input of the experiment: `pretrained: input:pre-true`. */
const REF = /^input:(.+)$/;

export const inputDir = (root: string, name: string) => join(root, 'inputs', name);
/** Written when an input is complete: the settings it was made with (a rerun compares them). */
const doneFile = (root: string, name: string) => join(root, 'inputs', `${name}.input.json`);

/**
 * Makes the experiment's inputs (datasets by `hop collect`, MOAs by `hop pretrain`) in the order the file
 * lists them, each once: a complete input made with the same settings is reused, an interrupted
 * pretraining resumes, and one made with other settings is an error rather than silently stale.
 * Returns false when a pretraining was interrupted (Ctrl-C).
 */
export async function prepareInputs(exp: Experiment, root: string, log: (line: string) => void): Promise<boolean> {
  const names = Object.keys(exp.inputs);
  for (const [n, [name, input]] of Object.entries(exp.inputs).entries()) {
    const dir = inputDir(root, name);
    const settings = resolveRefs(exp, root, 'collect' in input ? input.collect : input.pretrain, `inputs.${name}`, names.slice(0, n));
    const record = JSON.stringify({ kind: 'collect' in input ? 'collect' : 'pretrain', settings });
    const done = doneFile(root, name);
    if (existsSync(done)) {
      if (readFileSync(done, 'utf8') === record) {
        log(`input ${name}: made earlier with these settings (${dir}), reused`);
        continue;
      }
      throw new HopError(
        'E_CONFIG',
        `experiment input '${name}' in ${dir} was made with other settings than the file's (${readFileSync(done, 'utf8')}); delete ${dir} and ${done} to make it again, or give the input another name`,
      );
    }
    if ('collect' in input) {
      log(`input ${name}: hop collect into ${dir}`);
      const config = parseAs(CollectConfigSchema, { preset: exp.env, ...settings, out: dir, force: true }, name);
      await collectDataset(config, log);
    } else if (existsSync(join(dir, 'config.json'))) {
      log(`input ${name}: resuming the pretraining in ${dir}`);
      if ((await resumePretrain(dir, {}, { log })).status === 'interrupted') return false;
    } else {
      log(`input ${name}: hop pretrain into ${dir}`);
      const config = parseAs(PretrainConfigSchema, { ...settings, out: dir }, name);
      if ((await pretrain(config, { log })).status === 'interrupted') return false;
    }
    writeFileAtomicSync(done, record);
  }
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
      const what = m[1] in exp.inputs ? `an input listed after ${where} (list it before)` : 'no input of the experiment';
      throw new HopError('E_CONFIG', `${where}.${k}: '${v}' names ${what}; ${known.length ? `inputs it may name: ${known.join(', ')}` : 'there is none it may name'}`);
    }
    out[k] = inputDir(root, m[1]);
  }
  return out;
}

function parseAs<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown, name: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new HopError('E_CONFIG', `experiment input '${name}': ${r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
}
