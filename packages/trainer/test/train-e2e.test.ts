import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PKG, TINY_NET, runHop, runHopInProcess, runNode, tempDir, tinyDataset } from './helpers';

/** Refusals (named errors before any training) are properties of the command: they run in this process. */
const refusal = runHopInProcess;

/** A tiny self-play config on the 2-player preset: seconds per iteration. */
const TINY_TRAIN = [
  '--env', 'small-2p', '--num-envs', '3', '--num-trees', '2', '--num-simulations', '6',
  '--eval-envs', '2', '--eval-episodes', '2', '--eval-every', '1', '--replay-every', '2',
  '--policy-filters', '8', '--policy-hidden', '16', '--moa-filters', '8', '--moa-hidden', '16',
  '--moa-capacity', '12', '--moa-epochs', '1', '--moa-minibatch', '16', '--sgd-passes', '2', '--minibatch', '32',
  '--progress', 'none',
];

type Rec = Record<string, unknown>;
function metrics(run: string): Rec[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec);
}
/** Learning records without wall-clock fields: what equal runs must share exactly. */
function learning(run: string): Rec[] {
  return metrics(run)
    .filter((r) => r.kind === 'iteration' || r.kind === 'eval')
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'time' && !k.startsWith('time/') && k !== 'charts/SPS' && k !== 'perf/cpu_seconds')));
}

