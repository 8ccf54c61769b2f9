import type { SkippedItem } from '@bot/data';
import type { EpochRecord, MetricsRecord } from './run-folder.js';

/** timm's summary.csv columns, in its order: one row per epoch, accuracies in percent. */
export const SUMMARY_COLUMNS = ['epoch', 'train_loss', 'eval_loss', 'eval_top1', 'eval_top5', 'lr'] as const;

const cell = (x: number) => (Number.isFinite(x) ? String(x) : '');

/** summary.csv from the metrics' epoch records. */
export function epochSummaryCsv(records: readonly MetricsRecord[]): string {
  const rows = records
    .filter((r): r is EpochRecord => r.type === 'epoch')
    .map((e) =>
      [e.epoch, cell(e.trainLoss), cell(e.valLoss), cell(100 * e.top1), cell(100 * e.top5), cell(e.lr)].join(
        ',',
      ),
    );
  return `${[SUMMARY_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

/** skipped.jsonl: one JSON line per unreadable image (path, reason, epoch and dataset index). */
export function skippedLines(items: readonly SkippedItem[]): string {
  return items
    .map((i) => `${JSON.stringify({ path: i.path, reason: i.reason, epoch: i.epoch, index: i.index })}\n`)
    .join('');
}
