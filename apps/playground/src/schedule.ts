import { join, multiStep, type Schedule, svgLineChart, warmup, warmupCosine } from '@bot/lr-schedules';
import type { Settings } from './settings.js';

export interface Plan {
  stepsPerEpoch: number;
  totalSteps: number;
  warmupSteps: number;
  schedule: Schedule;
}

/**
 * The learning rate per step: the paper's linear warmup, then cosine to 0 or step decay (/10 at half and
 * three quarters of the run), from @bot/lr-schedules.
 */
export function planSchedule(settings: Settings, trainImages: number): Plan {
  const stepsPerEpoch = Math.max(1, Math.floor(trainImages / settings.batchSize));
  const totalSteps = Math.max(2, Math.round(settings.epochs * stepsPerEpoch));
  const warmupSteps = Math.min(Math.round(settings.warmupEpochs * stepsPerEpoch), totalSteps - 1);
  const peak = settings.lr;
  let schedule: Schedule;
  if (settings.schedule === 'cosine') {
    schedule = warmupCosine({ peak, warmupSteps, totalSteps });
  } else {
    const milestones = [Math.round(totalSteps * 0.5), Math.round(totalSteps * 0.75)]
      .map((m) => m - warmupSteps)
      .filter((m, i, all) => m > 0 && (i === 0 || m > (all[i - 1] as number)));
    const after = multiStep({ init: peak, milestones, gamma: 0.1 });
    schedule = warmupSteps === 0 ? after : join([warmup(peak, warmupSteps), after], [warmupSteps]);
  }
  return { stepsPerEpoch, totalSteps, warmupSteps, schedule };
}

/** The schedule as an SVG line chart, with the current step marked when training. */
export function scheduleSvg(plan: Plan, currentStep: number | null = null): string {
  const n = Math.min(plan.totalSteps, 400);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const step = Math.round((i * (plan.totalSteps - 1)) / Math.max(1, n - 1));
    x.push(step);
    y.push(plan.schedule(step));
  }
  const series = [{ name: 'learning rate', x, y, color: '#1f77b4' }];
  if (currentStep !== null) {
    const s = Math.min(currentStep, plan.totalSteps - 1);
    series.push({ name: 'now', x: [s, s], y: [0, plan.schedule(s)], color: '#d62728' });
  }
  return svgLineChart(series, {
    width: 460,
    height: 190,
    title: `learning rate: ${plan.totalSteps} steps, ${plan.stepsPerEpoch} per epoch`,
    xLabel: 'step',
    yLabel: 'lr',
    legend: false,
  });
}
