import { svgLineChart } from '@bot/lr-schedules';
import type { EvalRecord, StepRecord } from './session.js';

/** Exponential moving average of a series (the first value seeds it). */
function ema(values: readonly number[], beta = 0.9): number[] {
  const out: number[] = [];
  let m = Number.NaN;
  for (const v of values) {
    m = Number.isNaN(m) ? v : beta * m + (1 - beta) * v;
    out.push(m);
  }
  return out;
}

/** Loss per step (raw and smoothed). */
export function lossSvg(steps: readonly StepRecord[]): string {
  const x = steps.map((s) => s.step);
  const loss = steps.map((s) => s.loss);
  return svgLineChart(
    [
      { name: 'loss', x, y: loss, color: '#aec7e8' },
      { name: 'smoothed', x, y: ema(loss), color: '#1f77b4' },
    ],
    {
      width: 460,
      height: 190,
      title: 'training loss (dark: smoothed)',
      xLabel: 'step',
      legend: false,
    },
  );
}

/** Training-batch accuracy (smoothed) and test accuracy at each evaluation. */
export function accuracySvg(steps: readonly StepRecord[], evals: readonly EvalRecord[]): string {
  const series = [
    {
      name: 'train batch (smoothed)',
      x: steps.map((s) => s.step),
      y: ema(steps.map((s) => s.trainAccuracy)),
      color: '#2ca02c',
    },
  ];
  if (evals.length > 0) {
    // one evaluation is drawn as a short level segment ending at its step, so that it shows
    const x = evals.map((e) => e.step);
    const y = evals.map((e) => e.testAccuracy);
    if (evals.length === 1) {
      x.unshift(Math.max(0, (x[0] as number) - Math.max(1, (x[0] as number) / 20)));
      y.unshift(y[0] as number);
    }
    series.push({ name: 'test', x, y, color: '#d62728' });
  }
  return svgLineChart(series, {
    width: 460,
    height: 190,
    title: 'accuracy (green: train batches, red: test)',
    xLabel: 'step',
    yDomain: [0, 1],
    legend: false,
  });
}
