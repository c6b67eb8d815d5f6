import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli/program';
import { readConfigFile, resolveConfig } from '../src/config/load';
import { PretrainConfigSchema } from '../src/config/schemas';
import { errorOf, tempDir } from './helpers';

/** Runs the CLI in this process and returns its exit code and what it wrote to stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await runCli(args), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('config files and flags', () => {
  afterEach(() => vi.restoreAllMocks());
  const dir = tempDir('config');

  it('defaults < file < flags, JSON and YAML alike', async () => {
    const yaml = join(dir, 'p.yaml');
    writeFileSync(yaml, 'data: d\nepochs: 4\nlr: 0.001\nmoaFilters: [8, 16]\n');
    const json = join(dir, 'p.json');
    writeFileSync(json, JSON.stringify({ data: 'd', epochs: 4, lr: 0.001, moaFilters: [8, 16] }));
    for (const path of [yaml, json]) {
      const c = resolveConfig(PretrainConfigSchema, 'pretrain', { file: { path, values: await readConfigFile(path) }, flags: { epochs: 2 } });
      expect(c.epochs).toBe(2); // flag wins
      expect(c.lr).toBe(0.001); // file wins over default
      expect(c.moaFilters).toEqual([8, 16]);
      expect(c.batchSize).toBe(PretrainConfigSchema.shape.batchSize.parse(undefined)); // default
      expect(c.objective).toBe('joint');
    }
  });

  it('an unknown key is an error naming it, where it came from, and the nearest valid key', async () => {
    const path = join(dir, 'typo.yaml');
    writeFileSync(path, 'data: d\nepoch: 3\n');
    const e = errorOf(() => resolveConfig(PretrainConfigSchema, 'pretrain', { file: { path, values: { data: 'd', epoch: 3 } } }));
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toContain(`unknown key "epoch" from ${path} — did you mean "epochs"?`);

    const r = await cli(['pretrain', '--config', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[E_CONFIG\]: pretrain config: unknown key "epoch"/);
  });

  it('a bad value names the key, the value and its source (file or flag)', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ data: 'd', objective: 'fancy' }));
    let r = await cli(['pretrain', '--config', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`"objective" = "fancy" (from ${path}) is invalid: expected one of "joint"|"recon"`);

    r = await cli(['pretrain', '--data', 'd', '--epochs', '-3']);
    expect(r.stderr).toContain('"epochs" = -3 (from --epochs) is invalid');
    r = await cli(['pretrain', '--data', 'd', '--batch-size', 'many']);
    expect(r.stderr).toContain('"batchSize" = "many" (from --batch-size) is invalid: expected number');
    r = await cli(['pretrain', '--data', 'd', '--moa-filters', '16,x']);
    expect(r.stderr).toContain('"moaFilters.1" = [16,"x"] (from --moa-filters) is invalid');
    r = await cli(['collect', '--out', 'o', '--preset', 'huge']);
    expect(r.stderr).toMatch(/"preset" = "huge" \(from --preset\) is invalid: expected one of "hop-msh"\|"msh-1stag"\|"small-2p"/);
  });

  it('a missing required value says which flag sets it', async () => {
    const r = await cli(['pretrain']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"data" is required: Dataset directory written by `hop collect` (--data or "data" in --config)');
  });

  it('an unreadable or malformed config file is named', async () => {
    let r = await cli(['pretrain', '--config', join(dir, 'nope.yaml')]);
    expect(r.stderr).toMatch(/error \[E_CONFIG\]: config file .*nope\.yaml cannot be read \(ENOENT\)/);
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"data": ');
    r = await cli(['pretrain', '--config', path]);
    expect(r.stderr).toMatch(/config file .*broken\.json is not valid JSON/);
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- 1\n- 2\n');
    r = await cli(['pretrain', '--config', list]);
    expect(r.stderr).toMatch(/must hold a mapping of keys to values, not a list/);
  });

  it('--resume refuses other flags, and a directory that is not a run', async () => {
    let r = await cli(['pretrain', '--resume', dir, '--lr', '0.1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error \[E_CONFIG\]: --resume continues a run .* only --epochs \(and --progress\) may change \(got --lr\)/);
    r = await cli(['pretrain', '--resume', dir]);
    expect(r.stderr).toMatch(/error \[E_RUN_MISSING\]: .* is not a run directory/);
  });

  it('unknown commands and flags are usage errors (exit 2)', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect((await cli(['trian'])).code).toBe(2); // 'train' is a command now: a typo of it is not
    expect((await cli(['train', '--algo', 'alphazero'])).code).toBe(2);
    expect((await cli(['train', '--iterationz', '3'])).code).toBe(2);
    expect((await cli(['pretrain', '--data', 'd', '--epochz', '3'])).code).toBe(2);
    expect((await cli(['--help'])).code).toBe(0);
    out.mockRestore();
  });
});
