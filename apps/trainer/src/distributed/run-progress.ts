import { statSync } from 'node:fs';
import { readBytes } from '../file-bytes.js';
import type { MetricsRecord } from '../run-folder.js';

/** What a worker reports to a run's job (job.updateProgress) and `--status` shows. */
export interface RunProgress {
  readonly worker: string;
  /** The epoch in progress (1-based), or the last one finished; 0 before the first step. */
  readonly epoch: number;
  readonly epochs: number;
  /** Optimizer steps done. */
  readonly step: number;
}

/** The last whole line of metrics.jsonl, read from its end (the file grows by a line a step). */
function lastRecord(path: string): MetricsRecord | null {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return null;
  }
  const tail = readBytes(path, Math.max(0, size - 8192), Math.min(size, 8192));
  const lines = (tail?.toString('utf8') ?? '').split('\n').filter((l) => l.trim() !== '');
  for (const line of lines.reverse()) {
    try {
      return JSON.parse(line) as MetricsRecord;
    } catch {
      // a line torn by a kill, or cut by the window
    }
  }
  return null;
}

export function runProgress(metrics: string, epochs: number, worker: string): RunProgress {
  const last = lastRecord(metrics);
  if (!last) return { worker, epoch: 0, epochs, step: 0 };
  return { worker, epoch: last.type === 'epoch' ? last.epoch : last.epoch + 1, epochs, step: last.step };
}
