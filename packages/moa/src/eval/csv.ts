import type { Evaluation } from './metrics';

/** A CSV field: quoted when it holds a comma, quote or newline. */
function field(v: string | number): string {
  const s = typeof v === 'number' ? fmt(v) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

function rows(table: (string | number)[][]): string {
  return table.map((r) => r.map(field).join(',')).join('\n') + '\n';
}

/** Per-class table: `class,label,count,ratio,predicted,precision,recall,f1`, then a `macro` row. */
export function perClassCsv(ev: Evaluation): string {
  const head = ['class', 'label', 'count', 'ratio', 'predicted', 'precision', 'recall', 'f1'];
  const body = ev.perClass.map((m) => [m.index, m.label, m.count, m.ratio, m.predicted, m.precision, m.recall, m.f1]);
  const macro = ['macro', '', ev.samples, 1, ev.samples, ev.macro.precision, ev.macro.recall, ev.macro.f1];
  return rows([head, ...body, macro]);
}

/** Confusion matrix with true classes as rows and predicted classes as columns (counts). */
export function confusionCsv(ev: Evaluation): string {
  return rows([['true\\pred', ...ev.labels], ...ev.confusion.map((r, t) => [ev.labels[t], ...r])]);
}

/** `metric,value` lines: samples, top-k accuracies, nll, macro precision / recall / F1. */
export function summaryCsv(ev: Evaluation): string {
  return rows([
    ['metric', 'value'],
    ['samples', ev.samples],
    ...ev.topK.map((t) => [`top${t.k}`, t.accuracy]),
    ['nll', ev.nll],
    ['macro_precision', ev.macro.precision],
    ['macro_recall', ev.macro.recall],
    ['macro_f1', ev.macro.f1],
  ]);
}
