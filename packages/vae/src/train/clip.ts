import { clipByGlobalNorm as coreClipByGlobalNorm, globalNorm as coreGlobalNorm } from '@hop/core';

/** @deprecated Import `globalNorm` from `@hop/core`; this re-export is removed in 0.2.0. */
export const globalNorm = coreGlobalNorm;

/** @deprecated Import `clipByGlobalNorm` from `@hop/core`; this re-export is removed in 0.2.0. */
export const clipByGlobalNorm = coreClipByGlobalNorm;
