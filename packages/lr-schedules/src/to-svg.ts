import { sampleSchedule } from './sample.js';
import type { Schedule } from './schedule.js';
import { type LineChartOptions, svgLineChart } from './svg-line-chart.js';
import { nonNegativeInteger } from './validate.js';

export interface ToSvgOptions extends LineChartOptions {
  /** Plot steps start..end - 1. */
  end: number;
  /** Default 0. */
  start?: number;
  /** Distance between sampled steps; default: at most about 1000 points. */
  every?: number;
  /** Legend name (the legend is off unless `legend: true`). */
  name?: string;
}

/** A plot of the schedule over [start, end) with axes 'step' and 'learning rate' unless overridden. */
export function toSvg(schedule: Schedule, options: ToSvgOptions): string {
  const { end, start = 0, every, name, ...chart } = options;
  const span = nonNegativeInteger('toSvg', 'end', end) - nonNegativeInteger('toSvg', 'start', start);
  const samples = sampleSchedule(schedule, {
    start,
    end,
    every: every ?? Math.max(1, Math.ceil(span / 1000)),
  });
  return svgLineChart(
    [{ name: name ?? 'learning rate', x: samples.map((s) => s.step), y: samples.map((s) => s.lr) }],
    { xLabel: 'step', yLabel: 'learning rate', ...chart },
  );
}
