export { type AblateOptions, type AblateResult, ablate, type PlannedRun, planStudy } from './ablate.js';
export { type CheckpointContents, readCheckpoint, type TrainingState } from './checkpoint.js';
export { FIELD_HELP, FIELDS, type TrainConfig, trainConfigSchema } from './config.js';
export {
  type QueueAblateOptions,
  type QueueAblateResult,
  queueAblate,
} from './distributed/queue-ablate.js';
export { type QueueWorkerOptions, runWorker } from './distributed/worker.js';
export { ConfigError, TrainerError } from './errors.js';
export { evaluateCheckpoint } from './eval-command.js';
export { folderHandler, folderLoader } from './export.js';
export { type InferenceModel, loadForInference } from './inference.js';
export { main } from './main.js';
export { type Prediction, predictImages } from './predict.js';
export { findPreset, PRESETS, type Preset } from './presets.js';
export { DEFAULT_PRESET, resolveConfig } from './resolve.js';
export { findStudy, STUDIES, type Study, type StudyArm, type StudyScale, scalePreset } from './studies.js';
export { type StudyRow, type StudyTable, studyMarkdown } from './study-table.js';
export { type TrainOptions, type TrainResult, train } from './train.js';
