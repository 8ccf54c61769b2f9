// Float64 closed forms, written from the definitions, used as the finite-difference reference.

export function logSoftmax64(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

export function softmax64(z: readonly number[]): number[] {
  return logSoftmax64(z).map(Math.exp);
}

/** -sum q log softmax(z), skipping classes with q = 0. */
export function ce64(z: readonly number[], q: readonly number[]): number {
  const lp = logSoftmax64(z);
  return -q.reduce((s, qk, k) => (qk === 0 ? s : s + qk * (lp[k] as number)), 0);
}

export function target64(
  label: number | readonly number[],
  k: number,
  eps: number,
  form: 'uniform' | 'paper',
): number[] {
  const t =
    typeof label === 'number' ? Array.from({ length: k }, (_, i) => (i === label ? 1 : 0)) : [...label];
  return t.map((v) =>
    form === 'uniform' ? (1 - eps) * v + eps / k : (1 - eps) * v + (eps * (1 - v)) / (k - 1),
  );
}

export function meanCe64(
  logits: readonly (readonly number[])[],
  targets: readonly (number | readonly number[])[],
  eps = 0,
  form: 'uniform' | 'paper' = 'uniform',
): number {
  let s = 0;
  logits.forEach((z, i) => {
    s += ce64(z, target64(targets[i] as number | number[], z.length, eps, form));
  });
  return s / logits.length;
}

export function kd64(
  student: readonly (readonly number[])[],
  teacher: readonly (readonly number[])[],
  labels: readonly number[],
  t: number,
  form: 'paper' | 'gluoncv',
  w = 0.5,
  eps = 0,
): number {
  let s = 0;
  student.forEach((z, i) => {
    const hard = ce64(z, target64(labels[i] as number, z.length, eps, 'uniform'));
    const soft =
      t *
      t *
      ce64(
        z.map((v) => v / t),
        softmax64((teacher[i] as number[]).map((v) => v / t)),
      );
    s += form === 'paper' ? hard + soft : (1 - w) * soft + w * hard;
  });
  return s / student.length;
}

/** Central differences of f at x, in float64. */
export function numericGrad(
  f: (x: number[][]) => number,
  x: readonly (readonly number[])[],
  h = 1e-6,
): number[][] {
  return x.map((row, i) =>
    row.map((_, j) => {
      const plus = x.map((r) => [...r]);
      const minus = x.map((r) => [...r]);
      (plus[i] as number[])[j] = (row[j] as number) + h;
      (minus[i] as number[])[j] = (row[j] as number) - h;
      return (f(plus) - f(minus)) / (2 * h);
    }),
  );
}
