import { type Axis, linearAxis, logAxis } from './ticks.js';
import { fail, positive } from './validate.js';

export interface LineSeries {
  /** Shown in the legend. */
  name?: string;
  x: ArrayLike<number>;
  /** Same length as x. A non-finite value (or, on a log axis, a value <= 0) breaks the line. */
  y: ArrayLike<number>;
  /** Any SVG colour; default from a 10-colour palette by series index. */
  color?: string;
  /** SVG stroke-dasharray, e.g. '6 3'. */
  dash?: string;
  /**
   * A dot on every point, so that a sparse series (one value per epoch) shows where its values are, and a
   * single point shows at all. Default false.
   */
  markers?: boolean;
}

export interface LineChartOptions {
  /** Default 640. */
  width?: number;
  /** Default 360. */
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Fixed x range; default: the data's, rounded out to whole ticks. */
  xDomain?: readonly [number, number];
  /** Fixed y range; default: the data's, rounded out to whole ticks. */
  yDomain?: readonly [number, number];
  /** Default 'linear'; 'log' puts ticks at powers of ten (e.g. for losses). */
  yScale?: 'linear' | 'log';
  /** Approximate number of tick intervals (defaults 6 and 5). */
  xTicks?: number;
  yTicks?: number;
  formatX?: (value: number) => string;
  formatY?: (value: number) => string;
  /** Default: shown when there is more than one series. */
  legend?: boolean;
  /** Default '#ffffff'; 'none' for a transparent chart. */
  background?: string;
  /** Default 12. */
  fontSize?: number;
}

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

const r = (v: number): number => Math.round(v * 100) / 100;

/** FNV-1a: gives each distinct chart its own clip-path id, as several may sit inline in one HTML page. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

function checkDomain(param: string, domain: readonly [number, number] | undefined, log: boolean): void {
  if (domain === undefined) return;
  const [lo, hi] = domain;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo) || (log && lo <= 0)) {
    fail(
      'svgLineChart',
      param,
      [lo, hi],
      log ? 'finite [lo, hi] with 0 < lo < hi' : 'finite [lo, hi] with lo < hi',
    );
  }
}

/**
 * A line chart as a self-contained SVG string: axes with ticks and grid, axis labels, title, and a legend.
 * Pure string building; no DOM, no dependencies. Any number of series, each with its own x values.
 */
