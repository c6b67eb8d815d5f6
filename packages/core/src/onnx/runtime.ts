import type * as Ort from 'onnxruntime-node';
import { isModuleNotFound } from '../backend/wasm-paths';
import { HopError } from '../errors';

/** Which library runs network inference: ONNX Runtime (native kernels) or tfjs (the training library). */
export type InferenceEngineName = 'onnx' | 'tfjs';
/** `auto` = ONNX Runtime when `onnxruntime-node` is installed and loads, else tfjs. */
export type InferenceEngineChoice = 'auto' | InferenceEngineName;
/** ONNX Runtime execution providers we configure: `cuda` needs ORT's CUDA libraries (see the core README). */
export type ExecutionProvider = 'cpu' | 'cuda';

export interface InferenceOptions {
  /** Default: `HOP_INFERENCE` (auto | onnx | tfjs), else `auto`. Forcing `onnx` when it is not usable is an error. */
  engine?: InferenceEngineChoice;
  /** ONNX Runtime intra-op threads per session. Default: `HOP_ONNX_THREADS`, else 1 (one per worker process). */
  threads?: number;
  /** Default: `HOP_ONNX_PROVIDER`, else `cpu`. */
  executionProvider?: ExecutionProvider;
}

export interface InferenceEngineInfo {
  engine: InferenceEngineName;
  /** Why this engine: what was asked for and what was found. */
  reason: string;
  /** ONNX Runtime settings (engine `onnx` only). */
  threads: number;
  executionProvider: ExecutionProvider;
  /** onnxruntime-node's version when it loaded. */
  version?: string;
}

/** The onnxruntime-node module (internal: the public API never exposes its types, so it stays optional). */
type OrtModule = typeof Ort;

const ORT_PACKAGE = 'onnxruntime-node';
let ortLoad: Promise<{ ort: OrtModule } | { error: string }> | null = null;

/** Loads onnxruntime-node once; `{ error }` says why it is not usable (not installed, or failed to load). */
export function loadOnnxRuntime(): Promise<{ ort: OrtModule } | { error: string }> {
  ortLoad ??= (async () => {
    try {
      // A name, not a literal: a bundler must leave this optional native package to run-time resolution.
      const mod = (await import(/* @vite-ignore */ ORT_PACKAGE)) as OrtModule & { default?: OrtModule };
      // CJS module: the named exports or, depending on the loader, its default export
      const ort = typeof mod.InferenceSession === 'function' ? mod : mod.default;
      if (!ort || typeof ort.InferenceSession !== 'function') return { error: 'onnxruntime-node loaded without InferenceSession' };
      return { ort };
    } catch (e) {
      if (isModuleNotFound(e, 'onnxruntime-node')) return { error: 'onnxruntime-node is not installed' };
      return { error: `onnxruntime-node failed to load (${(e as Error).message.split('\n')[0]})` };
    }
  })();
  return ortLoad;
}

/** Whether onnxruntime-node is installed and loads here (its version), or why not. */
export async function probeOnnxRuntime(): Promise<{ available: true; version: string } | { available: false; reason: string }> {
  const loaded = await loadOnnxRuntime();
  if ('error' in loaded) return { available: false, reason: loaded.error };
  return { available: true, version: loaded.ort.env.versions?.node ?? loaded.ort.env.versions?.common ?? 'unknown' };
}

function parseChoice(v: string | undefined, from: string): InferenceEngineChoice | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'auto' || v === 'onnx' || v === 'tfjs') return v;
  throw new HopError('E_INFERENCE', `${from}=${v} is not an inference engine; use auto, onnx or tfjs`);
}

function parseThreads(v: number | string | undefined, from: string): number {
  if (v === undefined || v === '') return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new HopError('E_INFERENCE', `${from} is ${v}; expected a positive integer`);
  return n;
}

function parseProvider(v: string | undefined, from: string): ExecutionProvider {
  if (v === undefined || v === '' || v === 'cpu') return 'cpu';
  if (v === 'cuda') return 'cuda';
  throw new HopError('E_INFERENCE', `${from}=${v} is not an execution provider; use cpu or cuda`);
}

