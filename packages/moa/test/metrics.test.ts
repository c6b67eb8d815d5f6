import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HopError, initBackend } from '@hop/core';
import {
  MOAModel,
  MetricsAccumulator,
  confusionCsv,
  confusionMetrics,
  evaluate,
  evaluateArrays,
  evaluationSvgs,
  perClassCsv,
  rowNormalised,
  summaryCsv,
} from '../src/index';
import { tinyGrid } from './helpers';
import { syntheticDataset } from './synthetic';

beforeAll(async () => {
  await initBackend();
});

// Ten hand-made predictions over 4 classes (class 3 never occurs and is never predicted).
const rows: [number, number[]][] = [
  [0, [0.6, 0.2, 0.1, 0.1]],
  [0, [0.5, 0.3, 0.1, 0.1]],
  [0, [0.7, 0.1, 0.1, 0.1]],
  [0, [0.3, 0.4, 0.1, 0.2]], // predicted 1, true class ranked 2nd
  [1, [0.1, 0.6, 0.2, 0.1]],
  [1, [0.2, 0.5, 0.2, 0.1]],
  [1, [0.1, 0.05, 0.6, 0.25]], // predicted 2, true class ranked 4th: a top-3 miss
  [1, [0.1, 0.3, 0.6, 0.0]], // predicted 2
  [2, [0.6, 0.1, 0.2, 0.1]], // predicted 0
  [2, [0.2, 0.1, 0.7, 0.0]],
];
const probs = rows.flatMap(([, p]) => p);
const labels = rows.map(([y]) => y);

