import type { PretrainConfig } from '../config/schemas';
import { resumeEpochs } from '../config/load';
import { writeReport } from '../report/build';
import type { RunStatus } from '../run/lifecycle';
import { pretrain, resumePretrain, type PretrainResult } from './train';

export type PretrainCommandInput =
  | { config: PretrainConfig }
  | { resume: string; flags: Record<string, unknown>; configFile?: string };

/** `hop pretrain`: trains, writes the report, prints where it is; returns the run's status (the CLI's exit code). */
export async function runPretrainCommand(input: PretrainCommandInput): Promise<RunStatus> {
  let result: PretrainResult;
  if ('resume' in input) {
    // The schema validates the epochs flag against the saved config (errors name --epochs).
    result = await resumePretrain(input.resume, {
      epochs: resumeEpochs(input.flags, input.configFile) as number | undefined,
      progress: input.flags.progress as PretrainConfig['progress'] | undefined,
    });
  } else {
    result = await pretrain(input.config);
  }
  if (result.status === 'interrupted') return result.status;
  const report = await writeReport(result.runDir);
  process.stdout.write(`report: ${report}\n`);
  return result.status;
}
