import { describe, expect, it } from 'vitest';
import { latentVerdict } from '../src/report/pretrain-section';

describe('the CVAE headline states the posterior - prior-mean difference with its interval', () => {
  it("the demo's figures (0.709 vs 0.711): an interval that includes 0 is reported as nothing measurable", () => {
    // diff -0.2 points; SE = 100 sqrt((0.709 x 0.291 + 0.711 x 0.289) / 8000) = 0.7175; 1.96 SE = 1.406.
    const v = latentVerdict(0.709, 0.711, 8000);
    expect(v).toContain('<b>-0.2</b> points, 95% interval [-1.6, 1.2] (n = 8000)');
    expect(v).toMatch(/includes 0: <b>at this size the latent carries nothing measurable<\/b>/);
  });

  it('a clear difference (0.80 vs 0.70 on 1000 rows) is reported as information', () => {
    // diff 10 points; SE = 100 sqrt((0.16 + 0.21) / 1000) = 1.9235; 1.96 SE = 3.770.
    const v = latentVerdict(0.8, 0.7, 1000);
    expect(v).toContain('<b>10.0</b> points, 95% interval [6.2, 13.8] (n = 1000)');
    expect(v).toMatch(/the latent carries information/);
    expect(v).not.toMatch(/nothing measurable/);
  });

  it('without a count there is no interval and no verdict', () => {
    expect(latentVerdict(0.8, 0.7, undefined)).toBe('a difference of <b>10.0</b> points (no validation count, so no interval).');
  });
});
