import { captureEnvironment, chooseInferenceEngine, describeBackend, describeInference, initBackend, type RunEnvironment } from '@hop/core';

/**
 * Initialises the tensor backend (tfjs-node > wasm > cpu, or HOP_BACKEND) and chooses the inference engine
 * (ONNX Runtime > tfjs, or HOP_INFERENCE), prints which ones and why, and returns the machine description
 * that the run records (both choices included).
 */
export async function prepareEnvironment(log: (line: string) => void): Promise<RunEnvironment> {
  const info = await initBackend();
  log(describeBackend(info));
  log(describeInference(await chooseInferenceEngine()));
  return captureEnvironment();
}
