import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { kebab } from '../config/load';

type FieldKind = 'number' | 'string' | 'boolean' | 'enum' | 'numberList';

interface FieldInfo {
  key: string;
  kind: FieldKind;
  description: string;
  choices?: string[];
  defaultValue?: unknown;
}

/** Reads what the CLI needs from a zod field: its base type, choices, description and default. */
function fieldInfo(key: string, field: z.ZodType): FieldInfo {
  let s = field as unknown as { def: { type: string; innerType?: unknown; defaultValue?: unknown; element?: unknown }; description?: string; options?: string[] };
  let description = s.description;
  let defaultValue: unknown;
  while (s.def.type === 'default' || s.def.type === 'optional' || s.def.type === 'nullable') {
    if (s.def.type === 'default') defaultValue = s.def.defaultValue;
    s = s.def.innerType as typeof s;
    description ??= s.description;
  }
  const t = s.def.type;
  const kind: FieldKind =
    t === 'number' ? 'number' : t === 'boolean' ? 'boolean' : t === 'enum' ? 'enum' : t === 'array' ? 'numberList' : 'string';
  return { key, kind, description: description ?? key, choices: kind === 'enum' ? s.options : undefined, defaultValue };
}

/** Numbers stay strings when they do not parse, so the schema reports the bad value as typed. */
function parseNumber(v: string): number | string {
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/**
 * Adds one flag per schema key (`batchSize` -> `--batch-size <n>`), without commander defaults so that
 * only flags the user typed override the config file; the help shows the schema's default.
 */
export function addSchemaOptions(cmd: Command, schema: z.ZodObject, exclude: readonly string[] = []): Command {
  for (const [key, field] of Object.entries(schema.shape)) {
    if (exclude.includes(key)) continue;
    const f = fieldInfo(key, field as z.ZodType);
    const flag = `--${kebab(key)}`;
    const shownDefault = f.defaultValue === undefined ? '' : ` (default: ${Array.isArray(f.defaultValue) ? f.defaultValue.join(',') : String(f.defaultValue)})`;
    if (f.kind === 'boolean') {
      cmd.addOption(new Option(flag, `${f.description}${shownDefault}`));
      cmd.addOption(new Option(`--no-${kebab(key)}`, `Turn off ${flag}`));
      continue;
    }
    const arg = f.kind === 'numberList' ? 'list' : f.kind === 'number' ? 'n' : key === 'data' || key === 'out' ? 'dir' : 'value';
    const opt = new Option(`${flag} <${arg}>`, `${f.description}${shownDefault}`);
    // Choices are listed in the help but validated by the schema, so the error names the key like any other.
    if (f.choices) opt.description += ` [${f.choices.join('|')}]`;
    if (f.kind === 'number') opt.argParser(parseNumber);
    if (f.kind === 'numberList') opt.argParser((v: string) => v.split(',').map(parseNumber));
    cmd.addOption(opt);
  }
  return cmd;
}

/** The schema keys the user actually set as flags (commander leaves the others undefined). */
export function pickSchemaFlags(schema: z.ZodObject, opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) if (opts[key] !== undefined) out[key] = opts[key];
  return out;
}
