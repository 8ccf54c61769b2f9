/** Throws a RangeError unless `value` is a finite number >= min (or > min when `exclusive`). */
export function checkNumber(parameter: string, value: unknown, min: number, exclusive = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusive ? value > min : value >= min);
  if (!ok) {
    throw new RangeError(
      `${parameter} must be a finite number ${exclusive ? '>' : '>='} ${min}, got ${String(value)}`,
    );
  }
  return value as number;
}
