import type { TrainConfig } from '../config.js';

// FALLBACK until @bot/lr-schedules lands: the same closed forms, to be replaced by the package.
export type Schedule = (step: number) => number;

/** The run's learning rate per optimizer step: linear warmup, then step decay or cosine (paper section 3/5). */
export function buildSchedule(config: TrainConfig, stepsPerEpoch: number): Schedule {
  const warmup = Math.round(config.warmupEpochs * stepsPerEpoch);
  const total = config.epochs * stepsPerEpoch;
  const milestones = config.milestones.map((e) => e * stepsPerEpoch);
  const peak = config.lr;
  return (step: number) => {
    if (step < warmup) return (peak * (step + 1)) / warmup;
    if (config.schedule === 'cosine') {
      const t = step - warmup;
      const T = Math.max(1, total - warmup);
      return 0.5 * (1 + Math.cos((Math.PI * Math.min(t, T)) / T)) * peak;
    }
    let lr = peak;
    for (const m of milestones) if (step >= m) lr *= config.stepGamma;
    return lr;
  };
}

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export function lineChartSvg(series: readonly Series[], options: { title: string; xLabel: string; yLabel: string; width?: number; height?: number }): string {
  const width = options.width ?? 640;
  const height = options.height ?? 320;
  const m = { l: 60, r: 20, t: 30, b: 40 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const x0 = Math.min(...xs, 0);
  const x1 = Math.max(...xs, 1);
  const y0 = Math.min(...ys, 0);
  const y1 = Math.max(...ys, 1e-9);
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (width - m.l - m.r);
  const sy = (y: number) => height - m.b - ((y - y0) / (y1 - y0 || 1)) * (height - m.t - m.b);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'];
  const paths = series
    .map((s, i) => {
      const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${colors[i % colors.length]}" stroke-width="1.5"/><text x="${width - m.r - 120}" y="${m.t + 14 * i}" fill="${colors[i % colors.length]}" font-size="12">${s.name}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/><text x="${m.l}" y="18" font-size="14">${options.title}</text><line x1="${m.l}" y1="${height - m.b}" x2="${width - m.r}" y2="${height - m.b}" stroke="#888"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${height - m.b}" stroke="#888"/><text x="${m.l - 4}" y="${m.t + 4}" font-size="11" text-anchor="end">${y1.toPrecision(3)}</text><text x="${m.l - 4}" y="${height - m.b}" font-size="11" text-anchor="end">${y0.toPrecision(3)}</text><text x="${m.l}" y="${height - m.b + 14}" font-size="11">${x0}</text><text x="${width - m.r}" y="${height - m.b + 14}" font-size="11" text-anchor="end">${x1}</text><text x="${(width + m.l) / 2}" y="${height - 6}" font-size="12" text-anchor="middle">${options.xLabel}</text>${paths}</svg>`;
}
