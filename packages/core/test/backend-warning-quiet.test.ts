import { describe, expect, it, vi } from 'vitest';
import { initBackend, warnIfBackendNotInitialised } from '../src/index';

// Control for backend-warning.test.ts, in a fresh process: after initBackend (even onto cpu) nothing is said.
describe('warnIfBackendNotInitialised after initBackend', () => {
  it('stays quiet', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await initBackend({ force: 'cpu' });
    expect(warnIfBackendNotInitialised('MOAModel')).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});
