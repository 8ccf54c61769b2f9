export { type CheckpointContents, readCheckpoint, type TrainingState } from './checkpoint.js';
export { FIELD_HELP, type TrainConfig, trainConfigSchema } from './config.js';
export { ConfigError, TrainerError } from './errors.js';
export { evaluateCheckpoint } from './eval-command.js';
export { folderHandler, folderLoader } from './export.js';
export { main } from './main.js';
export { findPreset, PRESETS, type Preset } from './presets.js';
export { DEFAULT_PRESET, resolveConfig } from './resolve.js';
export { type TrainOptions, type TrainResult, train } from './train.js';
