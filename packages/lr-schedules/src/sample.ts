import type { Schedule } from './schedule.js';
import { fail, nonNegativeInteger, positiveInteger } from './validate.js';

export interface Sample {
  step: number;
  lr: number;
}

export interface SampleOptions {
  /** First step past the range (exclusive). */
  end: number;
  /** Default 0. */
  start?: number;
  /** Distance between samples (default 1). The last step, end - 1, is always included. */
  every?: number;
}

/** The schedule's values at start, start + every, ..., and end - 1. A number means `{ end: n }`. */
export function sampleSchedule(schedule: Schedule, options: SampleOptions | number): Sample[] {
  const where = 'sampleSchedule';
  if (typeof schedule !== 'function') fail(where, 'schedule', schedule, 'a function (step) => number');
  const opts = typeof options === 'number' ? { end: options } : options;
  const start = nonNegativeInteger(where, 'start', opts.start ?? 0);
  const end = nonNegativeInteger(where, 'end', opts.end);
  const every = positiveInteger(where, 'every', opts.every ?? 1);
  if (end <= start) fail(where, 'end', end, `> start (${start})`);
  const samples: Sample[] = [];
  for (let step = start; step < end; step += every) samples.push({ step, lr: schedule(step) });
  if (samples[samples.length - 1]!.step !== end - 1) samples.push({ step: end - 1, lr: schedule(end - 1) });
  return samples;
}

function samplesOf(
  input: Schedule | readonly Sample[],
  options: SampleOptions | number | undefined,
): readonly Sample[] {
  if (typeof input === 'function') {
    if (options === undefined) fail('toCsv/toJson', 'options', options, '{ end } when given a schedule');
    return sampleSchedule(input, options);
  }
  return input;
}

/** `step,lr` CSV (header line, one row per sample, values with full round-trip precision). */
export function toCsv(input: Schedule | readonly Sample[], options?: SampleOptions | number): string {
  const rows = samplesOf(input, options).map((s) => `${s.step},${s.lr}`);
  return `step,lr\n${rows.join('\n')}\n`;
}

/** JSON array of `{ step, lr }`. */
export function toJson(input: Schedule | readonly Sample[], options?: SampleOptions | number): string {
  return JSON.stringify(samplesOf(input, options));
}
