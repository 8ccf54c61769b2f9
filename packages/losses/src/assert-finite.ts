import type { Tensor } from '@tensorflow/tfjs-core';
import { describeTensor } from './describe.js';

/**
 * Throws a RangeError naming `name`, the tensor's shape and the first NaN or infinite element. Reads the
 * tensor back to the CPU (a sync point on GPU backends), so call it where a NaN must stop the run, e.g.
 * on a loss value you are about to log anyway.
 */
export function assertFinite(t: Tensor, name: string): void {
  const values = t.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      throw new RangeError(
        `${name} (${describeTensor(t)}) has a non-finite value ${v} at flat index ${i}; expected only finite values`,
      );
    }
  }
}
