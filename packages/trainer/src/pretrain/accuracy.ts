import type { Evaluation } from '@hop/moa';

/** The action labels that are moves (the hard part of the task). */
export const MOVES = ['up', 'down', 'left', 'right'];

/**
 * Top-1 accuracy on the samples whose true action is a move (up / down / left / right): the hard part of
 * the task, since hunt actions on a prey cell and waiting on a stag are nearly certain.
 */
export function moveAccuracy(ev: Evaluation): number {
  let hit = 0;
  let total = 0;
  ev.labels.forEach((label, t) => {
    if (!MOVES.includes(label)) return;
    hit += ev.confusion[t][t];
    total += ev.confusion[t].reduce((a, b) => a + b, 0);
  });
  return total > 0 ? hit / total : 0;
}

/**
 * The majority-class baselines of an evaluation's labels: the top-1 of always predicting the most frequent
 * label, over all labels and over move labels only (what a model must beat to have learned anything).
 */
export function majorityBaselines(ev: Evaluation): { all: number; moves: number } {
  const rowTotals = ev.confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const total = rowTotals.reduce((a, b) => a + b, 0);
  let moveTotal = 0;
  let moveMax = 0;
  ev.labels.forEach((label, t) => {
    if (!MOVES.includes(label)) return;
    moveTotal += rowTotals[t];
    moveMax = Math.max(moveMax, rowTotals[t]);
  });
  return { all: total > 0 ? Math.max(...rowTotals) / total : 0, moves: moveTotal > 0 ? moveMax / moveTotal : 0 };
}
