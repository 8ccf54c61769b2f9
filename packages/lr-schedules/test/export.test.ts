import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { warmupCosineFigure } from '../scripts/figure.mjs';
import * as lib from '../src/index.js';
import {
  cosineDecay,
  sampleSchedule,
  svgLineChart,
  toCsv,
  toJson,
  toSvg,
  warmupCosine,
} from '../src/index.js';

const schedule = warmupCosine({ peak: 0.4, warmupSteps: 7, totalSteps: 50 });

/** Tag names in document order, checking that every opened element is closed in the right order. */
function elements(svg: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (closing) expect(open.pop()).toBe(name);
    else {
      names.push(name!);
      if (!selfClosing) open.push(name!);
    }
  }
  expect(open).toEqual([]);
  return names;
}

describe('samples, CSV and JSON', () => {
  it('sampleSchedule takes start, every and always the last step', () => {
    const samples = sampleSchedule(schedule, { start: 3, end: 20, every: 5 });
    expect(samples.map((s) => s.step)).toEqual([3, 8, 13, 18, 19]);
    for (const s of samples) expect(s.lr).toBe(schedule(s.step));
    expect(sampleSchedule(schedule, 4).map((s) => s.step)).toEqual([0, 1, 2, 3]);
  });

  it('CSV round-trips every value exactly', () => {
    const csv = toCsv(schedule, { end: 50 });
    const [header, ...rows] = csv.trimEnd().split('\n');
    expect(header).toBe('step,lr');
    expect(rows).toHaveLength(50);
    rows.forEach((row, i) => {
      const [step, lr] = row.split(',').map(Number);
      expect(step).toBe(i);
      expect(lr).toBe(schedule(i));
    });
    expect(toCsv(sampleSchedule(schedule, 50))).toBe(csv);
  });

  it('JSON round-trips to the samples', () => {
    const samples = sampleSchedule(schedule, { end: 50, every: 3 });
    expect(JSON.parse(toJson(schedule, { end: 50, every: 3 }))).toEqual(samples);
    expect(() => toJson(schedule)).toThrow(RangeError);
  });
});

describe('SVG', () => {
  it('svgLineChart: well-formed, one path per series, ticks, labels, legend, escaped text', () => {
    const svg = svgLineChart(
      [
        { name: 'train <loss>', x: [0, 1, 2, 3], y: [2.5, 1.2, 0.8, 0.6] },
        { name: 'val & test', x: [1, 3], y: [1.5, 0.9], dash: '4 2' },
      ],
      { title: 'loss', xLabel: 'epoch', yLabel: 'cross-entropy' },
    );
    const names = elements(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(names.filter((n) => n === 'path')).toHaveLength(2);
    expect(svg).toContain('train &lt;loss&gt;');
    expect(svg).toContain('val &amp; test');
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>cross-entropy</text>');
    // nice ticks: x 0..3 by 0.5, y 0.5..2.5 by 0.5
    for (const t of ['0.0', '1.5', '3.0']) expect(svg).toContain(`>${t}</text>`);
    for (const t of ['0.5', '2.5']) expect(svg).toContain(`>${t}</text>`);
    expect(svg).toContain('stroke-dasharray="4 2"');
    expect(svg).not.toContain('<circle');
  });

  it('svgLineChart: markers put a dot on every usable point of that series only', () => {
    const svg = svgLineChart(
      [
        { x: [0, 1, 2, 3], y: [2.5, 1.2, 0.8, 0.6] },
        { x: [1, 2, 3], y: [1.5, Number.NaN, 0.9], markers: true, color: '#123456' },
      ],
      { xDomain: [0, 3], yDomain: [0, 3], width: 330, height: 330 },
    );
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3"\/>/g)];
    expect(dots).toHaveLength(2);
    expect(svg).toContain('<g fill="#123456"><circle');
    // The dots sit on the line's own vertices.
    const d = [...svg.matchAll(/<path d="([^"]+)"/g)][1]![1]!;
    for (const [, cx, cy] of dots) expect(d).toContain(`${cx} ${cy}`);
  });

  it('maps data to pixels linearly inside the plot area', () => {
    const svg = svgLineChart([{ x: [0, 10], y: [0, 1] }], {
      width: 400,
      height: 300,
      xDomain: [0, 10],
      yDomain: [0, 1],
    });
    const d = /<path d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"/.exec(svg)!;
    const [x0, y0, x1, y1] = d.slice(1).map(Number) as [number, number, number, number];
    // The axis lines: the x axis along the bottom of the plot area, then the y axis along its left side.
    const axes =
      /<g stroke="#333333" stroke-width="1">\n<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)"[^>]*>\n<line x1="[\d.]+" y1="([\d.]+)"/.exec(
        svg,
      )!;
    const [left, bottom, right, top] = axes.slice(1).map(Number) as [number, number, number, number];
    const w = right - left;
    const h = bottom - top;
    expect(x0).toBeCloseTo(left, 1);
    expect(x1).toBeCloseTo(left + w, 1);
    expect(y0).toBeCloseTo(top + h, 1);
    expect(y1).toBeCloseTo(top, 1);
  });

  it('breaks lines at missing values and supports a log y axis', () => {
    const svg = svgLineChart([{ x: [0, 1, 2, 3, 4], y: [1, 0.1, Number.NaN, 0.01, 0.001] }], {
      yScale: 'log',
    });
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
    for (const t of ['0.001', '0.01', '0.1', '1']) expect(svg).toContain(`>${t}</text>`);
  });

  it('distinct charts get distinct clip-path ids; identical input gives identical output', () => {
    const a = toSvg(cosineDecay({ init: 1, steps: 10 }), { end: 11 });
    const b = toSvg(cosineDecay({ init: 2, steps: 10 }), { end: 11 });
    const id = (svg: string) => /clipPath id="([^"]+)"/.exec(svg)![1];
    expect(id(a)).not.toBe(id(b));
    expect(toSvg(cosineDecay({ init: 1, steps: 10 }), { end: 11 })).toBe(a);
    expect(a).toContain('>step</text>');
    expect(a).toContain('>learning rate</text>');
    elements(a);
  });

  it('toSvg samples at most about 1000 points', () => {
    const svg = toSvg(schedule, { end: 100_000 });
    const d = /<path d="([^"]+)"/.exec(svg)![1]!;
    const points = d.match(/[ML]/g)!.length;
    expect(points).toBeGreaterThan(900);
    expect(points).toBeLessThanOrEqual(1001);
  });

  it('docs/warmup-cosine.svg is what `npm run plot` renders from the current code', () => {
    const committed = readFileSync(new URL('../docs/warmup-cosine.svg', import.meta.url), 'utf8');
    expect(warmupCosineFigure(lib)).toBe(committed);
    elements(committed);
  });
});
