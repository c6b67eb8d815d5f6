import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Whether `e` says that `pkg` itself is not installed (not that it failed while loading, nor that one of its
 * own files or dependencies is missing): Node's "Cannot find package 'pkg'" / "Cannot find module 'pkg'",
 * or a bundler's "Could not resolve "pkg"".
 */
export function isModuleNotFound(e: unknown, pkg: string): boolean {
  const message = (e as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return false;
  const name = pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`(Cannot find (package|module)|Could not resolve) ['"]${name}['"/]`).test(message);
}

/**
 * Where resolution starts, read only when a backend is set up (never at import time): this module's URL
 * in the ESM build, its file in the CJS build. A bundle has the bundle's own location, or none when an ESM
 * build was bundled into CJS (`import.meta` is empty there).
 */
function moduleAnchor(): string | undefined {
  const url: unknown = import.meta.url;
  if (typeof url === 'string' && url !== '') return url;
  return typeof __filename === 'string' ? __filename : undefined;
}

/**
 * The `dist/` directory of the installed `@tensorflow/tfjs-backend-wasm`, holding its `.wasm` binaries:
 * resolved from this module, then from the working directory (an app bundled into one file and run from its
 * project). Null when neither finds it; the caller then asks for `wasmPaths`.
 */
export function locateWasmBinaries(): string | null {
  const anchors = [moduleAnchor(), join(process.cwd(), 'package.json')];
  for (const anchor of anchors) {
    if (anchor === undefined) continue;
    try {
      const pkgJson = createRequire(anchor).resolve('@tensorflow/tfjs-backend-wasm/package.json');
      const dist = join(dirname(pkgJson), 'dist');
      if (existsSync(join(dist, 'tfjs-backend-wasm.wasm'))) return `${dist}/`;
    } catch {
      // not reachable from this anchor: try the next
    }
  }
  return null;
}

/**
 * tfjs-backend-wasm's emscripten glue reads the free variable `__dirname` when the backend starts. A CJS
 * module has it; an ESM bundle that inlined the glue does not, and the start fails with "__dirname is not
 * defined". The glue uses it only as a default for locating the binaries, which `setWasmPaths` already
 * overrides, so a global stand-in during the start is enough; it is removed afterwards.
 */
export async function withDirnameForWasmGlue<T>(binaries: string, start: () => Promise<T>): Promise<T> {
  const g = globalThis as { __dirname?: string };
  if ('__dirname' in g) return start();
  g.__dirname = binaries.replace(/\/$/, '');
  try {
    return await start();
  } finally {
    delete g.__dirname;
  }
}
