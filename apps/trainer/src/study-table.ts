import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from './atomic-write.js';
import type { ConfigPatch, TrainConfig } from './config.js';
import { profile, resnetConfigOf } from './integrations/model.js';
import { svgLineChart } from './integrations/schedule.js';
import type { Study } from './studies.js';

/** What one finished run contributes to the table. */
export interface RunResult {
  readonly name: string;
  readonly seed: number;
  readonly top1: number;
  readonly top5: number;
  /** Validation top-1 after each epoch. */
  readonly curve: readonly { epoch: number; top1: number }[];
  /** Training images per second over the whole run (validation excluded). */
  readonly imagesPerSecond: number;
  readonly trainSeconds: number;
  /** The run's process time, summed over its starts; NaN when unknown. */
  readonly wallSeconds: number;
}

export interface Stat {
  readonly mean: number;
  /** Sample standard deviation (n - 1); NaN for fewer than 2 runs. */
  readonly std: number;
  readonly n: number;
}

export interface StudyRow {
  readonly label: string;
  readonly preset: string;
  readonly runs: readonly RunResult[];
  /** Seeds planned but not finished. */
  readonly missingSeeds: readonly number[];
  readonly top1: Stat;
  readonly top5: Stat;
  /** The row the deltas are taken against: the one above, or the one the study names; null on the first. */
  readonly comparedTo: string | null;
  /** Mean top-1 minus that row's; null on the first row. */
  readonly deltaTop1: number | null;
  readonly paperTop1: number | null;
  readonly paperDelta: number | null;
  readonly macs: number;
  readonly params: number;
  /** Median over the row's runs. */
  readonly imagesPerSecond: number;
  /** Mean over the row's runs. */
  readonly wallSeconds: number;
}

export interface StudyTable {
  readonly study: string;
  readonly paperSource: string;
  readonly scale: string;
  readonly seeds: readonly number[];
  /** Config fields given on the command line for every run, on top of the study's scale. */
  readonly overrides: ConfigPatch;
  readonly rows: readonly StudyRow[];
  /** The teacher the distilling rows learned from, when the study trains one. */
  readonly teacher: { label: string; result: RunResult | null; macs: number; params: number } | null;
  readonly complete: boolean;
}

