import { fileURLToPath } from "node:url";
import type { EvalTask, EvalTaskResult } from "./task";
import evalTask from "./worker";

/** Runs evaluation tasks on `workers` threads (1: in this thread, one after another). */
export interface EvalPool {
  run(task: EvalTask): Promise<EvalTaskResult>;
  readonly describe: string;
  dispose(): Promise<void>;
}

export async function createEvalPool(workers: number): Promise<EvalPool> {
  if (workers <= 1) {
    // One after another, as a pool of one would: the results do not depend on the interleaving anyway.
    let chain: Promise<unknown> = Promise.resolve();
    return {
      describe: "in this thread (--workers 1)",
      run: (task) => {
        const next = chain.then(() => evalTask(task));
        chain = next.catch(() => {});
        return next;
      },
      dispose: async () => {},
    };
  }
  const { Piscina } = await import("piscina");
  const self = fileURLToPath(import.meta.url);
  // From source (tests) the worker is ./worker.ts; the build bundles it as dist/eval-worker.js.
  const filename = self.endsWith(".ts")
    ? new URL("./worker.ts", import.meta.url).href
    : new URL("./eval-worker.js", import.meta.url).href;
  const pool = new Piscina({
    filename,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
  });
  return {
    describe: `${workers} worker threads`,
    run: (task) => pool.run(task) as Promise<EvalTaskResult>,
    dispose: () => pool.destroy(),
  };
}
