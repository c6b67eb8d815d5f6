import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { backendInfo, type BackendInfo } from '../backend/init';
import { inferenceInfo, type InferenceEngineInfo } from '../onnx/runtime';

/** What a run ran on: enough to tell why two runs' timings or numbers differ. */
export interface RunEnvironment {
  capturedAt: string;
  node: string;
  platform: string;
  arch: string;
  osRelease: string;
  cpuCount: number;
  cpuModel: string;
  totalMemoryMiB: number;
  tfjs: string;
  /** What `initBackend` chose, or null if it has not run. */
  backend: BackendInfo | null;
  /** What `chooseInferenceEngine` chose (ONNX Runtime or tfjs for network inference), or null if it has not run. */
  inference: InferenceEngineInfo | null;
  /** The git commit of the working directory, if it is a git checkout and git is installed. */
  git: { commit: string; dirty: boolean } | null;
  argv: string[];
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

export function captureEnvironment(cwd = process.cwd()): RunEnvironment {
  const cpuList = cpus();
  const commit = git(['rev-parse', 'HEAD'], cwd);
  const status = commit ? git(['status', '--porcelain', '--untracked-files=no'], cwd) : null;
  return {
    capturedAt: new Date().toISOString(),
    node: process.version,
    platform: platform(),
    arch: arch(),
    osRelease: release(),
    cpuCount: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
    tfjs: tf.version.tfjs,
    backend: backendInfo(),
    inference: inferenceInfo(),
    git: commit ? { commit, dirty: status !== null && status !== '' } : null,
    argv: process.argv.slice(1),
  };
}
