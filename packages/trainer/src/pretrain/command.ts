import { HopError } from '@hop/core';
import type { PretrainConfig } from '../config/schemas';
import { EXIT } from '../cli/exit';
import { resumeEpochs } from '../config/load';
import { writeReport } from '../report/build';
import { pretrain, resumePretrain, type PretrainResult } from './train';

export type PretrainCommandInput =
  | { config: PretrainConfig }
  | { resume: string; flags: Record<string, unknown>; configFile?: string };

/** `hop pretrain`: trains, writes the report, prints where it is; exit 130 after a Ctrl-C checkpoint. */
export async function runPretrainCommand(input: PretrainCommandInput): Promise<number> {
  let result: PretrainResult;
  if ('resume' in input) {
    const epochs = resumeEpochs(input.flags, input.configFile);
    if (epochs !== undefined && !(typeof epochs === 'number' && Number.isInteger(epochs) && epochs > 0))
      throw new HopError('E_CONFIG', `pretrain config: "epochs" = ${JSON.stringify(epochs)} (from --epochs) is invalid: expected a positive integer`);
    result = await resumePretrain(input.resume, { epochs: epochs as number | undefined });
  } else {
    result = await pretrain(input.config);
  }
  if (result.status === 'interrupted') return EXIT.interrupted;
  const report = await writeReport(result.runDir);
  process.stdout.write(`report: ${report}\n`);
  return EXIT.ok;
}
