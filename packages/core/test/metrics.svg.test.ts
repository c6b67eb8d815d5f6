import { describe, expect, it } from 'vitest';
import { HopError } from '../src/errors';
import { barChartSvg, heatmapSvg, lineChartSvg } from '../src/metrics/index';
import { linearAxis, logAxis, viridis } from '../src/metrics/svg/common';

const count = (svg: string, re: RegExp) => (svg.match(new RegExp(re.source, 'g')) ?? []).length;
const texts = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
/** y coordinate of the tick label `label` on the y axis. */
const tickY = (svg: string, label: string) => Number(new RegExp(`<text class="tick-y" x="[^"]+" y="([^"]+)"[^>]*>${label.replace('.', '\\.')}</text>`).exec(svg)?.[1]);
const tickX = (svg: string, label: string) => Number(new RegExp(`<text class="tick-x" x="([^"]+)"[^>]*>${label}</text>`).exec(svg)?.[1]);

/** Well-formed enough: every opened tag closed, no NaN / Infinity / undefined leaked into attributes. */
function expectCleanSvg(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).not.toMatch(/NaN|Infinity|undefined|null/);
  for (const tag of ['g', 'text', 'svg']) expect(count(svg, new RegExp(`<${tag}[ >]`))).toBe(count(svg, new RegExp(`</${tag}>`)));
}

