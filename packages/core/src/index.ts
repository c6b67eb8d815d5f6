export type * from './contracts/index';
export { HopError, assertShape } from './errors';
export { Rng, deriveSeed } from './rng/rng';
export {
  initBackend,
  backendInfo,
  describeBackend,
  type BackendName,
  type BackendInfo,
  type InitBackendOptions,
} from './backend/init';