export function svgLineChart(series: readonly LineSeries[], options: LineChartOptions = {}): string {
  const where = 'svgLineChart';
  if (!Array.isArray(series)) fail(where, 'series', series, 'an array of { x, y }');
  const width = positive(where, 'width', options.width ?? 640);
  const height = positive(where, 'height', options.height ?? 360);
  const fontSize = positive(where, 'fontSize', options.fontSize ?? 12);
  const log = options.yScale === 'log';
  if (options.yScale !== undefined && options.yScale !== 'linear' && !log) {
    fail(where, 'yScale', options.yScale, "'linear' or 'log'");
  }
  checkDomain('xDomain', options.xDomain, false);
  checkDomain('yDomain', options.yDomain, log);

  let xMin = Number.POSITIVE_INFINITY;
  let xMax = Number.NEGATIVE_INFINITY;
  let yMin = Number.POSITIVE_INFINITY;
  let yMax = Number.NEGATIVE_INFINITY;
  const usable = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!log || y > 0);
  series.forEach((s, i) => {
    if (s.x.length !== s.y.length)
      fail(where, `series[${i}].y.length`, s.y.length, `x.length (${s.x.length})`);
    for (let j = 0; j < s.x.length; j++) {
      const x = s.x[j]!;
      const y = s.y[j]!;
      if (!usable(x, y)) continue;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
    }
  });
  if (xMin > xMax) [xMin, xMax, yMin, yMax] = [0, 1, log ? 0.1 : 0, 1];

  const xAxis = linearAxis(xMin, xMax, options.xTicks ?? 6, options.xDomain);
  const yAxis: Axis = log
    ? logAxis(yMin, yMax, options.yTicks ?? 5, options.yDomain)
    : linearAxis(yMin, yMax, options.yTicks ?? 5, options.yDomain);
  const formatX = options.formatX ?? xAxis.format;
  const formatY = options.formatY ?? yAxis.format;
  const yLabels = yAxis.ticks.map(formatY);

  const charWidth = fontSize * 0.6;
  const left = Math.ceil(
    Math.max(...yLabels.map((l) => l.length), 1) * charWidth + 14 + (options.yLabel ? fontSize * 1.6 : 0),
  );
  const top = options.title ? fontSize * 2.8 : fontSize;
  const right = fontSize * 1.5;
  const bottom = fontSize * 2 + (options.xLabel ? fontSize * 1.6 : 0);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  if (plotW <= 0 || plotH <= 0) fail(where, 'width/height', [width, height], 'large enough for the axes');

  const px = (x: number): number => left + ((x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
  const ty = (y: number): number => (log ? Math.log10(y) : y);
  const py = (y: number): number =>
    top + plotH - ((ty(y) - ty(yAxis.lo)) / (ty(yAxis.hi) - ty(yAxis.lo))) * plotH;

  const paths = series.map((s, i) => {
    let d = '';
    let pen = false;
    for (let j = 0; j < s.x.length; j++) {
      const x = s.x[j]!;
      const y = s.y[j]!;
      if (!usable(x, y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${r(px(x))} ${r(py(y))}`;
      pen = true;
    }
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : '';
    let dots = '';
    if (s.markers) {
      for (let j = 0; j < s.x.length; j++) {
        if (usable(s.x[j]!, s.y[j]!)) dots += `<circle cx="${r(px(s.x[j]!))}" cy="${r(py(s.y[j]!))}" r="3"/>`;
      }
      dots = dots && `<g fill="${escapeXml(color)}">${dots}</g>`;
    }
    return `<path d="${d}" fill="none" stroke="${escapeXml(color)}" stroke-width="2" stroke-linejoin="round"${dash}/>${dots}`;
  });
  // Replaced at the end by a hash of the whole chart: identical charts share an id, different ones do not.
  // Lines lying on the plot's edge (a rate at the top of the axis) keep their whole stroke width.
  const pad = 2;
  const clipId = '<clip-id>'; // cannot occur in user text, which is all escaped
  const text = (x: number, y: number, content: string, attrs = ''): string =>
    `<text x="${r(x)}" y="${r(y)}"${attrs}>${escapeXml(content)}</text>`;

  const out: string[] = [];
  const title = options.title ?? '';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title || 'line chart')}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="${fontSize}">`,
  );
  if (title) out.push(`<title>${escapeXml(title)}</title>`);
  const background = options.background ?? '#ffffff';
  if (background !== 'none')
    out.push(`<rect width="${width}" height="${height}" fill="${escapeXml(background)}"/>`);
  out.push(
    `<defs><clipPath id="${clipId}"><rect x="${r(left - pad)}" y="${r(top - pad)}" width="${r(plotW + 2 * pad)}" height="${r(plotH + 2 * pad)}"/></clipPath></defs>`,
  );

  out.push('<g stroke="#e4e4e4" stroke-width="1">');
  for (const t of xAxis.ticks)
    out.push(`<line x1="${r(px(t))}" y1="${r(top)}" x2="${r(px(t))}" y2="${r(top + plotH)}"/>`);
  for (const t of yAxis.ticks)
    out.push(`<line x1="${r(left)}" y1="${r(py(t))}" x2="${r(left + plotW)}" y2="${r(py(t))}"/>`);
  out.push('</g>');

  out.push(`<g clip-path="url(#${clipId})">`, ...paths, '</g>');

  out.push('<g stroke="#333333" stroke-width="1">');
  out.push(`<line x1="${r(left)}" y1="${r(top + plotH)}" x2="${r(left + plotW)}" y2="${r(top + plotH)}"/>`);
  out.push(`<line x1="${r(left)}" y1="${r(top)}" x2="${r(left)}" y2="${r(top + plotH)}"/>`);
  for (const t of xAxis.ticks)
    out.push(`<line x1="${r(px(t))}" y1="${r(top + plotH)}" x2="${r(px(t))}" y2="${r(top + plotH + 5)}"/>`);
  for (const t of yAxis.ticks)
    out.push(`<line x1="${r(left - 5)}" y1="${r(py(t))}" x2="${r(left)}" y2="${r(py(t))}"/>`);
  out.push('</g>');

  out.push('<g fill="#333333">');
  for (const t of xAxis.ticks)
    out.push(text(px(t), top + plotH + 7 + fontSize, formatX(t), ' text-anchor="middle"'));
  yAxis.ticks.forEach((t, i) => {
    out.push(text(left - 8, py(t) + fontSize * 0.35, yLabels[i]!, ' text-anchor="end"'));
  });
  if (options.xLabel)
    out.push(text(left + plotW / 2, height - fontSize * 0.6, options.xLabel, ' text-anchor="middle"'));
  if (options.yLabel) {
    const x = fontSize * 1.1;
    const y = top + plotH / 2;
    out.push(text(x, y, options.yLabel, ` text-anchor="middle" transform="rotate(-90 ${r(x)} ${r(y)})"`));
  }
  if (title)
    out.push(
      text(
        width / 2,
        fontSize * 1.7,
        title,
        ` text-anchor="middle" font-weight="bold" font-size="${r(fontSize * 1.15)}"`,
      ),
    );
  out.push('</g>');

  const showLegend = options.legend ?? series.length > 1;
  if (showLegend && series.length > 0) {
    const names = series.map((s, i) => s.name ?? `series ${i + 1}`);
    const rowH = fontSize * 1.5;
    const boxW = Math.max(...names.map((n) => n.length)) * charWidth + 40;
    const boxH = rowH * names.length + fontSize * 0.6;
    const bx = left + plotW - boxW - 8;
    const by = top + 8;
    out.push('<g>');
    out.push(
      `<rect x="${r(bx)}" y="${r(by)}" width="${r(boxW)}" height="${r(boxH)}" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`,
    );
    names.forEach((name, i) => {
      const s = series[i]!;
      const cy = by + fontSize * 0.3 + rowH * (i + 0.5);
      const color = s.color ?? PALETTE[i % PALETTE.length]!;
      const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : '';
      out.push(
        `<line x1="${r(bx + 8)}" y1="${r(cy)}" x2="${r(bx + 28)}" y2="${r(cy)}" stroke="${escapeXml(color)}" stroke-width="2"${dash}/>`,
      );
      out.push(text(bx + 34, cy + fontSize * 0.35, name, ' fill="#333333"'));
    });
    out.push('</g>');
  }
  out.push('</svg>');
  const svg = `${out.join('\n')}\n`;
  return svg.replaceAll(clipId, `lc-${hash(svg)}`);
}