describe('evaluation metrics', () => {
  it('match a hand-made confusion matrix', () => {
    const ev = evaluateArrays(probs, labels, 4, { labels: ['up', 'down', 'stay', 'hunt'] });
    expect(ev.samples).toBe(10);
    expect(ev.confusion).toEqual([
      [3, 1, 0, 0],
      [0, 2, 2, 0],
      [1, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
    expect(ev.top1).toBeCloseTo(0.6, 12);
    expect(ev.top3).toBeCloseTo(0.9, 12);
    const expectNll = -rows.reduce((s, [y, p]) => s + Math.log(p[y]), 0) / 10;
    expect(ev.nll).toBeCloseTo(expectNll, 12);
    const pc = ev.perClass;
    expect(pc.map((m) => m.count)).toEqual([4, 4, 2, 0]);
    expect(pc.map((m) => m.predicted)).toEqual([4, 3, 3, 0]);
    expect(pc.map((m) => m.ratio)).toEqual([0.4, 0.4, 0.2, 0]);
    const near = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));
    near(pc.map((m) => m.precision), [3 / 4, 2 / 3, 1 / 3, 0]);
    near(pc.map((m) => m.recall), [3 / 4, 1 / 2, 1 / 2, 0]);
    near(pc.map((m) => m.f1), [3 / 4, 4 / 7, 2 / 5, 0]);
    // Macro over the three classes that occur.
    expect(ev.macro.precision).toBeCloseTo((3 / 4 + 2 / 3 + 1 / 3) / 3, 12);
    expect(ev.macro.recall).toBeCloseTo((3 / 4 + 1 / 2 + 1 / 2) / 3, 12);
    expect(ev.macro.f1).toBeCloseTo((3 / 4 + 4 / 7 + 2 / 5) / 3, 12);
    expect(pc[2].label).toBe('stay');
  });

  it('break ties like argmax: the lower index wins', () => {
    const ev = evaluateArrays([0.25, 0.25, 0.25, 0.25], [2], 4, { topK: [2] });
    expect(ev.confusion[2][0]).toBe(1);
    expect(ev.top1).toBe(0);
    expect(ev.topK).toEqual([
      { k: 1, accuracy: 0 },
      { k: 2, accuracy: 0 },
      { k: 3, accuracy: 1 },
    ]);
  });

  it('accumulate batch by batch to the same result', () => {
    const acc = new MetricsAccumulator(4);
    acc.add(probs.slice(0, 12), labels.slice(0, 3));
    acc.add(probs.slice(12), labels.slice(3));
    expect(acc.result()).toEqual(evaluateArrays(probs, labels, 4));
  });

  it('hold their invariants on random predictions (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((c) =>
          fc.tuple(
            fc.constant(c),
            fc.array(fc.tuple(fc.integer({ min: 0, max: c - 1 }), fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: c, maxLength: c })), {
              minLength: 1,
              maxLength: 40,
            }),
          ),
        ),
        ([c, data]) => {
          const ev = evaluateArrays(
            data.flatMap(([, p]) => p),
            data.map(([y]) => y),
            c,
          );
          const n = data.length;
          const trace = ev.confusion.reduce((s, r, i) => s + r[i], 0);
          expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(n);
          expect(ev.top1).toBeCloseTo(trace / n, 12);
          expect(ev.top1).toBeLessThanOrEqual(ev.top3);
          expect(ev.perClass.reduce((s, m) => s + m.count, 0)).toBe(n);
          expect(ev.perClass.reduce((s, m) => s + m.predicted, 0)).toBe(n);
          for (const m of ev.perClass) for (const v of [m.precision, m.recall, m.f1]) expect(v >= 0 && v <= 1).toBe(true);
          if (c <= 3) expect(ev.top3).toBe(1);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('write CSV tables', () => {
    const ev = evaluateArrays(probs, labels, 4, { labels: ['up', 'down', 'stay', 'a,b'] });
    const lines = perClassCsv(ev).trim().split('\n');
    expect(lines[0]).toBe('class,label,count,ratio,predicted,precision,recall,f1');
    expect(lines[1]).toBe('0,up,4,0.4,4,0.75,0.75,0.75');
    expect(lines[2]).toBe('1,down,4,0.4,3,0.666667,0.5,0.571429');
    expect(lines[4]).toBe('3,"a,b",0,0,0,0,0,0');
    expect(lines[5].startsWith('macro,,10,1,10,0.583333,0.583333,')).toBe(true);
    expect(confusionCsv(ev).split('\n').slice(0, 2)).toEqual(['true\\pred,up,down,stay,"a,b"', 'up,3,1,0,0']);
    expect(summaryCsv(ev)).toContain('top1,0.6\ntop3,0.9\n');
  });

  it('draw the class distribution, the row-normalised confusion matrix with counts, and per-class recall', () => {
    const ev = evaluateArrays(probs, labels, 4, { labels: ['up', 'down', 'stay', 'hunt'] });
    expect(rowNormalised(ev.confusion)).toEqual([
      [0.75, 0.25, 0, 0],
      [0, 0.5, 0.5, 0],
      [0.5, 0, 0.5, 0],
      [0, 0, 0, 0],
    ]);
    const svg = evaluationSvgs(ev, 'test');
    for (const s of Object.values(svg)) {
      expect(s.startsWith('<svg') || s.startsWith('<?xml')).toBe(true);
      expect(s).toContain('hunt');
    }
    expect(svg.confusionMatrix).toContain('confusion matrix');
    // the counts of the matrix are written in its cells
    expect(svg.confusionMatrix).toMatch(/>3</);
    expect(svg.perClassRecall).toContain('top-1 0.600');
    expect(svg.classDistribution).toContain('10 samples');
  });

  it('confusionMetrics rejects a non-square matrix; bad labels are named', () => {
    expect(() => confusionMetrics([[1, 2], [3]])).toThrow(HopError);
    expect(() => evaluateArrays([0.5, 0.5], [2], 2)).toThrowError(/label 2 at row 0/);
    expect(() => evaluateArrays([0.5, 0.5, 1], [0], 2)).toThrowError(/probs has 3 values/);
  });

  it('evaluate(model, dataset) equals the metrics of the model probabilities, whatever the batch size', () => {
    const model = new MOAModel(tinyGrid);
    const d = syntheticDataset(50, 4);
    const p = model.probs(d);
    const direct = evaluateArrays(p.dataSync(), d.action, 5);
    p.dispose();
    expect(evaluate(model, d)).toEqual(direct);
    const small = evaluate(model, d, { batchSize: 7 });
    expect(small.confusion).toEqual(direct.confusion);
    expect(small.nll).toBeCloseTo(direct.nll, 5);
    model.dispose();
  });
});
