import * as tf from '@tensorflow/tfjs';

// FALLBACK until @bot/backend lands: cpu only.
export interface BackendChoice {
  name: 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
  reason: string;
  skipped: { name: string; why: string }[];
}

export async function chooseBackend(prefer: string): Promise<BackendChoice> {
  await tf.setBackend('cpu');
  return { name: 'cpu', reason: `fallback (asked for ${prefer})`, skipped: [] };
}
