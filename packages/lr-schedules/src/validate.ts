function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'function') return 'a function';
  return String(value);
}

export function fail(where: string, param: string, value: unknown, allowed: string): never {
  throw new RangeError(`${where}: ${param} must be ${allowed}, got ${describe(value)}`);
}

export function finite(where: string, param: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(where, param, value, 'a finite number');
  return value;
}

export function positive(where: string, param: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(where, param, value, 'a finite number > 0');
  }
  return value;
}

export function atLeast(where: string, param: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    fail(where, param, value, `a finite number >= ${min}`);
  }
  return value;
}

export function positiveInteger(where: string, param: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) fail(where, param, value, 'an integer >= 1');
  return value;
}

export function nonNegativeInteger(where: string, param: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) fail(where, param, value, 'an integer >= 0');
  return value;
}

/** Non-negative integers, each larger than the one before. */
export function increasingIntegers(where: string, param: string, values: readonly number[]): number[] {
  if (!Array.isArray(values)) fail(where, param, values, 'an array of integers');
  values.forEach((v, i) => {
    nonNegativeInteger(where, `${param}[${i}]`, v);
    if (i > 0 && v <= values[i - 1]!) fail(where, param, values, 'strictly increasing');
  });
  return [...values];
}

/** The check every schedule applies to its argument. */
export function checkStep(where: string, step: number): number {
  if (typeof step !== 'number' || !Number.isFinite(step) || step < 0) {
    fail(where, 'step', step, 'a finite number >= 0');
  }
  return step;
}
