import type { RunDir } from '../run/layout';
import { genericSections } from './build';
import type { NamedRun } from './charts';
import type { SectionOutput } from './pretrain-section';

/** The world-model part of a report: every recorded metric as a curve (per step and per epoch). */
export async function worldModelSections(_run: RunDir, runs: NamedRun[]): Promise<SectionOutput> {
  return genericSections(runs);
}
