import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { decodeTfEvents, readMetrics } from '@hop/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_NET, runHop, tempDir, tinyDataset } from './helpers';

const CHROMIUM = process.env.HOP_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // CI installs chromium (.ci/run); a machine without it says so instead of passing quietly.
  console.warn(`report-pages.test: ${CHROMIUM} not found, the page checks are skipped (apt-get install chromium)`);
  if (process.env.CI === 'true') throw new Error(`chromium is required in CI (${CHROMIUM})`);
}
const run = promisify(execFile);

/** Headless Chromium on a file: the DOM after its scripts ran, or a PNG. Fresh profile, no network services. */
async function chromium(file: string, mode: { dom: true } | { png: string; height: number }): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'hop-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`];
  try {
    const args = 'dom' in mode ? [...flags, '--dump-dom', `file://${file}`] : [...flags, `--window-size=1300,${mode.height}`, `--screenshot=${mode.png}`, `file://${file}`];
    const { stdout } = await run(CHROMIUM, args, { maxBuffer: 64 << 20, timeout: 120_000 });
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The `<svg>` charts of a page (hand-written SVG: no nesting, so a lazy match is exact). */
const svgs = (html: string) => [...html.matchAll(/<svg[^>]*role="img"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
const titleOf = (svg: string) => /<title>([^<]*)<\/title>/.exec(svg)?.[1] ?? '?';

/** Every chart names its y axis (with its unit) and its x axis (an axis label, or category labels under bars). */
function expectAxisLabels(html: string): number {
  const charts = svgs(html);
  for (const svg of charts) {
    const labels = [...svg.matchAll(/class="axis-label"[^>]*>([^<]+)</g)].map((m) => m[1]);
    const rotated = /class="axis-label" transform="translate\([^)]*\) rotate\(-90\)"/.test(svg);
    expect(rotated, `y-axis label of '${titleOf(svg)}'`).toBe(true);
    expect(labels.length + (svg.includes('class="bar-label"') ? 1 : 0), `x-axis label of '${titleOf(svg)}'`).toBeGreaterThanOrEqual(2);
  }
  return charts.length;
}

/** Headline cards (`.kpi` entries) that state a measured mean or accuracy carry an SE or an interval next to it. */
function expectIntervals(html: string, measured: RegExp): number {
  const cards = [...html.matchAll(/<div><b>([\s\S]*?)<\/b>([^<]*)<\/div>/g)].filter((m) => measured.test(m[2]));
  for (const m of cards) expect(m[1], `interval next to '${m[2]}'`).toMatch(/class="se">(± \d|\[\d)/);
  return cards.length;
}

/**
 * Distinct colours in a PNG screenshot, counted on the decoded pixels (zlib-inflated IDAT, scanline filters
 * undone): a blank or one-colour page has 1. Handles Chromium's 8-bit RGB / RGBA, non-interlaced output.
 */
function pngColours(png: Buffer): number {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const colourType = png[25];
  const bpp = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  expect(png[24], 'bit depth').toBe(8);
  expect(bpp, 'colour type').toBeGreaterThan(0);
  const parts: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') parts.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(parts));
  const stride = width * bpp;
  const prev = Buffer.alloc(stride);
  const cur = Buffer.alloc(stride);
  const colours = new Set<number>();
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      cur[i] = (line[i] + pred) & 255;
    }
    for (let x = 0; x < width && colours.size < 1000; x += 7) colours.add(cur.readUIntBE(x * bpp, 3));
    cur.copy(prev);
  }
  return colours.size;
}

describe.runIf(haveChromium)('report pages in headless Chromium (tiny runs): screenshots and DOM checks', () => {
  let root: string;
  let pre: string;
  let train: string;
  /** Where the screenshots go: HOP_SCREENSHOTS to keep them, else the temporary directory. */
  let shots: string;

  beforeAll(async () => {
    root = tempDir('pages');
    shots = process.env.HOP_SCREENSHOTS ?? join(root, 'shots');
    mkdirSync(shots, { recursive: true });
    const data = await tinyDataset(join(root, 'data'), 40, 5);
    pre = join(root, 'pre-true');
    train = join(root, 'train');
    const p = await runHop(['pretrain', '--data', data, '--out', pre, '--epochs', '1', '--goal-input', 'true', ...TINY_NET, '--progress', 'none']);
    expect(p.code, p.stderr).toBe(0);
    const t = await runHop([
      'train', '--algo', 'hop', '--pretrained', pre, '--warm-start', data, '--warm-start-samples', '200', '--iterations', '2', '--out', train,
      '--env', 'small-2p', '--num-envs', '2', '--tree-num', '2', '--simulations', '6', '--eval-envs', '2', '--eval-episodes', '4',
      '--eval-every', '1', '--replay-every', '2', '--policy-filters', '8', '--policy-hidden', '16', '--moa-filters', '8', '--moa-hidden', '16',
      '--moa-capacity', '12', '--moa-epochs', '1', '--moa-minibatch', '16', '--sgd-passes', '1', '--minibatch', '32', '--progress', 'none',
    ]);
    expect(t.code, t.stderr).toBe(0);
  }, 300_000);

  it('training report: final evaluation ± SE with n, SE bands, markers, reference lines, time budget, linked pretraining run', async () => {
    const file = join(train, 'report.html');
    const dom = await chromium(file, { dom: true });
    await chromium(file, { png: join(shots, 'training.png'), height: 3600 });
    expect(statSync(join(shots, 'training.png')).size).toBeGreaterThan(10_000);
    expect(expectAxisLabels(dom)).toBeGreaterThanOrEqual(8);
    expect(expectIntervals(dom, /^(final greedy evaluation|training return)/)).toBe(2);
    expect(dom).toMatch(/final greedy evaluation after iteration 2: mean reward per agent ± SE, n = 4 held-out episodes/);
    expect(dom).not.toMatch(/best evaluation/);
    const reward = svgs(dom).find((s) => titleOf(s).startsWith('Mean reward per agent vs iteration'))!;
    // small-2p: one stag for two players, stag reward 10 split in two: the cap is 5 per agent.
    expect(reward).toContain('data-label="cap 5"');
    expect(reward).toMatch(/class="band"/);
    // The evaluation curve has a marker per evaluation: iterations 0 (after the warm start), 1, 2.
    const evalSeries = /<g class="series" data-series="evaluation \(greedy, held-out\)">[\s\S]*?<\/g>/.exec(reward)![0];
    expect(evalSeries.match(/class="marker"/g)).toHaveLength(3);
    expect(dom).toMatch(/<h3>Time budget<\/h3>/);
    for (const phase of ['warm start', 'evaluation before self-play', 'iteration(s)', 'total']) expect(dom).toContain(phase);
    expect(dom).toMatch(/co-player models \(hop pretrain\): <a href="\.\.\/pre-true\/report\.html">/);
    expect(dom).toMatch(/validation top-1 on move labels \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] \(95%, n = \d+\)/);
    // No chart is drawn in two scales here, so there is no log switch to show.
    expect(dom).not.toContain('id="logscale"');
  }, 120_000);

  it('pretraining report: Wilson intervals with n, moves-only beside its baseline, chance and clip lines, per-epoch times', async () => {
    const file = join(pre, 'report.html');
    const dom = await chromium(file, { dom: true });
    await chromium(file, { png: join(shots, 'pretraining.png'), height: 3000 });
    expect(expectAxisLabels(dom)).toBeGreaterThanOrEqual(6);
    expect(expectIntervals(dom, /top-1|top-3|baseline/)).toBe(5);
    const order = [...dom.matchAll(/<div><b>[^<]*<span class="se">[^<]*<\/span><\/b>([^<]*)<\/div>/g)].map((m) => m[1]);
    expect(order.slice(0, 4)).toEqual(['top-1, all labels', 'majority-class baseline, all labels', 'top-1, move labels only', 'majority-class baseline, move labels only']);
    const chart = (t: string) => svgs(dom).find((s) => titleOf(s).startsWith(t))!;
    expect(chart('Validation accuracy')).toContain('data-label="chance (1/7)"');
    expect(chart('Gradient norm')).toContain('data-label="clip threshold 1"');
    expect(chart('Wall seconds per epoch')).toBeDefined();
    // The log switch exists because the loss charts are drawn in both scales, and it is wired to them.
    expect(dom).toContain('id="logscale"');
    expect(dom).toMatch(/<div class="log"><svg/);
    // The fingerprints are collapsed, not a wall of JSON.
    expect(dom).toMatch(/<section id="input-fingerprints">[\s\S]*?<details>/);
  }, 120_000);

  it('replay: one episode per page (times 0..L once, scores from zero), legend, the overlay of P0 from recorded visits and beliefs', async () => {
    const file = join(train, 'replays', 'iter-2.html');
    const src = readFileSync(file, 'utf8');
    const frames = JSON.parse(/const frames = (.*);\n/.exec(src)![1].replace(/\\u003c/g, '<')) as string[];
    const times = frames.map((f) => Number(/t = (\d+) \//.exec(f)![1]));
    // One episode: the clock runs 0, 1, ..., L once (two joined episodes restart at 0 or 1).
    expect(times).toEqual(times.map((_, i) => i));
    const length = Number(/length (\d+) steps/.exec(src)![1]);
    expect(times.length).toBe(length + 1);
    expect(frames[0]).toMatch(/P0 = 0<\/text>/);
    const dom = await chromium(file, { dom: true });
    await chromium(file, { png: join(shots, 'replay.png'), height: 900 });
    expect(dom).toMatch(/evaluation episode 1 of 4/);
    for (const cls of ['legend-stag', 'legend-hare', 'legend-obstacle', 'legend-player']) expect(dom).toContain(`class="${cls}"`);
    // The overlay of the default player (P0) at step 0: the share of its root visits and its belief about P1.
    expect(dom).toMatch(/<div id="overlay-p0"><h4>P0 at step 0: root visit share of its search \(chose [a-z-]+\)<\/h4>/);
    expect(dom).toMatch(/P0’s belief about P1’s goal<\/h4><div class="bar"><b>stag<\/b>/);
    const decisions = JSON.parse(/const decisions = (.*);\n/.exec(src)![1]) as { visits: (number[] | null)[][]; beliefs: (number[][] | null)[][] };
    expect(decisions.visits).toHaveLength(length);
    // Each decision's root visits: 2 trees x (6 simulations - the first, which expands the root); beliefs sum to 1.
    for (const v of decisions.visits[0]) expect(v!.reduce((a, b) => a + b, 0)).toBe(10);
    for (const b of decisions.beliefs[0]) expect(b![0].reduce((a, c) => a + c, 0)).toBeCloseTo(1, 3);
  }, 120_000);

  it('hop eval page: y labels with units, mean bars with SE whiskers, rule teams and the ceiling as reference lines, adaptation curves with SE bands', async () => {
    // A real `hop eval` of the tiny training run: self-play and few-shot adaptation (1 focal + 1 co-player).
    const out = join(root, 'eval');
    const e = await runHop(['eval', train, '--episodes', '2', '--seeds', '1', '--pairings', '2', '--protocol', 'both', '--workers', '1', '--out', out, '--progress', 'none']);
    expect(e.code, e.stderr).toBe(0);
    const file = join(out, 'evaluation.html');
    const dom = await chromium(file, { dom: true });
    const png = join(shots, 'evaluation.png');
    await chromium(file, { png, height: 2600 });
    // The screenshot is a real picture: big, and not one colour (a blank page compresses to a few hundred bytes).
    expect(statSync(png).size).toBeGreaterThan(20_000);
    expect(pngColours(readFileSync(png))).toBeGreaterThan(8);
    // Two mean charts (self-play, adaptation) and one adaptation curve per co-player type (random, stag, hare, switching).
    expect(expectAxisLabels(dom)).toBe(6);
    for (const svg of svgs(dom)) expect(svg, titleOf(svg)).toContain('mean focal reward per agent per episode');
    const bars = svgs(dom).filter((s) => titleOf(s).startsWith('Mean focal reward'));
    expect(bars.map(titleOf)).toEqual(['Mean focal reward, self-play (whiskers: ± 1 SE)', 'Mean focal reward, all co-player types (whiskers: ± 1 SE)']);
    for (const svg of bars) {
      // The run is the bar; the five rule teams are lines (and, in adaptation, the ceiling).
      expect(svg.match(/<rect class="bar"/g)).toHaveLength(1);
      for (const rule of ['random', 'stag', 'hare', 'switching', 'mixed']) expect(svg).toMatch(new RegExp(`data-label="rule: ${rule} -?\\d+\\.\\d\\d"`));
    }
    expect(bars[1]).toMatch(/data-label="ceiling \d+\.\d\d"/);
    const curves = svgs(dom).filter((s) => titleOf(s).startsWith('Focal reward by episode'));
    expect(curves).toHaveLength(4);
    for (const svg of curves) {
      expect(svg).toMatch(/class="band"/);
      expect(svg).toMatch(/data-label="ceiling \d+\.\d\d"/);
      // Two episodes per pairing: a marker at each episode index.
      expect(svg.match(/class="marker"/g)).toHaveLength(2);
      expect(svg).toContain('episode of the pairing (1 = first meeting)');
    }
  }, 300_000);

  it('TensorBoard: the event files of both runs decode (CRCs checked) to exactly the numbers of metrics.jsonl at global_step', () => {
    for (const dir of [pre, train]) {
      const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
      expect(files).toHaveLength(1);
      const events = decodeTfEvents(readFileSync(join(dir, files[0])));
      expect(events[0].fileVersion).toBe('brain.Event:2');
      const records = readMetrics(dir).map((r) => ({
        step: typeof r.global_step === 'number' ? r.global_step : r.step,
        values: Object.fromEntries(
          Object.entries(r)
            .filter(([k, v]) => typeof v === 'number' && !['step', 'global_step', 'epoch', 'time'].includes(k))
            .map(([k, v]) => [k, Math.fround(v as number)]),
        ),
      }));
      const withValues = records.filter((r) => Object.keys(r.values).length > 0);
      expect(events.slice(1).map((e) => ({ step: e.step, values: e.scalars }))).toEqual(withValues);
      expect(withValues.length).toBeGreaterThanOrEqual(3);
    }
  });
});
