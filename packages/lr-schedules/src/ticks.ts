export interface Axis {
  /** Domain ends after rounding out to whole ticks (unless the domain was given). */
  lo: number;
  hi: number;
  ticks: number[];
  format: (value: number) => string;
}

/** 1, 2 or 5 times a power of ten, close to span / count. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
}

function linearFormat(step: number, largest: number): (value: number) => string {
  if (step < 1e-3 || largest >= 1e6) {
    return (v) => (v === 0 ? '0' : Number(v.toPrecision(6)).toExponential());
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return (v) => {
    const text = v.toFixed(decimals);
    return Number(text) === 0 ? (0).toFixed(decimals) : text;
  };
}

/** Ticks of a linear axis over [min, max]; a given domain is kept as is, otherwise it is rounded out. */
export function linearAxis(
  min: number,
  max: number,
  count: number,
  domain?: readonly [number, number],
): Axis {
  let lo = domain ? domain[0] : min;
  let hi = domain ? domain[1] : max;
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, count);
  if (!domain) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
  }
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k <= Math.floor(hi / step + 1e-9); k++) ticks.push(k * step);
  return { lo, hi, ticks, format: linearFormat(step, Math.max(Math.abs(lo), Math.abs(hi))) };
}

/** Ticks at powers of ten of a log axis over positive [min, max] (rounded out to whole decades). */
export function logAxis(min: number, max: number, count: number, domain?: readonly [number, number]): Axis {
  const lo10 = Math.floor(Math.log10(domain ? domain[0] : min) + 1e-9);
  let hi10 = Math.ceil(Math.log10(domain ? domain[1] : max) - 1e-9);
  if (hi10 <= lo10) hi10 = lo10 + 1;
  const every = Math.max(1, Math.ceil((hi10 - lo10) / Math.max(count, 1)));
  const ticks: number[] = [];
  for (let k = lo10; k <= hi10; k += every) ticks.push(Number(`1e${k}`));
  const lo = domain ? domain[0] : Number(`1e${lo10}`);
  const hi = domain ? domain[1] : Number(`1e${hi10}`);
  return { lo, hi, ticks: ticks.filter((t) => t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)), format: String };
}