describe('axes', () => {
  it('linear ticks at 1/2/5 x 10^k covering the data', () => {
    expect(linearAxis(0, 9.3).ticks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearAxis(-0.37, 0.81).ticks).toEqual([-0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearAxis(-0.37, 0.81).labels).toEqual(['-0.4', '-0.2', '0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(linearAxis(3, 7, 5, true).ticks[0]).toBe(0);
  });

  it('a tight axis ends at the data, with the ticks inside it', () => {
    const a = linearAxis(0, 9.3, 5, false, true);
    expect([a.min, a.max]).toEqual([0, 9.3]);
    expect(a.ticks).toEqual([0, 2, 4, 6, 8]);
    expect(linearAxis(1, 1436, 6, false, true).ticks).toEqual([200, 400, 600, 800, 1000, 1200, 1400]);
  });

  it('constant, empty and non-finite data still give a usable range', () => {
    const c = linearAxis(5, 5);
    expect(c.min).toBeLessThan(5);
    expect(c.max).toBeGreaterThan(5);
    expect(linearAxis(0, 0).ticks.length).toBeGreaterThan(1);
    // All zeros (a ratio or count that stayed 0) get 0..1, not a symmetric -1..1 of values that cannot occur.
    expect([linearAxis(0, 0).min, linearAxis(0, 0).max]).toEqual([0, 1]);
    expect(linearAxis(0, 0).ticks[0]).toBe(0);
    expect(linearAxis(Infinity, -Infinity).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('log ticks at powers of ten, with 2 and 5 inside narrow ranges', () => {
    expect(logAxis(0.002, 3).labels).toEqual(['0.001', '0.01', '0.1', '1', '10']);
    expect(logAxis(2, 8).ticks).toEqual([1, 2, 5, 10]);
    const wide = logAxis(1e-12, 1e6);
    expect(wide.ticks.length).toBeLessThanOrEqual(10);
    expect(wide.ticks[0]).toBeLessThanOrEqual(1e-12);
    expect(wide.ticks.at(-1)).toBeGreaterThanOrEqual(1e6);
    expect(logAxis(-1, 0).ticks).toEqual([1, 2, 5, 10]);
  });
});

describe('lineChartSvg', () => {
  const xs = [0, 10, 20, 30, 40];
  const svg = lineChartSvg({
    title: 'Loss <AM> & "KL"',
    xLabel: 'step',
    yLabel: 'loss',
    logY: true,
    series: [
      { name: 'ce', x: xs, y: [3, 1, 0.5, 0.2, 0.1] },
      { name: 'kl<α>', x: xs, y: [0.1, 0.01, NaN, 0.003, 0.002] },
      { name: 'mse', x: xs, y: [0.01, 0.01, 0.01, 0.01, 0.01] },
    ],
  });

  it('draws one path per series, a legend, escaped text and log ticks', () => {
    expectCleanSvg(svg);
    expect(count(svg, /<g class="series"/)).toBe(3);
    expect(texts(svg, 'legend')).toEqual(['ce', 'kl&lt;α&gt;', 'mse']);
    expect(svg).toContain('<title>Loss &lt;AM&gt; &amp; &quot;KL&quot;</title>');
    expect(texts(svg, 'tick-y')).toEqual(['0.001', '0.01', '0.1', '1', '10']);
    expect(texts(svg, 'axis-label')).toEqual(['loss', 'step']);
  });

  it('puts points where the axes say: y on the log scale, x on the linear one', () => {
    const path = /data-series="ce"><path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    const pts = path.slice(1).split('L').map((p) => p.split(',').map(Number));
    expect(pts).toHaveLength(5);
    expect(pts[1][1]).toBeCloseTo(tickY(svg, '1'), 1); // y = 1 at the "1" tick
    expect(pts[0][0]).toBeCloseTo(tickX(svg, '0'), 1);
    expect(pts[4][0]).toBeCloseTo(tickX(svg, '40'), 1);
    // 0.1 lies one decade below 1: the same pixel distance as from 1 to 10
    expect(pts[4][1] - pts[1][1]).toBeCloseTo(tickY(svg, '1') - tickY(svg, '10'), 1);
  });

  it('breaks a line at a NaN instead of drawing through it', () => {
    const path = /data-series="kl&lt;α&gt;"><path d="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(count(path, /M/)).toBe(2);
  });

  it('handles no series, empty series, a single point and constant data without NaN', () => {
    for (const series of [[], [{ name: 'e', x: [], y: [] }], [{ name: 'one', x: [3], y: [7] }], [{ name: 'flat', x: [1, 2], y: [0, 0] }]]) {
      const s = lineChartSvg({ title: 't', series });
      expectCleanSvg(s);
    }
    expect(lineChartSvg({ title: 't', series: [] })).toContain('no data');
    expect(lineChartSvg({ title: 't', series: [{ name: 'one', x: [3], y: [7] }] })).toMatch(/<circle cx="[\d.]+" cy="[\d.]+"/);
    expectCleanSvg(lineChartSvg({ title: 't', logY: true, series: [{ name: 'neg', x: [1, 2], y: [-1, 0] }] }));
  });

  it('the x axis ends at the last point (no empty stretch to the next round tick)', () => {
    const s = lineChartSvg({ title: 't', series: [{ name: 'a', x: [1, 700, 1436], y: [3, 2, 1] }] });
    const path = /data-series="a"><path d="([^"]+)"/.exec(s)?.[1] ?? '';
    const pts = path.slice(1).split('L').map((p) => p.split(',').map(Number));
    const axis = /<g class="x-axis">\n<line x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)"/.exec(s)!;
    expect(pts[0][0]).toBeCloseTo(Number(axis[1]), 1);
    expect(pts[2][0]).toBeCloseTo(Number(axis[2]), 1);
    expect(texts(s, 'tick-x').at(-1)).toBe('1400');
  });

  it('a series equal to an earlier one is drawn dashed and named as such; a differing one is not', () => {
    const xs = [0, 1, 2];
    const s = lineChartSvg({
      title: 't',
      series: [
        { name: 'policy', x: xs, y: [3, 2, 1] },
        { name: 'total', x: xs, y: [3, 2, 1] },
        { name: 'kl', x: xs, y: [3, 2, 1.5] },
      ],
    });
    expect(texts(s, 'legend')).toEqual(['policy', 'total (= policy)', 'kl']);
    expect(count(s, /stroke-dasharray/)).toBe(2); // the dashed path and its legend swatch
    expect(/data-series="total"><path [^>]*stroke-dasharray/.test(s)).toBe(true);
    expect(/data-series="kl"><path [^>]*stroke-dasharray/.test(s)).toBe(false);
  });

  it('a long series name is shortened with an ellipsis inside the picture, its full text in a tooltip', () => {
    const long = 'hop (train-hop-20261206-225900) [oracle-goals] vs switching co-players, focal 1';
    const s = lineChartSvg({ title: 't', series: [{ name: 'short', x: [0, 1], y: [0, 1] }, { name: long, x: [0, 1], y: [1, 0] }] });
    const width = Number(/<svg[^>]* width="([\d.]+)"/.exec(s)![1]);
    const entry = [...s.matchAll(/<text class="legend" x="([\d.]+)"[^>]*>(?:<title>([^<]*)<\/title>)?([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), title: m[2], shown: m[3] }));
    expect(entry[0]).toEqual({ x: entry[0].x, title: undefined, shown: 'short' });
    expect(entry[1].title).toBe(long);
    expect(entry[1].shown.endsWith('…')).toBe(true);
    expect(long.startsWith(entry[1].shown.slice(0, -1))).toBe(true);
    // Within the picture by the layout's own text measure (12 px x 0.6 per character).
    expect(entry[1].x + entry[1].shown.length * 7.2).toBeLessThanOrEqual(width);
    // Up to 360 px of legend a name is shown whole (200 px cut names of ~22 characters before).
    const mid = 'a name of forty characters, shown whole!';
    expect(texts(lineChartSvg({ title: 't', series: [{ name: mid, x: [0, 1], y: [0, 1] }] }), 'legend')).toEqual([mid]);
  });

  it('rejects series whose x and y differ in length', () => {
    expect(() => lineChartSvg({ title: 't', series: [{ name: 's', x: [1, 2], y: [1] }] })).toThrow(HopError);
  });
});

describe('heatmapSvg', () => {
  const matrix = [
    [50, 3, 1],
    [10, 80, 0],
    [0, 0, 0],
    [2, 2, 30],
  ];
  const svg = heatmapSvg({
    title: 'Goals',
    matrix,
    rowLabels: ['stag', 'hare', 'none', 'a<b'],
    colLabels: ['stag', 'hare', 'none'],
    xLabel: 'predicted',
    yLabel: 'true',
  });

  it('has rows x cols cells with their values, and every label', () => {
    expectCleanSvg(svg);
    expect(count(svg, /<rect class="cell"/)).toBe(12);
    expect(texts(svg, 'cell-text')).toEqual(matrix.flat().map(String));
    expect(texts(svg, 'row-label')).toEqual(['stag', 'hare', 'none', 'a&lt;b']);
    expect(texts(svg, 'col-label')).toEqual(['stag', 'hare', 'none']);
    expect(texts(svg, 'axis-label')).toEqual(['predicted', 'true']);
  });

  it('colours each row on its own scale: the row maximum is brightest, zero darkest', () => {
    const fill = (i: number, j: number) => new RegExp(`data-row="${i}" data-col="${j}"[^>]*fill="([^"]+)"`).exec(svg)?.[1];
    expect(fill(0, 0)).toBe(viridis(1).fill);
    expect(fill(1, 1)).toBe(viridis(1).fill);
    expect(fill(3, 2)).toBe(viridis(1).fill);
    expect(fill(1, 2)).toBe(viridis(0).fill);
    expect(fill(1, 0)).toBe(viridis(10 / 80).fill);
    expect(fill(2, 1)).toBe(viridis(0).fill); // an all-zero row: no division by zero
    const global = heatmapSvg({ title: 'g', matrix, rowLabels: ['a', 'b', 'c', 'd'], colLabels: ['x', 'y', 'z'], normalize: 'all' });
    expect(new RegExp(`data-row="0" data-col="0"[^>]*fill="([^"]+)"`).exec(global)?.[1]).toBe(viridis(50 / 80).fill);
  });

  it('uses given cell text, and greys out non-finite cells', () => {
    const s = heatmapSvg({ title: 't', matrix: [[1, NaN]], rowLabels: ['r'], colLabels: ['a', 'b'], cellText: [['1 (50%)', '-']] });
    expectCleanSvg(s);
    expect(texts(s, 'cell-text')).toEqual(['1 (50%)', '-']);
    expect(s).toContain('fill="#d0d0d0"');
  });

  it('rejects labels or cell text that do not fit the matrix', () => {
    expect(() => heatmapSvg({ title: 't', matrix: [[1, 2], [3]], rowLabels: ['a', 'b'], colLabels: ['x', 'y'] })).toThrow(/row 1 has 1 cells/);
    expect(() => heatmapSvg({ title: 't', matrix: [[1]], rowLabels: [], colLabels: ['x'] })).toThrow(/1 rows but 0 row labels/);
    expect(() => heatmapSvg({ title: 't', matrix: [[1]], rowLabels: ['a'], colLabels: ['x'], cellText: [[]] })).toThrow(/cellText row 0/);
  });
});

describe('barChartSvg', () => {
  it('draws one bar per finite value from the zero line, values printed', () => {
    const svg = barChartSvg({ title: 'Reward', labels: ['random', 'stag', 'hare', 'broken'], values: [-0.4, 3.2, 1.1, NaN], yLabel: 'reward' });
    expectCleanSvg(svg);
    expect(count(svg, /<rect class="bar"/)).toBe(3);
    expect(texts(svg, 'bar-label')).toEqual(['random', 'stag', 'hare', 'broken']);
    expect(texts(svg, 'bar-value')).toEqual(['-0.4', '3.2', '1.1', 'n/a']);
    const bar = (label: string) => {
      const m = new RegExp(`data-label="${label}" x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"`).exec(svg);
      return { y: Number(m?.[1]), h: Number(m?.[2]) };
    };
    const zero = tickY(svg, '0');
    expect(bar('stag').y + bar('stag').h).toBeCloseTo(zero, 1); // positive bars stand on the zero line
    expect(bar('random').y).toBeCloseTo(zero, 1); // negative bars hang from it
    expect(bar('stag').h / bar('hare').h).toBeCloseTo(3.2 / 1.1, 2);
  });

  it('empty input and label mismatch', () => {
    const svg = barChartSvg({ title: 'none', labels: [], values: [] });
    expectCleanSvg(svg);
    expect(svg).toContain('no data');
    expect(() => barChartSvg({ title: 't', labels: ['a'], values: [] })).toThrow(HopError);
  });
});

describe('lineChartSvg: bands, markers, reference lines', () => {
  it('a reference line widens the y range and is drawn with its label; a band is one polygon per usable run; markers per point', () => {
    const svg = lineChartSvg({
      title: 't',
      yLabel: 'reward',
      xLabel: 'it',
      series: [{ name: 'eval', x: [0, 1, 2, 3], y: [1, 2, Number.NaN, 2], band: { lo: [0.5, 1.5, 0, 1.5], hi: [1.5, 2.5, 0, 2.5] }, markers: true }],
      referenceLines: [{ y: 5, label: 'cap 5' }],
    });
    // The data tops out at 2.5; the cap at 5 must be inside the axis: a tick labelled 5 exists.
    expect(svg).toMatch(/class="tick-y"[^>]*>5</);
    expect(svg).toContain('data-label="cap 5"');
    // The NaN point splits the band: a 2-point polygon and a 1-point whisker.
    expect(svg.match(/<path class="band"/g)).toHaveLength(1);
    expect(svg.match(/<line class="band"/g)).toHaveLength(1);
    expect(svg.match(/class="marker"/g)).toHaveLength(3);
    const without = lineChartSvg({ title: 't', series: [{ name: 'eval', x: [0, 1], y: [1, 2] }] });
    expect(without).not.toMatch(/class="(band|marker|reference-line)"/);
    expect(without).not.toMatch(/class="tick-y"[^>]*>5</);
  });
});

describe('barChartSvg: error bars and reference lines', () => {
  it('whiskers span value ± error on the axis scale, the value label sits past the whisker, reference lines widen the range', () => {
    const svg = barChartSvg({
      title: 'Mean reward ± SE',
      labels: ['hop', 'ppo'],
      values: [2, 1],
      errors: [0.5, 0],
      yLabel: 'reward',
      referenceLines: [{ y: 4, label: 'ceiling 4' }],
    });
    expectCleanSvg(svg);
    // The axis reaches the reference line at 4 (the data tops out at 2.5).
    const [y0, y4] = [tickY(svg, '0'), tickY(svg, '4')];
    expect(Number.isFinite(y4)).toBe(true);
    const at = (v: number) => y0 + ((y4 - y0) * v) / 4;
    const bar = /<g class="error-bar" data-label="hop"[^>]*><line x1="[^"]+" y1="([^"]+)" x2="[^"]+" y2="([^"]+)"\/>/.exec(svg)!;
    expect(Number(bar[1])).toBeCloseTo(at(1.5), 1);
    expect(Number(bar[2])).toBeCloseTo(at(2.5), 1);
    // A zero error draws no whisker.
    expect(svg).not.toContain('class="error-bar" data-label="ppo"');
    const valueY = Number(/<text class="bar-value" x="[^"]+" y="([^"]+)"[^>]*>2<\/text>/.exec(svg)![1]);
    expect(valueY).toBeLessThan(at(2.5));
    const ref = /<g class="reference-line" data-label="ceiling 4"><line x1="[^"]+" y1="([^"]+)"/.exec(svg)!;
    expect(Number(ref[1])).toBeCloseTo(y4, 1);
    expect(() => barChartSvg({ title: 't', labels: ['a'], values: [1], errors: [] })).toThrow(/1 values but 0 error bars/);
  });
});

describe('reference line labels', () => {
  it('labels of equal or near values are pushed a line of text apart; far ones stay on their line', () => {
    const svg = lineChartSvg({
      title: 't',
      series: [{ name: 's', x: [0, 1], y: [0, 5] }],
      referenceLines: [
        { y: 5, label: 'rule: stag 5.00' },
        { y: 5, label: 'ceiling 5.00' },
        { y: 1, label: 'rule: hare 1.00' },
      ],
    });
    const ref = (label: string) => {
      const m = new RegExp(`data-label="${label}"><line [^>]*y1="([^"]+)"[^>]*/><text [^>]*y="([^"]+)"`).exec(svg)!;
      return { line: Number(m[1]), text: Number(m[2]) };
    };
    const [stag, ceiling, hare] = [ref('rule: stag 5.00'), ref('ceiling 5.00'), ref('rule: hare 1.00')];
    expect(stag.line).toBe(ceiling.line);
    expect(stag.text).toBeCloseTo(stag.line - 4, 5);
    expect(ceiling.text - stag.text).toBeCloseTo(12, 5);
    expect(hare.text).toBeCloseTo(hare.line - 4, 5);
  });
});
