export * from './base';
export {
  initBackend,
  backendInfo,
  describeBackend,
  type BackendName,
  type BackendInfo,
  type InitBackendOptions,
} from './backend/init';
export { warnIfBackendNotInitialised } from './backend/warn';
export { globalNorm, clipByGlobalNorm, type GradientSet } from './optim/clip';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic';
export { writeNpy, readNpy, NpyWriter, NpyReader, type NpyArray, type NpyDType, type NpyData } from './io/npy';
export {
  saveCheckpoint,
  readCheckpointMeta,
  loadCheckpoint,
  loadCheckpointModel,
  weightKey,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointMeta,
  type SaveCheckpointInput,
  type LoadCheckpointTarget,
} from './io/checkpoint';
export * from './metrics/index';
export { registerWasmKernels, unregisterWasmKernels, WASM_KERNEL_NAMES, type WasmKernelOptions } from './kernels/register';
export { registerCpuKernels, unregisterCpuKernels, CPU_KERNEL_NAMES, type CpuKernelOptions } from './kernels/register-cpu';
export { OnnxGraph, ONNX_IR_VERSION, ONNX_OPSET, type OnnxAttribute, type OnnxValueInfo } from './onnx/graph';
export { convertLayers, toNchw, toNhwc, activation as onnxActivation, EXPORTABLE_LAYERS, type OnnxValue } from './onnx/layers';
export {
  chooseInferenceEngine,
  describeInference,
  inferenceInfo,
  probeOnnxRuntime,
  OnnxSession,
  type InferenceEngineName,
  type InferenceEngineChoice,
  type InferenceEngineInfo,
  type InferenceOptions,
  type ExecutionProvider,
  type OnnxFeed,
} from './onnx/runtime';
