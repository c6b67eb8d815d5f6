import * as tf from '@tensorflow/tfjs';
import { backendInfo } from './init';

let warned = false;

/**
 * Says once per process that tensors run on tfjs's plain-JS cpu backend because `initBackend()` was never
 * called: the default is silent and 100-400x slower to train than the wasm backend `initBackend` would pick.
 * Model constructors call it (`where` names the caller); returns whether it warned.
 */
export function warnIfBackendNotInitialised(where: string): boolean {
  if (warned || backendInfo() !== null || backendInUse() !== 'cpu') return false;
  warned = true;
  console.warn(
    `@hop/core: ${where} runs on tfjs's plain cpu backend because initBackend() was not called; ` +
      '`await initBackend()` (from @hop/core) before creating models picks a much faster one (wasm, or tfjs-node when installed).',
  );
  return true;
}

/**
 * The backend tensors run on: the active one, or, in a fresh process where none is active yet
 * (`tf.getBackend()` is undefined until the first op), the one tfjs will pick then, the registered backend
 * of highest priority (plain `@tensorflow/tfjs` in Node registers only cpu).
 */
function backendInUse(): string | undefined {
  const active = tf.getBackend() as string | undefined;
  if (active) return active;
  const registered = Object.entries(tf.engine().registryFactory);
  registered.sort(([, a], [, b]) => b.priority - a.priority);
  return registered[0]?.[0];
}