describe('hop train: self-play end to end (child processes, tiny configs)', () => {
  let data: string;
  /** Without exploratory actions: what --warm-start accepts (its returns must be the population's). */
  let clean: string;
  let preTrue: string;
  let preNone: string;
  let preZ: string;
  let wm: string;

  beforeAll(async () => {
    const root = tempDir('train');
    data = await tinyDataset(join(root, 'data'), 40, 5, 0.3);
    clean = await tinyDataset(join(root, 'clean'), 40, 5);
    preTrue = join(root, 'pre-true');
    preNone = join(root, 'pre-none');
    wm = join(root, 'wm');
    preZ = join(root, 'pre-z');
    const runs = await Promise.all([
      runHop(['pretrain', '--data', data, '--out', preZ, '--epochs', '1', '--goal-input', 'z', ...TINY_NET, '--progress', 'none']),
      runHop(['pretrain', '--data', data, '--out', preTrue, '--epochs', '1', '--goal-input', 'true', ...TINY_NET, '--progress', 'none']),
      runHop(['pretrain', '--data', data, '--out', preNone, '--epochs', '1', '--goal-input', 'none', ...TINY_NET, '--progress', 'none']),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const w = await runHop(['world-model', '--data', data, '--out', wm, '--epochs', '1', '--batch-size', '64', '--progress', 'none', '--off-policy-episodes', '0']);
    expect(w.code, w.stderr).toBe(0);
  });

  it('hop: pretrained co-players + warm start, two iterations, metrics, evaluation, replay, checkpoint, report', async () => {
    const run = join(tempDir('hop'), 'run');
    const r = await runHop(['train', '--algo', 'hop', '--pretrained', preTrue, '--warm-start', clean, '--warm-start-samples', '300', '--iterations', '2', '--out', run, ...TINY_TRAIN]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warm start on 300 rows/);
    const recs = metrics(run);
    const its = recs.filter((x) => x.kind === 'iteration');
    expect(its.map((x) => x.step)).toEqual([1, 2]);
    for (const it of its) {
      for (const k of ['charts/episodic_return', 'losses/policy_loss', 'losses/value_loss', 'moa/online_top1', 'beliefs/accuracy', 'charts/prey_ratio', 'time/plan_models', 'time/policy_update', 'charts/SPS'])
        expect(typeof it[k], k).toBe('number');
      // 3 envs x 1 episode of at most 2 players' rewards: mean reward per agent is within the game's range
      expect(it['charts/episodes']).toBe(3);
      const b = it['beliefs/accuracy'] as number;
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThanOrEqual(1);
    }
    // The buffers train once they hold --moa-capacity labelled steps; a labelled step needs a co-player that then
    // caught prey, so which iteration trains depends on the episodes: at least one of the two must.
    expect(its.reduce((a, x) => a + (x['moa/train_rounds'] as number), 0)).toBeGreaterThan(0);
    const evals = recs.filter((x) => x.kind === 'eval');
    expect(evals.map((x) => x.step)).toEqual([0, 1, 2]); // 0: after the warm start, before any self-play update
    expect(evals[0]['eval/episodes']).toBe(2);
    const warm = recs.find((x) => x.kind === 'event' && x.event === 'warm-start');
    expect(warm).toBeDefined();
    // The run's cost: wall time counts the warm start and the first evaluation; CPU seconds only grow.
    const costed = [warm!, evals[0], its[0], its[1]];
    const wallOf = costed.map((x) => x.time as number);
    const cpuOf = costed.map((x) => x['perf/cpu_seconds'] as number);
    expect(wallOf[0]).toBeGreaterThan(0);
    for (let k = 1; k < costed.length; k++) {
      expect(wallOf[k]).toBeGreaterThan(wallOf[k - 1]);
      expect(cpuOf[k]).toBeCloseTo(cpuOf[k - 1] + (costed[k]['time/cpu'] as number), 2);
      expect(costed[k]['time/cpu'] as number).toBeGreaterThan(0);
    }
    expect(existsSync(join(run, 'checkpoints/iter-2/state.json'))).toBe(true);
    expect(existsSync(join(run, 'replays/iter-2.html'))).toBe(true);
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    expect(html).toContain('Self-play training');
    expect(html).toContain('Greedy evaluation on held-out seeds');
    expect(html).toContain('replays/iter-2.html');
  });

  it('direct-om: no goal input, no beliefs; a goal-conditioned pretrained MOA is refused by name', async () => {
    const run = join(tempDir('dom'), 'run');
    const r = await runHop(['train', '--algo', 'direct-om', '--pretrained', preNone, '--iterations', '1', '--out', run, ...TINY_TRAIN]);
    expect(r.code, r.stderr).toBe(0);
    const it = metrics(run).find((x) => x.kind === 'iteration')!;
    expect(it['beliefs/accuracy']).toBeUndefined();
    expect(typeof it['moa/online_top1']).toBe('number');
    const bad = await refusal(['train', '--algo', 'direct-om', '--pretrained', preTrue, '--iterations', '1', '--out', join(tempDir('dom-bad'), 'run'), ...TINY_TRAIN]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E_PRETRAINED.*--goal-input true.*--goal-input none/);
    const badRun = join(tempDir('env-bad'), 'run');
    const wrongEnv = await refusal(['train', '--algo', 'hop', '--pretrained', preTrue, '--iterations', '1', '--out', badRun, ...TINY_TRAIN, '--env', 'hop-msh']);
    expect(wrongEnv.code).toBe(2);
    expect(wrongEnv.stderr).toMatch(/E_PRETRAINED.*sees 4x4x5 grids.*8x8x7/);
    // bad input is found before the run directory exists, so the same --out works once fixed
    expect(existsSync(badRun)).toBe(false);
  });

  it('hop --goals latent: goal vectors from the VAE of a --goal-input z run, saved with the checkpoint', async () => {
    const run = join(tempDir('latent'), 'run');
    const r = await runHop(['train', '--goals', 'latent', '--pretrained', preZ, '--iterations', '1', '--out', run, ...TINY_TRAIN]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/co-players latent goals/);
    const state = JSON.parse(readFileSync(join(run, 'checkpoints/iter-1/state.json'), 'utf8'));
    expect(state.goals.mode).toBe('latent');
    expect(state.goals.goalDim).toBe(4); // TINY_NET's --latent-dim
    expect(state.goals.vectors).toHaveLength(8);
    // the stag and hare goals are different points of the latent space
    expect(state.goals.vectors.slice(0, 4)).not.toEqual(state.goals.vectors.slice(4));
    const bad = await refusal(['train', '--goals', 'latent', '--pretrained', preTrue, '--iterations', '1', '--out', join(tempDir('latent-bad'), 'run'), ...TINY_TRAIN]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E_PRETRAINED.*--goal-input true.*--goal-input z/);
  });

  it('hop-wm: plans inside the world model; a world model of another preset is refused by name', async () => {
    const run = join(tempDir('wm'), 'run');
    const r = await runHop(['train', '--algo', 'hop-wm', '--world-model', wm, '--pretrained', preTrue, '--iterations', '1', '--out', run, ...TINY_TRAIN]);
    expect(r.code, r.stderr).toBe(0);
    const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(cfg.inputs.planning.simulator).toBe('world model');
    const its = metrics(run).filter((x) => x.kind === 'iteration');
    expect(its).toHaveLength(1);
    // the world model runs on the engine the policy and co-player models run on (ONNX Runtime here)...
    expect(cfg.inputs.planning.engine).toBe(its[0].engine);
    expect(['onnx', 'tfjs']).toContain(its[0].engine);
    // ...and HOP_INFERENCE moves both
    const saved = process.env.HOP_INFERENCE;
    process.env.HOP_INFERENCE = 'tfjs';
    const tfRun = join(tempDir('wm-tfjs'), 'run');
    const spawned = runHop(['train', '--algo', 'hop-wm', '--world-model', wm, '--pretrained', preTrue, '--iterations', '1', '--out', tfRun, ...TINY_TRAIN, '--eval-every', '0']);
    if (saved === undefined) delete process.env.HOP_INFERENCE;
    else process.env.HOP_INFERENCE = saved;
    const tf = await spawned;
    expect(tf.code, tf.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(tfRun, 'config.json'), 'utf8')).inputs.planning.engine).toBe('tfjs');
    expect(metrics(tfRun).find((x) => x.kind === 'iteration')?.engine).toBe('tfjs');
    const bad = await refusal(['train', '--algo', 'hop-wm', '--world-model', wm, '--iterations', '1', '--out', join(tempDir('wm-bad'), 'run'), ...TINY_TRAIN, '--env', 'hop-msh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E_WORLD_MODEL.*another preset/);
    const noWm = await refusal(['train', '--algo', 'hop-wm', '--iterations', '1', '--out', join(tempDir('wm-none'), 'run'), ...TINY_TRAIN]);
    expect(noWm.code).toBe(2);
    expect(noWm.stderr).toMatch(/worldModel/);
    const notHop = await refusal(['train', '--algo', 'hop', '--world-model', wm, '--iterations', '1', '--out', join(tempDir('hop-wmkey'), 'run'), ...TINY_TRAIN]);
    expect(notHop.code).toBe(2);
    expect(notHop.stderr).toMatch(/unknown key "worldModel"/);
    // a world model of the old format (reward regression, done head: no `format` in its config) is named
    const old = join(tempDir('wm-old'), 'wm');
    cpSync(wm, old, { recursive: true });
    const metaPath = join(old, 'best', 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    delete meta.config.format;
    writeFileSync(metaPath, JSON.stringify(meta));
    const stale = await refusal(['train', '--algo', 'hop-wm', '--world-model', old, '--pretrained', preTrue, '--iterations', '1', '--out', join(tempDir('wm-stale'), 'run'), ...TINY_TRAIN]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/E_WORLD_MODEL_FORMAT.*format 1; this version reads format 2/);
  }, 240_000);

  it('1 and 2 workers give the same metrics; another seed does not', async () => {
    const root = tempDir('workers');
    const args = (out: string, workers: number, seed: number) => ['train', '--pretrained', preTrue, '--iterations', '2', '--workers', String(workers), '--seed', String(seed), '--out', out, ...TINY_TRAIN, '--num-envs', '4'];
    const [one, two, other, zeroMix] = await Promise.all([
      runHop(args(join(root, 'one'), 1, 3)),
      runHop(args(join(root, 'two'), 2, 3)),
      runHop(args(join(root, 'other'), 1, 4)),
      runHop([...args(join(root, 'zero-mix'), 1, 3), '--co-player-mix', '0']),
    ]);
    for (const r of [one, two, other, zeroMix]) expect(r.code, r.stderr).toBe(0);
    expect(two.stdout).toMatch(/2 worker threads, environments 0..1 \/ 2..3/);
    expect(learning(join(root, 'two'))).toEqual(learning(join(root, 'one')));
    expect(learning(join(root, 'other'))).not.toEqual(learning(join(root, 'one')));
    // --co-player-mix 0 is pure self-play: the records of the run without the flag, bit for bit
    expect(learning(join(root, 'zero-mix'))).toEqual(learning(join(root, 'one')));
  });

  it('--co-player-mix 0.5: goal-committed co-players in half the environments, same for 1 and 2 workers, hop and direct-om', async () => {
    const root = tempDir('co-player-mix');
    const args = (out: string, algo: string, workers: number, extra: string[] = []) => [
      'train', '--algo', algo, '--pretrained', algo === 'hop' ? preTrue : preNone, '--iterations', '1', '--workers', String(workers), '--seed', '2',
      '--out', out, ...TINY_TRAIN, '--num-envs', '4', '--episodes-per-env', '2', '--co-player-mix', '0.5', '--eval-every', '0', ...extra,
    ];
    const [one, two, om, labels, weighted, valueRows, lone, starts, solo, until] = await Promise.all([
      runHop(args(join(root, 'one'), 'hop', 1, ['--focal-goals', 'co-player'])),
      runHop(args(join(root, 'two'), 'hop', 2, ['--focal-goals', 'co-player'])),
      runHop(args(join(root, 'om'), 'direct-om', 1)),
      runHop(args(join(root, 'labels'), 'hop', 1, ['--focal-goals', 'co-player', '--focal-goal-labels', 'committed'])),
      runHop(args(join(root, 'weighted'), 'hop', 2, ['--focal-goals', 'co-player', '--focal-goal-labels', 'committed', '--co-player-weight', '4'])),
      runHop(args(join(root, 'value-rows'), 'hop', 1, ['--focal-goals', 'co-player', '--co-player-value-rows'])),
      runHop(args(join(root, 'lone'), 'hop', 2, ['--focal-goals', 'co-player', '--lone-continuation', '1'])),
      runHop(args(join(root, 'starts'), 'direct-om', 2, ['--lone-starts', '0.5'])),
      runHop(args(join(root, 'solo'), 'direct-om', 1, ['--lone-starts', '1'])),
      // the later flags win: 2 iterations, rule co-players in every environment of iteration 1 only
      runHop(args(join(root, 'until'), 'direct-om', 2, ['--iterations', '2', '--co-player-mix', '1', '--co-player-mix-until', '1'])),
    ]);
    for (const r of [one, two, om, labels, weighted, valueRows, lone, starts, solo, until]) expect(r.code, r.stderr).toBe(0);
    // --co-player-mix-until 1: iteration 1 all rule teams, iteration 2 pure self-play (announced); the run keeps the key
    const untilIts = metrics(join(root, 'until')).filter((x) => x.kind === 'iteration');
    expect(untilIts.map((x) => x['mix/fraction'])).toEqual([1, 0]);
    expect(untilIts[0]['mix/return_selfplay']).toBeUndefined();
    expect(untilIts[1]['mix/return_selfplay']).toBeGreaterThanOrEqual(0);
    expect(until.stdout).toMatch(/iteration 2: past --co-player-mix-until 1, pure self-play from here/);
    // the iteration lines: the rule teams' returns in iteration 1, no empty 'vs rules' part after the mix ends
    expect(until.stdout).toMatch(/iteration 1\/2: .*\| vs rules \(100% of episodes\):/);
    expect(until.stdout).toMatch(/iteration 2\/2: /);
    expect(until.stdout).not.toMatch(/iteration 2\/2: .*vs rules/);
    expect(one.stdout).not.toMatch(/past --co-player-mix-until/);
    expect((JSON.parse(readFileSync(join(root, 'until', 'config.json'), 'utf8')) as { config: Record<string, unknown> }).config.coPlayerMixUntil).toBe(1);
    expect(learning(join(root, 'two'))).toEqual(learning(join(root, 'one')));
    // the committed labels and the weights reach the update (same rollout, other losses); the run keeps them
    const loss = (run: string) => metrics(join(root, run)).filter((x) => x.kind === 'iteration').map((x) => [x['losses/policy_loss'], x['losses/value_loss']]);
    const played = (run: string) => metrics(join(root, run)).find((x) => x.kind === 'iteration')!['charts/episodic_return'];
    expect(played('labels')).toBe(played('one'));
    expect(played('weighted')).toBe(played('one'));
    expect(loss('labels')).not.toEqual(loss('one'));
    expect(loss('weighted')).not.toEqual(loss('labels'));
    expect(played('value-rows')).toBe(played('one'));
    expect(loss('value-rows')).not.toEqual(loss('one'));
    // the CE still counts the planners' rows (an inverted mask would leave only zero targets: CE 0)
    expect(loss('value-rows')[0][0] as number).toBeGreaterThan(0.1);
    // --lone-continuation 1: the hare rule played lone steps (counted, summed over the 2 workers), and the run keeps it
    const loneIt = metrics(join(root, 'lone')).find((x) => x.kind === 'iteration')!;
    expect(loneIt['lone/steps']).toBeGreaterThan(0);
    expect(loneIt['lone/share']).toBeGreaterThan(0);
    expect(loneIt['lone/share']).toBeLessThan(1);
    expect(lone.stdout).toMatch(/\| lone \d+ steps, \d+ hares/);
    expect(one.stdout).not.toMatch(/\| lone /);
    expect(metrics(join(root, 'one')).find((x) => x.kind === 'iteration')!['lone/steps']).toBeUndefined();
    expect(loss('lone')).not.toEqual(loss('one'));
    expect((JSON.parse(readFileSync(join(root, 'lone', 'config.json'), 'utf8')) as { config: Record<string, unknown> }).config.loneContinuation).toBe(1);
    // --lone-starts 0.5 (2 workers): some of the 8 episodes start alone (seed 2: both kinds occur); charts/* and
    // mix/* count only the others, lone/start_* those; the run keeps the key
    const startsIt = metrics(join(root, 'starts')).find((x) => x.kind === 'iteration')!;
    const alone = startsIt['lone/start_episodes'] as number;
    expect(alone).toBeGreaterThan(0);
    expect(alone).toBeLessThan(8);
    expect(startsIt['charts/episodes']).toBe(8 - alone);
    expect(startsIt['lone/start_return']).toBeGreaterThanOrEqual(0);
    const startsCounted = ['hare', 'stag', 'mixed'].reduce((a, k) => a + (startsIt[`mix/episodes_vs_${k}`] as number), 0);
    expect(startsCounted).toBeCloseTo((startsIt['mix/fraction'] as number) * (8 - alone), 9);
    expect(starts.stdout).toMatch(/\| \d+ lone starts \(return \d+\.\d\d\)/);
    expect(one.stdout).not.toMatch(/lone starts/);
    // --lone-starts 1: no episode with co-players, so no charts (absent, not zero); the run still ends with its report
    const soloIt = metrics(join(root, 'solo')).find((x) => x.kind === 'iteration')!;
    expect(soloIt['lone/start_episodes']).toBe(8);
    expect(soloIt['charts/episodic_return']).toBeUndefined();
    expect(solo.stdout).toMatch(/return n\/a \(stags n\/a, hares n\/a\)/);
    expect(existsSync(join(root, 'solo', 'report.html'))).toBe(true);
    expect(metrics(join(root, 'one')).find((x) => x.kind === 'iteration')!['lone/start_episodes']).toBeUndefined();
    expect((JSON.parse(readFileSync(join(root, 'starts', 'config.json'), 'utf8')) as { config: Record<string, unknown> }).config.loneStarts).toBe(0.5);
    const saved = (JSON.parse(readFileSync(join(root, 'weighted', 'config.json'), 'utf8')) as { config: Record<string, unknown> }).config;
    expect([saved.coPlayerWeight, saved.focalGoalLabels]).toEqual([4, 'committed']);
    for (const run of ['one', 'om']) {
      const it = metrics(join(root, run)).find((x) => x.kind === 'iteration')!;
      // 8 episodes, each with rule co-players with probability 0.5: both kinds occur at seed 2 (checked)
      expect(it['mix/fraction'], run).toBeGreaterThan(0);
      expect(it['mix/fraction'], run).toBeLessThan(1);
      const counted = ['hare', 'stag', 'mixed'].reduce((a, k) => a + (it[`mix/episodes_vs_${k}`] as number), 0);
      expect(counted).toBe((it['mix/fraction'] as number) * 8);
    }
    expect(one.stdout).toMatch(/vs rules \(\d+% of episodes\)/);
  }, 300_000);

  it('Ctrl-C during the warm start stops it at once (exit 130, nothing saved); --resume ends as the uninterrupted run', async () => {
    const root = tempDir('warm-int');
    // ~1,000 minibatches of warm start: seconds, so the signal lands inside it
    const args = (out: string) => ['train', '--pretrained', preTrue, '--warm-start', clean, '--warm-start-samples', '300', '--warm-start-epochs', '100', '--iterations', '1', '--seed', '4', '--out', out, ...TINY_TRAIN];
    const reference = join(root, 'reference');
    const stoppedRun = join(root, 'stopped');
    const [ref, stopped] = await Promise.all([
      runHop(args(reference)),
      runHop(args(stoppedRun), (line, kill) => {
        if (line.startsWith('hop train --algo hop:')) setTimeout(() => kill('SIGINT'), 200);
      }),
    ]);
    expect(ref.code, ref.stderr).toBe(0);
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(130);
    expect(stopped.stdout).toMatch(/interrupted during the warm start; no checkpoint yet/);
    expect(stopped.stdout).not.toMatch(/warm start on 300 rows/);
    expect(existsSync(join(stoppedRun, 'checkpoints'))).toBe(false);
    const resumed = await runHop(['train', '--resume', stoppedRun]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/no checkpoint in .*restarting the run from iteration 1/);
    expect(learning(stoppedRun)).toEqual(learning(reference));
  }, 300_000);

  it('SIGKILL during iteration 3, then --resume: the same records as the uninterrupted run', async () => {
    const root = tempDir('resume');
    const args = (out: string) => ['train', '--pretrained', preTrue, '--iterations', '4', '--seed', '9', '--out', out, ...TINY_TRAIN, '--eval-every', '2'];
    const reference = join(root, 'reference');
    const killedRun = join(root, 'killed');
    const [ref, killed] = await Promise.all([
      runHop(args(reference)),
      runHop(args(killedRun), (line, kill) => {
        if (line.startsWith('iteration 2/4')) kill('SIGKILL');
      }),
    ]);
    expect(ref.code, ref.stderr).toBe(0);
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await runHop(['train', '--resume', killedRun]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming .* from checkpoints\/iter-[12]: iteration [23]/);
    expect(learning(killedRun)).toEqual(learning(reference));
    const w = (run: string) => readFileSync(join(run, 'checkpoints/iter-4/policy/policy/weights.bin'));
    expect(w(killedRun).equals(w(reference))).toBe(true);
    // Only --iterations may change on resume; a checkpoint of another algorithm is refused.
    const flag = await refusal(['train', '--resume', killedRun, '--lr', '0.1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/only --iterations \(and --progress\) may change.*--lr/);
    const state = join(killedRun, 'checkpoints/iter-4/state.json');
    writeFileSync(state, readFileSync(state, 'utf8').replace('"algo": "hop"', '"algo": "direct-om"'));
    const other = await refusal(['train', '--resume', killedRun, '--iterations', '5']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/E_CHECKPOINT.*--algo direct-om, not hop/);
  });

  // Nested here to share the pretrained co-players of the beforeAll above instead of collecting and pretraining its own.
  describe('README example: a trained HopAgent in your own loop', () => {
    it('examples/hop-agent.ts is the README block, and it runs against a trained run', async () => {
      const example = readFileSync(join(PKG, 'examples/hop-agent.ts'), 'utf8');
      const readme = readFileSync(join(PKG, 'README.md'), 'utf8');
      expect(readme).toContain(example.trim());
      const run = join(tempDir('example'), 'run');
      const t = await runHop(['train', '--pretrained', preTrue, '--iterations', '1', '--out', run, ...TINY_TRAIN]);
      expect(t.code, t.stderr).toBe(0);
      const r = await runNode([join(PKG, 'examples/hop-agent.ts'), run]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/episode 0: returns [-\d.]+ [-\d.]+; belief about player 1 \(stag, hare\): [01]\.\d\d [01]\.\d\d/);
      expect(r.stdout).toMatch(/episode 1:/);
    });
  });
});