export function stat(values: readonly number[]): Stat {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? Number.NaN : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export interface TableEntry {
  readonly run: {
    readonly arm: { label: string; role?: string };
    readonly seed: number;
    readonly config: TrainConfig;
  };
  readonly result: RunResult | null;
  readonly shape: { numClasses: number; inputChannels: number };
}

/** Aggregates the runs of a study into its table: mean and spread over seeds, deltas, cost. */
export function studyTable(
  study: Study,
  seeds: readonly number[],
  entries: readonly TableEntry[],
  overrides: ConfigPatch = {},
): StudyTable {
  const costOf = (entry: TableEntry) =>
    profile(resnetConfigOf(entry.run.config, entry.shape.numClasses, entry.shape.inputChannels));
  const rows: StudyRow[] = [];
  let teacher: StudyTable['teacher'] = null;
  for (const arm of study.arms) {
    const mine = entries.filter((e) => e.run.arm.label === arm.label);
    const first = mine[0];
    if (!first) continue;
    const { macs, params } = costOf(first);
    if (arm.role === 'teacher') {
      teacher = { label: arm.label, result: first.result, macs, params };
      continue;
    }
    const runs = mine.flatMap((e) => (e.result ? [e.result] : []));
    const top1 = stat(runs.map((r) => r.top1));
    const previous = arm.compareTo ? rows.find((r) => r.label === arm.compareTo) : rows.at(-1);
    rows.push({
      label: arm.label,
      preset: arm.preset,
      runs,
      missingSeeds: mine.filter((e) => !e.result).map((e) => e.run.seed),
      top1,
      top5: stat(runs.map((r) => r.top5)),
      comparedTo: previous?.label ?? null,
      deltaTop1: previous ? top1.mean - previous.top1.mean : null,
      paperTop1: arm.paperTop1,
      paperDelta:
        previous?.paperTop1 != null && arm.paperTop1 !== null ? arm.paperTop1 - previous.paperTop1 : null,
      macs,
      params,
      imagesPerSecond: median(runs.map((r) => r.imagesPerSecond)),
      wallSeconds: stat(runs.map((r) => r.wallSeconds).filter(Number.isFinite)).mean,
    });
  }
  return {
    study: study.name,
    paperSource: study.paperSource,
    scale: study.scale.description,
    seeds,
    overrides,
    rows,
    teacher,
    complete: rows.every((r) => r.missingSeeds.length === 0) && (teacher === null || teacher.result !== null),
  };
}

const pct = (x: number, digits = 2) => (Number.isFinite(x) ? (100 * x).toFixed(digits) : '-');
const signed = (x: number | null, digits: number, scale = 1) =>
  x === null || !Number.isFinite(x) ? '' : `${x * scale >= 0 ? '+' : ''}${(x * scale).toFixed(digits)}`;

function meanStd(s: Stat): string {
  if (s.n === 0) return '-';
  return Number.isFinite(s.std) ? `${pct(s.mean)} ± ${pct(s.std)}` : pct(s.mean);
}

/** The table as Markdown: the accuracy columns depend only on the seeds, the cost columns on the machine. */
export function studyMarkdown(table: StudyTable): string {
  const lines = [
    `| row | top-1 % (mean ± sd) | Δ top-1 | paper top-1 | paper Δ | top-5 % (mean ± sd) | top-1 per seed | MMACs | params | img/s | wall min |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [i, r] of table.rows.entries()) {
    const against = r.comparedTo && r.comparedTo !== table.rows[i - 1]?.label ? ` (vs ${r.comparedTo})` : '';
    const perSeed = r.runs.map((run) => `${pct(run.top1)} (s${run.seed})`).join(', ');
    const missing = r.missingSeeds.length ? ` missing: ${r.missingSeeds.map((s) => `s${s}`).join(', ')}` : '';
    lines.push(
      `| ${r.label} | ${meanStd(r.top1)} | ${signed(r.deltaTop1, 2, 100)}${against} | ${r.paperTop1 ?? ''} | ${signed(r.paperDelta, 2)}${against} | ${meanStd(r.top5)} | ${perSeed}${missing} | ${(r.macs / 1e6).toFixed(2)} | ${r.params.toLocaleString('en-US')} | ${Number.isFinite(r.imagesPerSecond) ? r.imagesPerSecond.toFixed(1) : '-'} | ${Number.isFinite(r.wallSeconds) ? (r.wallSeconds / 60).toFixed(1) : '-'} |`,
    );
  }
  const t = table.teacher;
  const teacherLine = t
    ? `\nTeacher (${t.label}, ${(t.macs / 1e6).toFixed(2)} MMACs, ${t.params.toLocaleString('en-US')} params): top-1 ${t.result ? `${pct(t.result.top1)}%` : 'not trained yet'}.\n`
    : '';
  return `${lines.join('\n')}\n${teacherLine}`;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];

/** Mean top-1 per row as bars, ±1 sd as whiskers and each seed as a dot. */
export function top1BarChart(table: StudyTable, width = 640, height = 360): string {
  const rows = table.rows;
  const values = rows.flatMap((r) => r.runs.map((run) => 100 * run.top1));
  const margin = { left: 56, right: 16, top: 36, bottom: 64 };
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 100];
  const pad = Math.max(0.5, (hi - lo) * 0.25);
  const yMin = Math.max(0, Math.floor(lo - pad));
  const yMax = Math.min(100, Math.ceil(hi + pad));
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const y = (v: number) => margin.top + plotH * (1 - (v - yMin) / Math.max(1e-9, yMax - yMin));
  const slot = plotW / Math.max(1, rows.length);
  const parts: string[] = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${table.study}: validation top-1 (mean ± sd over seeds, dots = seeds)</text>`,
  ];
  const step = Math.max(0.5, Math.ceil((yMax - yMin) / 6));
  for (let v = yMin; v <= yMax + 1e-9; v += step) {
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(step < 1 ? 1 : 0)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">top-1 %</text>`,
  );
  rows.forEach((r, i) => {
    const cx = margin.left + slot * (i + 0.5);
    const colour = PALETTE[i % PALETTE.length];
    if (r.top1.n > 0) {
      const top = y(100 * r.top1.mean);
      parts.push(
        `<rect x="${cx - slot * 0.3}" y="${top}" width="${slot * 0.6}" height="${margin.top + plotH - top}" fill="${colour}" fill-opacity="0.75"/>`,
      );
      if (Number.isFinite(r.top1.std)) {
        const a = y(100 * (r.top1.mean - r.top1.std));
        const b = y(100 * (r.top1.mean + r.top1.std));
        parts.push(
          `<line x1="${cx}" x2="${cx}" y1="${a}" y2="${b}" stroke="#222" stroke-width="1.5"/>`,
          `<line x1="${cx - 6}" x2="${cx + 6}" y1="${a}" y2="${a}" stroke="#222"/>`,
          `<line x1="${cx - 6}" x2="${cx + 6}" y1="${b}" y2="${b}" stroke="#222"/>`,
        );
      }
      r.runs.forEach((run, k) => {
        const dx = (k - (r.runs.length - 1) / 2) * 7;
        parts.push(
          `<circle cx="${cx + dx}" cy="${y(100 * run.top1)}" r="3" fill="#222" fill-opacity="0.6"/>`,
        );
      });
      // Above the whisker and every dot, so the figure stays readable.
      const highest = Math.min(
        top,
        ...r.runs.map((run) => y(100 * run.top1) - 3),
        Number.isFinite(r.top1.std) ? y(100 * (r.top1.mean + r.top1.std)) : top,
      );
      parts.push(
        `<text x="${cx}" y="${highest - 6}" text-anchor="middle" font-size="11">${pct(r.top1.mean)}</text>`,
      );
    }
    // Long labels shrink to fit their slot (about 0.5 em per character), down to 8 px.
    const labelSize = Math.max(8, Math.min(11, (0.95 * slot) / (0.5 * r.label.length))).toFixed(1);
    parts.push(
      `<text x="${cx}" y="${height - margin.bottom + 18}" text-anchor="middle" font-size="${labelSize}">${r.label.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`,
    );
  });
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#444"/>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg>`;
}

/** Validation top-1 per epoch, averaged over the seeds of each row. */
export function top1Curves(table: StudyTable): string {
  const series = table.rows
    .filter((r) => r.runs.length > 0)
    .map((r) => {
      const epochs = [...new Set(r.runs.flatMap((run) => run.curve.map((p) => p.epoch)))].sort(
        (a, b) => a - b,
      );
      return {
        name: r.label,
        x: epochs,
        y: epochs.map(
          (e) =>
            100 *
            stat(r.runs.flatMap((run) => run.curve.filter((p) => p.epoch === e).map((p) => p.top1))).mean,
        ),
      };
    });
  return svgLineChart(series.length ? series : [{ name: 'no runs yet', x: [0], y: [0] }], {
    width: 640,
    height: 360,
    title: `${table.study}: validation top-1 by epoch (mean over seeds)`,
    xLabel: 'epoch',
    yLabel: 'top-1 %',
    legend: true,
  });
}

/** Command-line changes to a study, as `field=value` pairs. */
export function overridesText(overrides: ConfigPatch): string {
  return Object.entries(overrides)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}

/** results.json, results.md, top1.svg/png and curves.svg/png in the study folder. */
export async function writeStudyResults(folder: string, study: Study, table: StudyTable): Promise<void> {
  const flags = overridesText(table.overrides);
  const header = `# ${study.name}: ${study.summary}\n\nScale: ${table.scale}.${flags ? `\nChanged for every run: ${flags}.` : ''}\nSeeds: ${table.seeds.join(', ')}. Paper: ${table.paperSource}.${table.complete ? '' : ' **Incomplete: some runs have not finished.**'}\n\n`;
  await writeFileAtomic(join(folder, 'results.md'), `${header}${studyMarkdown(table)}`);
  await writeFileAtomic(join(folder, 'results.json'), `${JSON.stringify(table, null, 2)}\n`);
  const charts = { top1: top1BarChart(table), curves: top1Curves(table) };
  for (const [name, svg] of Object.entries(charts)) {
    await writeFileAtomic(join(folder, `${name}.svg`), svg);
    await writeFileAtomic(join(folder, `${name}.png`), await sharp(Buffer.from(svg)).png().toBuffer());
  }
}
