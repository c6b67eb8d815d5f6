import { captureEnvironment, describeBackend, initBackend, type RunEnvironment } from '@hop/core';

/**
 * Initialises the tensor backend (tfjs-node > wasm > cpu, or HOP_BACKEND), prints which one and why, and
 * returns the machine description that the run records.
 */
export async function prepareEnvironment(log: (line: string) => void): Promise<RunEnvironment> {
  const info = await initBackend();
  log(describeBackend(info));
  return captureEnvironment();
}
