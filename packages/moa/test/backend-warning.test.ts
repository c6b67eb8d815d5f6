import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { MOAModel } from '../src/index';

// Its own file (a process of its own): no initBackend() here, which is the mistake the warning is about.
describe('MOAModel without initBackend()', () => {
  it('says once that it runs on the slow default cpu backend', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await tf.setBackend('cpu');
    const spec = { observationShape: [4], numActions: 3, goalDim: 0, maxTime: 5, hiddenUnits: 8, mlpUnits: [8] };
    const a = new MOAModel(spec);
    const b = new MOAModel(spec);
    // (tfjs prints its own "install tfjs-node" notice too; count ours)
    const ours = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith('@hop/core:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/MOAModel runs on tfjs's plain cpu backend because initBackend\(\) was not called/);
    warn.mockRestore();
    a.net.dispose();
    b.net.dispose();
  });
});
