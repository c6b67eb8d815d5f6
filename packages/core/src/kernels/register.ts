/**
 * Registers HOP's kernels on the wasm backend (missing or slow training kernels).
 * Returns the names of the kernels registered. Filled in by the kernels work; idempotent.
 */
export function registerWasmKernels(): string[] {
  return [];
}
