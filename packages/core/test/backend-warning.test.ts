import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend, warnIfBackendNotInitialised } from '../src/index';

// Its own file: the warning is once per process, and no other test of this file may call initBackend first.
describe('warnIfBackendNotInitialised', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  afterAll(() => warn.mockRestore());

  it('warns once when tensors would run on the default cpu backend, and not after initBackend', async () => {
    await tf.setBackend('cpu');
    expect(warnIfBackendNotInitialised('MOAModel')).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/MOAModel runs on tfjs's plain cpu backend because initBackend\(\) was not called/);
    expect(warnIfBackendNotInitialised('MOAModel')).toBe(false); // once per process
    await initBackend({ force: 'cpu' });
    expect(warnIfBackendNotInitialised('VanillaVAE')).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
