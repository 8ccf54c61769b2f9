import type { Schedule } from './schedule.js';
import { atLeast, checkStep, finite, positive, positiveInteger } from './validate.js';

export interface CosineWarmRestartsOptions {
  /** Peak of the first cycle. */
  init: number;
  /** Length of the first cycle in steps (PyTorch's T_0). */
  period: number;
  /** Each cycle is this many times longer than the one before (T_mult; default 1; may be fractional). */
  periodMult?: number;
  /** Each cycle's peak is this many times the previous peak (default 1, as in PyTorch; timm's cycle_decay). */
  decay?: number;
  /** Rate at the bottom of every cycle (eta_min; default 0). */
  final?: number;
}

/**
 * SGDR (Loshchilov & Hutter): cosine decay from the cycle's peak to `final`, restarting at the peak at the
 * start of each cycle. With decay = 1 it equals PyTorch's CosineAnnealingWarmRestarts stepped once per step.
 */
export function cosineWarmRestarts(options: CosineWarmRestartsOptions): Schedule {
  const where = 'cosineWarmRestarts';
  const init = finite(where, 'init', options.init);
  const period = positiveInteger(where, 'period', options.period);
  const periodMult = atLeast(where, 'periodMult', options.periodMult ?? 1, 1);
  const decay = positive(where, 'decay', options.decay ?? 1);
  const final = finite(where, 'final', options.final ?? 0);
  return (step) => {
    checkStep(where, step);
    let cycle: number;
    let start: number;
    let length = period;
    if (periodMult === 1) {
      cycle = Math.floor(step / period);
      start = cycle * period;
    } else {
      // Cycle lengths grow geometrically, so this loop runs O(log step) times.
      cycle = 0;
      start = 0;
      while (step >= start + length) {
        start += length;
        length *= periodMult;
        cycle++;
      }
    }
    const peak = init * decay ** cycle;
    return final + ((peak - final) * (1 + Math.cos((Math.PI * (step - start)) / length))) / 2;
  };
}
