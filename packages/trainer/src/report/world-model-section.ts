import { worldModelReportSection } from '@hop/world-model';
import type { RunDir } from '../run/layout';
import type { NamedRun } from './charts';
import type { SectionOutput } from './pretrain-section';

/**
 * The world-model part of a report: @hop/world-model's own section (summary table, curves, per-channel
 * MSE, impossible predictions, predicted-vs-true grids, reward scatter), unwrapped from its <section>.
 */
export async function worldModelSections(run: RunDir, _runs: NamedRun[]): Promise<SectionOutput> {
  const html = worldModelReportSection(run.root)
    .replace(/^\s*<section[^>]*>\s*<h2>[^<]*<\/h2>/, '')
    .replace(/<\/section>\s*$/, '');
  return { sections: [{ id: 'world-model', title: 'World model', html }], plots: [] };
}
