import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from './atomic-write.js';
import type { TrainConfig } from './config.js';
import { svgLineChart } from './integrations/schedule.js';
import type { EpochRecord, RunFolder, StepRecord } from './run-folder.js';

export interface ReportSummary {
  readonly backend: string;
  /** How the steps ran: '1 (this thread, wasm)' or 'N worker threads on wasm'. */
  readonly replicas: string;
  readonly data: string;
  readonly params: number;
  readonly macs: number;
  readonly finished: boolean;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** A number for the page; metrics.jsonl stores NaN as null, shown as '-'. */
function fixed(x: number | null | undefined, digits: number, scale = 1): string {
  return typeof x === 'number' && Number.isFinite(x) ? (scale * x).toFixed(digits) : '-';
}

function pct(x: number | null | undefined): string {
  return fixed(x, 2, 100);
}

/** A series with at most this many points gets a dot on each, so that sparse series show their points. */
export const SPARSE_POINTS = 40;

function series(name: string, x: number[], y: number[]) {
  return { name, x, y, markers: x.length <= SPARSE_POINTS };
}

/** The three charts of a run as standalone SVG strings. */
export function curves(steps: readonly StepRecord[], epochs: readonly EpochRecord[], stepsPerEpoch: number) {
  const stepX = steps.map((s) => s.step / stepsPerEpoch);
  const epochX = epochs.map((e) => e.epoch);
  const size = { width: 640, height: 320 };
  const loss = svgLineChart(
    [
      series(
        'train loss',
        stepX,
        steps.map((s) => s.loss),
      ),
      series(
        'val loss',
        epochX,
        epochs.map((e) => e.valLoss),
      ),
    ],
    { ...size, title: 'Loss', xLabel: 'epoch', yLabel: 'loss' },
  );
  const accuracy = svgLineChart(
    [
      series(
        'top-1 %',
        epochX,
        epochs.map((e) => 100 * e.top1),
      ),
      series(
        'top-5 %',
        epochX,
        epochs.map((e) => 100 * e.top5),
      ),
    ],
    { ...size, title: 'Validation accuracy', xLabel: 'epoch', yLabel: '%', legend: true },
  );
  const lr = svgLineChart(
    [
      series(
        'learning rate',
        stepX,
        steps.map((s) => s.lr),
      ),
    ],
    {
      ...size,
      title: 'Learning rate',
      xLabel: 'epoch',
      yLabel: 'lr',
    },
  );
  return { loss, accuracy, lr };
}

/**
 * Writes report/index.html (self-contained: inline SVG, no scripts, no external files) and
 * report/{loss,accuracy,lr}.svg and report/curves.png. Returns the HTML path.
 */
export async function writeReport(
  run: RunFolder,
  config: TrainConfig,
  summary: ReportSummary,
  stepsPerEpoch: number,
): Promise<string> {
  const records = run.readMetrics();
  const steps = records.filter((r): r is StepRecord => r.type === 'step');
  const epochs = records.filter((r): r is EpochRecord => r.type === 'epoch');
  const charts = curves(steps, epochs, stepsPerEpoch);
  await writeFileAtomic(run.report, reportHtml(config, summary, epochs, charts));
  for (const [name, svg] of Object.entries(charts))
    await writeFileAtomic(join(run.reportDir, `${name}.svg`), svg);
  const stacked = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="960">${[
    charts.loss,
    charts.accuracy,
    charts.lr,
  ]
    .map((svg, i) => svg.replace('<svg ', `<svg y="${320 * i}" `))
    .join('')}</svg>`;
  const png = await sharp(Buffer.from(stacked)).png().toBuffer();
  await writeFileAtomic(join(run.reportDir, 'curves.png'), png);
  return run.report;
}

/** The settings table: what the run trained, where (backend, replicas) and with which tricks. */
function settingsRows(config: TrainConfig, summary: ReportSummary): [string, string][] {
  const tricks = [
    config.zeroGamma && 'zero gamma',
    config.labelSmoothing > 0 && `label smoothing ${config.labelSmoothing} (${config.smoothingForm})`,
    config.mixupAlpha > 0 && `mixup ${config.mixupAlpha}`,
    config.cutmixAlpha > 0 && `cutmix ${config.cutmixAlpha}`,
    config.teacher && `distillation T=${config.distillTemperature}`,
    config.fp16 && 'FP16',
    config.clipGrad !== null && `gradient clipping ${config.clipGrad}`,
  ];
  return [
    ['preset', config.preset],
    ['data', summary.data],
    [
      'model',
      `ResNet-${config.depth}-${config.variant}, width ${config.width}, ${config.stem} stem, ${config.inputSize} px`,
    ],
    ['parameters', summary.params.toLocaleString('en-US')],
    ['MACs / image', Number.isFinite(summary.macs) ? `${(summary.macs / 1e6).toFixed(1)} M` : '-'],
    ['backend', summary.backend],
    ['replicas', summary.replicas],
    ['batch', `${config.batchSize} (${config.accumulate} micro-batch${config.accumulate > 1 ? 'es' : ''})`],
    [
      'optimizer',
      `${config.nesterov ? 'NAG' : 'SGD'} lr ${config.lr}, momentum ${config.momentum}, wd ${config.weightDecay}${config.noBiasDecay ? ', no bias decay' : ''}`,
    ],
    [
      'schedule',
      `${config.warmupEpochs ? `${config.warmupEpochs}-epoch warmup, ` : ''}${config.schedule === 'cosine' ? 'cosine' : `step x${config.stepGamma} at ${config.milestones.join('/')}`}, ${config.epochs} epochs`,
    ],
    ['tricks', tricks.filter(Boolean).join(', ') || 'none'],
    ['status', summary.finished ? 'finished' : 'in progress / interrupted'],
  ];
}

function reportHtml(
  config: TrainConfig,
  summary: ReportSummary,
  epochs: readonly EpochRecord[],
  charts: ReturnType<typeof curves>,
): string {
  const last = epochs.at(-1);
  const best = epochs.reduce<EpochRecord | undefined>(
    (b, e) => (b === undefined || e.top1 > b.top1 ? e : b),
    undefined,
  );
  const seconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const rows = epochs
    .map(
      (e) =>
        `<tr><td>${e.epoch}</td><td>${e.step}</td><td>${fixed(e.trainLoss, 4)}</td><td>${fixed(e.valLoss, 4)}</td><td>${pct(e.top1)}</td><td>${pct(e.top5)}</td><td>${fixed(e.lr, 5)}</td><td>${fixed(e.imagesPerSecond, 1)}</td><td>${fixed(e.seconds, 1)}</td></tr>`,
    )
    .join('\n');
  const settings = settingsRows(config, summary);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bot-train report: ${escapeHtml(config.preset)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.charts svg{display:block;margin:.5rem 0;max-width:100%;height:auto}
.big{font-size:1.4rem}
</style></head><body>
<h1>bot-train report</h1>
<p class="big">Final top-1 <b>${pct(last?.top1)}%</b>, top-5 <b>${pct(last?.top5)}%</b> after ${last?.epoch ?? 0} of ${config.epochs} epochs${best && best !== last ? ` (best top-1 ${pct(best.top1)}% at epoch ${best.epoch})` : ''}; ${seconds.toFixed(0)} s of training on ${escapeHtml(summary.backend)}, replicas ${escapeHtml(summary.replicas)}.</p>
<table>${settings.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(v)}</td></tr>`).join('')}</table>
<div class="charts">${charts.loss}${charts.accuracy}${charts.lr}</div>
<h2>Per epoch</h2>
<table><tr><th>epoch</th><th>step</th><th>train loss</th><th>val loss</th><th>top-1 %</th><th>top-5 %</th><th>lr</th><th>images/s</th><th>seconds</th></tr>
${rows}
</table>
</body></html>
`;
}
