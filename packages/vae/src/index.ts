export { VanillaVAE } from './model/vanilla';
export { GumbelVAE } from './model/gumbel';
export { VaeBase } from './model/base';
export type {
  EncodeOptions,
  EncodeOutput,
  GoalEncoder,
  LatentLosses,
  LossOptions,
  SaveOptions,
  VaeLosses,
} from './model/types';
export { buildEncoder, buildDecoder, resolveUpsamples, type NetworkSpec, type HeadSpec } from './model/networks';
export { gridBatch } from './model/input';
export { normalNoise, gumbelNoise, reparameterize, gumbelSoftmax, hardOneHot } from './model/sampling';
export { gaussianKl, categoricalUniformKl, sumSquaredError } from './loss/kl';
export {
  vanillaVaeConfigSchema,
  gumbelVaeConfigSchema,
  vaeConfigSchema,
  vaeTrainConfigSchema,
  parseConfig,
  type VanillaVaeConfig,
  type VanillaVaeConfigInput,
  type GumbelVaeConfig,
  type GumbelVaeConfigInput,
  type VaeConfig,
  type VaeTrainConfig,
  type VaeTrainConfigInput,
} from './config';
export {
  klScheduleSchema,
  temperatureScheduleSchema,
  type KlSchedule,
  type KlScheduleInput,
  type TemperatureSchedule,
  type TemperatureScheduleInput,
} from './schedule/schemas';
export { klWeight, temperatureAt, klSchedule, temperatureSchedule } from './schedule/schedules';
export { globalNorm, clipByGlobalNorm } from './train/clip';
export {
  trainStepClassic,
  ClassicVaeTrainer,
  type ClassicStepOptions,
  type ClassicStepResult,
  type ClassicTrainerStep,
} from './train/classic';
export { CHECKPOINT_KIND, readVaeCheckpoint, type CheckpointedVae, type LoadOptions } from './io/checkpoint';
export { loadVae } from './io/load';
export {
  SubgoalCVAE,
  SUBGOAL_CHECKPOINT_KIND,
  type SubgoalInspection,
  type SubgoalLatent,
  type SubgoalLosses,
  type SubgoalSampleOptions,
} from './subgoal/cvae';
export { sequenceIndex, type SubgoalBatch, type SequenceIndex } from './subgoal/batch';
export { subgoalCvaeConfigSchema, type SubgoalCvaeConfig, type SubgoalCvaeConfigInput } from './subgoal/config';
export { gaussianKlPerDim, categoricalKlPerSlot, freeBitsKl } from './subgoal/kl';
export { buildSubgoalNetworks, type SubgoalNetworks } from './subgoal/networks';
