import type { StudyTable } from '../src/study-table.js';

/** A refinements study shrunk to seconds: 16 px synthetic shapes, a 4-channel ResNet-18-D, 2 short epochs. */
export const tinyOverrides = {
  data: 'synthetic',
  syntheticClasses: 3,
  syntheticPerClass: 8,
  syntheticSize: 16,
  inputSize: 16,
  width: 0.0625,
  epochs: 2,
  batchSize: 8,
  backend: 'wasm',
  logEvery: 1,
} as const;

/** The same as command-line flags (--synthetic-classes 3 ...). */
export const tinyFlags = Object.entries(tinyOverrides).flatMap(([key, value]) => [
  `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  String(value),
]);

/** The seed-determined part of a table: every run's top-1 and top-5. */
export function accuracies(table: StudyTable): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const row of table.rows) for (const r of row.runs) out[r.name] = [r.top1, r.top5];
  if (table.teacher?.result)
    out[table.teacher.result.name] = [table.teacher.result.top1, table.teacher.result.top5];
  return out;
}
