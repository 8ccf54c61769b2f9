import { describe, expect, it } from 'vitest';
import { runStatusOf } from '../src/distributed/status.js';

const job = (fields: Partial<Parameters<typeof runStatusOf>[0]>) => ({
  returnvalue: null,
  progress: {},
  processedBy: undefined,
  failedReason: '',
  attemptsMade: 0,
  ...fields,
});

describe('runStatusOf', () => {
  it('reads a finished run from its return value', () => {
    const status = runStatusOf(job({ returnvalue: { top1: 0.5, top5: 0.875 } }), 'completed', 'A-s0');
    expect(status).toMatchObject({ run: 'A-s0', state: 'finished', detail: 'top-1 50.00%, top-5 87.50%' });
  });

  it('calls a completed job without its return value yet "finishing", instead of failing', () => {
    // A job read a moment before it completed, its state read after: CI once saw this throw.
    expect(runStatusOf(job({}), 'completed', 'A-s0')).toEqual({
      run: 'A-s0',
      state: 'running',
      detail: 'finishing',
    });
  });

  it('names the worker and the epoch of a running job, and the reason of a failed one', () => {
    const progress = { worker: 'host-1', epoch: 2, epochs: 8, step: 40 };
    expect(runStatusOf(job({ progress }), 'active', 'A-s0').detail).toBe('on host-1, epoch 2/8, step 40');
    const failed = runStatusOf(
      job({ failedReason: 'out of memory\nstack', attemptsMade: 3 }),
      'failed',
      'A-s0',
    );
    expect(failed).toMatchObject({ state: 'failed', detail: 'out of memory (after 3 attempts)' });
  });
});
