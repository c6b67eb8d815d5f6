import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenario, scenarios, type ScenarioRecord } from './fixtures/tree-scenarios';

/**
 * The engine reproduces, bit for bit, the trees and decisions recorded before the search loop was split
 * into selection / expansion / backup (`fixtures/record-trees.ts` wrote them with the earlier engine):
 * every node's visits, value sum, reward, value, children, priors, logits, masks, co-player actions and
 * state, the Q bounds, and every output field and count. Floats are compared exactly (float32 to 9
 * significant digits, which identifies a float32; float64 in full). Catches, among others: a changed
 * discount or Q offset in the backup, co-player actions drawn in another order or from another stream,
 * a different cache key, a root evaluated twice, priors normalised over invalid actions.
 */
const recorded = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures/recorded-trees.json'), 'utf8'),
) as ScenarioRecord[];

describe('recorded trees', () => {
  it('the fixture holds every scenario, with reuse, cache off and Gumbel among them', () => {
    expect(recorded.map((r) => r.name)).toEqual(scenarios.map((s) => s.name));
    const calls = recorded.flatMap((r) => r.calls);
    expect(calls.length).toBe(7);
    expect(calls.some((c) => c.decisions.counts.reusedTrees > 0)).toBe(true);
    expect(calls.some((c) => c.decisions.counts.coPlayerRows > 0 && c.decisions.counts.evaluatorCacheHits > 0)).toBe(true);
  });

  for (const s of scenarios)
    it(`${s.name}: same trees and decisions`, async () => {
      const want = recorded.find((r) => r.name === s.name)!;
      const got = JSON.parse(JSON.stringify(await runScenario(s))) as ScenarioRecord;
      expect(got.calls.length).toBe(want.calls.length);
      for (let c = 0; c < want.calls.length; c++) {
        // counters added after the recording (the co-player fallback count) must be 0 with these models
        const { coPlayerFallbackRows, ...counts } = got.calls[c].decisions.counts as typeof got.calls[number]['decisions']['counts'] & {
          coPlayerFallbackRows: number;
        };
        expect(coPlayerFallbackRows).toBe(0);
        expect({ ...got.calls[c].decisions, counts }, `call ${c} decisions`).toEqual(want.calls[c].decisions);
        for (let b = 0; b < want.calls[c].trees.length; b++)
          expect(got.calls[c].trees[b], `call ${c} tree ${b}`).toEqual(want.calls[c].trees[b]);
      }
    });
});