/**
 * Chooses the inference engine: `onnx` when asked (or `auto`) and onnxruntime-node loads; tfjs when asked,
 * or as the fallback of `auto`, with the reason in `reason`. Does not create any session.
 */
export async function chooseInferenceEngine(options: InferenceOptions = {}): Promise<InferenceEngineInfo> {
  lastChoice = await choose(options);
  return lastChoice;
}

let lastChoice: InferenceEngineInfo | null = null;

/** What `chooseInferenceEngine` chose last, or null before it ran (recorded in a run's environment). */
export function inferenceInfo(): InferenceEngineInfo | null {
  return lastChoice;
}

async function choose(options: InferenceOptions): Promise<InferenceEngineInfo> {
  const fromEnv = parseChoice(process.env.HOP_INFERENCE, 'HOP_INFERENCE');
  const choice = options.engine ?? fromEnv ?? 'auto';
  const why = options.engine ? `engine '${options.engine}' requested` : fromEnv ? `HOP_INFERENCE=${fromEnv}` : 'auto';
  const threads =
    options.threads !== undefined ? parseThreads(options.threads, 'threads') : parseThreads(process.env.HOP_ONNX_THREADS, 'HOP_ONNX_THREADS');
  const executionProvider = options.executionProvider
    ? parseProvider(options.executionProvider, 'executionProvider')
    : parseProvider(process.env.HOP_ONNX_PROVIDER, 'HOP_ONNX_PROVIDER');
  if (choice === 'tfjs') return { engine: 'tfjs', reason: `${why}: tfjs`, threads, executionProvider };
  const loaded = await loadOnnxRuntime();
  if ('error' in loaded) {
    if (choice === 'onnx')
      throw new HopError(
        'E_INFERENCE',
        `${why} but ${loaded.error}; run \`npm install onnxruntime-node\` or use HOP_INFERENCE=tfjs`,
      );
    return { engine: 'tfjs', reason: `${why}: ${loaded.error}, falling back to tfjs`, threads, executionProvider };
  }
  const version = loaded.ort.env.versions?.node ?? loaded.ort.env.versions?.common;
  return {
    engine: 'onnx',
    reason: `${why}: onnxruntime-node ${version ?? ''} available`.replace(/ {2}/g, ' '),
    threads,
    executionProvider,
    version,
  };
}

/** One line for logs and CLI banners, like `describeBackend`. */
export function describeInference(info: InferenceEngineInfo): string {
  const detail = info.engine === 'onnx' ? ` (${info.executionProvider}, ${info.threads} thread${info.threads > 1 ? 's' : ''})` : '';
  return `inference ${info.engine === 'onnx' ? 'ONNX Runtime' : 'tfjs'}${detail} — ${info.reason}`;
}

/** A float32 input of `OnnxSession.run`: row-major data and its dimensions. */
export interface OnnxFeed {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * One ONNX Runtime inference session over a serialized model, float32 in and out. Sessions are
 * immutable: new weights mean a new session (`OnnxSession.create` with the re-exported model).
 */
export class OnnxSession {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
  ) {}

  static async create(model: Uint8Array, info: Pick<InferenceEngineInfo, 'threads' | 'executionProvider'>): Promise<OnnxSession> {
    const loaded = await loadOnnxRuntime();
    if ('error' in loaded) throw new HopError('E_INFERENCE', `cannot create an ONNX session: ${loaded.error}`);
    const { ort } = loaded;
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: info.executionProvider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
        intraOpNumThreads: info.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return new OnnxSession(ort, session);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      throw new HopError(
        'E_INFERENCE',
        info.executionProvider === 'cuda'
          ? `ONNX Runtime could not create a CUDA session (${msg}); install ORT's CUDA 12 libraries with ` +
              '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install`, or use the cpu provider'
          : `ONNX Runtime could not create a session (${msg})`,
        { cause: e },
      );
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the graph; returns the requested outputs (default: all) as fresh Float32Arrays. */
  async run(feeds: Record<string, OnnxFeed>, outputs?: readonly string[]): Promise<Record<string, Float32Array>> {
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new this.ort.Tensor('float32', f.data, [...f.dims]);
    const result = outputs ? await this.session.run(ortFeeds, [...outputs]) : await this.session.run(ortFeeds);
    const out: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(result)) out[name] = t.data as Float32Array;
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
