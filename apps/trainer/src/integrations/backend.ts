import { type BackendChoice, type BackendName, selectBackend } from '@bot/backend';
import type { TrainConfig } from '../config.js';
import { ConfigError } from '../errors.js';

export type { BackendChoice };

/** Activates the config's backend; 'auto' lets @bot/backend pick (and honours BOT_BACKEND). */
export async function chooseBackend(backend: TrainConfig['backend']): Promise<BackendChoice> {
  try {
    return await selectBackend(backend === 'auto' ? {} : { prefer: backend as BackendName });
  } catch (error) {
    if (error instanceof RangeError) throw new ConfigError(`backend: ${error.message}`);
    throw error;
  }
}
