import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateOnlineScenarios, trainOnlineScenarios, type OnlineRecord } from './fixtures/online-scenarios';

/**
 * The online co-player models are fed by one module (`beliefs/online-feed.ts`) from the hop loop, hop-onestep and
 * the HOP agents of `hop eval`. Each of the three produces exactly what it produced before that module existed
 * (`fixtures/record-online.ts` wrote the records on main at 6e14401): every metric record but the clocks, the
 * digests of the checkpoint's co-player weights, Adam state and online buffers, and every action, belief and
 * conditioning row of evaluation episodes in which the co-player models train. Catches, among others: a step
 * fed to the wrong co-player's buffer, an achievement matched to the wrong step, a focal player skipped, a
 * retrained model whose inference engine is not refreshed, steps fed twice or in another episode.
 */
const recorded = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures/recorded-online.json'), 'utf8')) as OnlineRecord[];

describe('online co-player feeding: the recorded tiny runs', () => {
  let runs: Awaited<ReturnType<typeof trainOnlineScenarios>>;
  let records: OnlineRecord[] = [];
  beforeAll(async () => {
    runs = await trainOnlineScenarios(3);
    records = [...runs.records, ...(await evaluateOnlineScenarios(runs, 3, 4))];
    // About 25 s on an idle 2-core machine; the margin is for a loaded one.
  }, 900_000);
  afterAll(() => removeRuns(runs));

  it('the fixture trains co-player models online in every scenario', () => {
    expect(recorded.map((r) => r.name)).toEqual(['train hop', 'train hop-onestep', 'eval hop', 'eval hop-onestep']);
    for (const r of recorded.slice(0, 2)) {
      expect(r.metrics!.some((m) => (m['moa/train_rounds'] as number) > 0), r.name).toBe(true);
      expect(Object.keys(r.checkpoint!).some((f) => f.startsWith('pairs/optimizers/player_')), r.name).toBe(true);
    }
    for (const r of recorded.slice(2)) expect(r.episodes!.length, r.name).toBe(5);
  });

  for (const [n, name] of ['train hop', 'train hop-onestep', 'eval hop', 'eval hop-onestep'].entries())
    it(`${name}: same records as before the feeds were one module`, () => {
      expect(JSON.parse(JSON.stringify(records[n]))).toEqual(recorded[n]);
    });

  it('the evaluation records depend on the online training: without it (buffers never full) later episodes differ', async () => {
    const none = await evaluateOnlineScenarios(runs, 3, 100_000);
    for (const [n, r] of none.entries()) {
      const want = recorded[n + 2];
      // The first episode ends before any buffer is full: identical; afterwards the retrained models show.
      expect(r.episodes![0]).toEqual(want.episodes![0]);
      expect(r.episodes!.slice(2), r.name).not.toEqual(want.episodes!.slice(2));
    }
  }, 120_000);
});

describe('online co-player feeding: a different seed', () => {
  it('gives other weights, metrics and beliefs (the records are not seed-blind)', async () => {
    const runs = await trainOnlineScenarios(4);
    const records = [...runs.records, ...(await evaluateOnlineScenarios(runs, 4, 4))];
    for (const [n, r] of records.entries()) {
      const want = recorded[n];
      if (r.checkpoint) expect(r.checkpoint['pairs/player_1_to_0/weights.bin'], r.name).not.toBe(want.checkpoint!['pairs/player_1_to_0/weights.bin']);
      if (r.metrics) expect(r.metrics, r.name).not.toEqual(want.metrics);
      if (r.episodes) expect(r.episodes, r.name).not.toEqual(want.episodes);
    }
    removeRuns(runs);
  }, 900_000);
});

function removeRuns(runs: { hop: string; onestep: string } | undefined): void {
  for (const root of runs ? [runs.hop, runs.onestep] : []) rmSync(dirname(root), { recursive: true, force: true });
}
