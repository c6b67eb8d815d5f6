import { barChartSvg, heatmapSvg } from '@hop/core';
import type { Evaluation } from './metrics';

/** The three pictures of an evaluation, as standalone SVG documents. */
export interface EvaluationSvgs {
  /** Share of each class among the true labels. */
  classDistribution: string;
  /** Confusion matrix normalised per true class (row), each cell showing its count. */
  confusionMatrix: string;
  /** Recall of each class. */
  perClassRecall: string;
}

/** Confusion matrix rows divided by their sums (an empty row stays 0). */
export function rowNormalised(confusion: number[][]): number[][] {
  return confusion.map((r) => {
    const s = r.reduce((a, b) => a + b, 0);
    return r.map((v) => (s > 0 ? v / s : 0));
  });
}

/** SVG pictures of an evaluation, drawn with @hop/core's chart helpers. */
export function evaluationSvgs(ev: Evaluation, titlePrefix = 'MOA'): EvaluationSvgs {
  return {
    classDistribution: barChartSvg({
      title: `${titlePrefix}: class distribution (${ev.samples} samples)`,
      labels: ev.labels,
      values: ev.perClass.map((m) => m.ratio),
      yLabel: 'share of labels',
    }),
    confusionMatrix: heatmapSvg({
      title: `${titlePrefix}: confusion matrix (row-normalised, counts in cells)`,
      matrix: rowNormalised(ev.confusion),
      rowLabels: ev.labels,
      colLabels: ev.labels,
      cellText: ev.confusion.map((r) => r.map(String)),
      xLabel: 'predicted',
      yLabel: 'true',
      // Rows are already normalised: one colour scale makes rows comparable.
      normalize: 'all',
    }),
    perClassRecall: barChartSvg({
      title: `${titlePrefix}: per-class recall (top-1 ${ev.top1.toFixed(3)})`,
      labels: ev.labels,
      values: ev.perClass.map((m) => m.recall),
      yLabel: 'recall',
    }),
  };
}
