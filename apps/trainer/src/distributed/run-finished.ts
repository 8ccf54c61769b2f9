import { join } from 'node:path';
import { finalEpoch, type PlannedRun } from '../ablate.js';
import { checkpointPosition } from '../checkpoint.js';
import type { EpochRecord } from '../run-folder.js';
import { RunFolder } from '../run-folder.js';

/**
 * The last epoch's record of a run that is finished: its metrics record its last epoch and its checkpoint
 * stands at the end of it. The trainer appends the record before it saves that checkpoint, so the record
 * alone could name a run whose trainer is still writing (or was killed before it wrote) its checkpoint.
 */
export function finishedRecord(run: PlannedRun, folder: string): EpochRecord | undefined {
  const last = finalEpoch(run, folder);
  if (!last) return undefined;
  const at = checkpointPosition(new RunFolder(join(folder, run.name)).checkpoint);
  return at?.epoch === run.config.epochs && at.batchInEpoch === 0 ? last : undefined;
}
