/**
 * Time of one optimizer update over ResNet-50's 161 parameter tensors (25.6 M values; on the slow cpu backend
 * a quarter-width ResNet-50, 1.6 M values), NesterovSGD against tfjs' own tf.train.momentum(lr, 0.9,
 * useNesterov = true) measured in the same process on the same backend, and PyTorch 1.13's torch.optim.SGD
 * (nesterov, weight decay) on full ResNet-50 when /usr/bin/python3 has torch.
 *
 *   npm run bench -w @bot/optim   (env BENCH_BACKENDS=wasm,cpu  BENCH_RUNS=5  BENCH_STEPS=3)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { NesterovSGD } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..', '..', '..');
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'wasm,cpu').split(',');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const STEPS = Number(process.env.BENCH_STEPS ?? 3);

/** ResNet-50 (torchvision layout, tfjs HWIO kernels) parameter names and shapes. */
export function resnet50Shapes(widthDivisor = 1): [string, number[]][] {
  const out: [string, number[]][] = [];
  const bn = (name: string, c: number) => {
    out.push([`${name}/gamma`, [c]], [`${name}/beta`, [c]]);
  };
  const base = 64 / widthDivisor;
  out.push(['conv1/kernel', [7, 7, 3, base]]);
  bn('bn1', base);
  let inC = base;
  [3, 4, 6, 3].forEach((blocks, stage) => {
    const width = base * 2 ** stage;
    for (let b = 0; b < blocks; b++) {
      const p = `layer${stage + 1}.${b}`;
      out.push([`${p}.conv1/kernel`, [1, 1, inC, width]]);
      bn(`${p}.bn1`, width);
      out.push([`${p}.conv2/kernel`, [3, 3, width, width]]);
      bn(`${p}.bn2`, width);
      out.push([`${p}.conv3/kernel`, [1, 1, width, width * 4]]);
      bn(`${p}.bn3`, width * 4);
      if (b === 0) {
        out.push([`${p}.downsample.0/kernel`, [1, 1, inC, width * 4]]);
        bn(`${p}.downsample.1`, width * 4);
      }
      inC = width * 4;
    }
  });
  out.push(['fc/kernel', [inC, 1000]], ['fc/bias', [1000]]);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

interface Row {
  backend: string;
  values: number;
  candidate: string;
  medianMs: number;
  runsMs: number[];
  ratioToReference: number;
}

async function benchBackend(backend: string): Promise<Row[]> {
  if (backend === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (error) {
      console.log(`skipping wasm: ${(error as Error).message}`);
      return [];
    }
  }
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  await tf.ready();
  const shapes = resnet50Shapes(backend === 'cpu' ? 4 : 1);
  const values = shapes.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
  const variables = shapes.map(([name, shape]) =>
    tf.variable(tf.randomNormal(shape, 0, 0.05, 'float32', 1), true, `${backend}/${name}`),
  );
  const grads: tf.NamedTensorMap = {};
  for (const v of variables) grads[v.name] = tf.randomNormal(v.shape, 0, 0.01, 'float32', 2);
  const candidates: [string, tf.Optimizer][] = [
    ['tf.train.momentum(0.1, 0.9, nesterov) [reference]', tf.train.momentum(0.1, 0.9, true)],
    ['NesterovSGD wd 0, fusedKernel: false', new NesterovSGD({ learningRate: 0.1, fusedKernel: false })],
    ['NesterovSGD wd 0 (default)', new NesterovSGD({ learningRate: 0.1 })],
    [
      'NesterovSGD wd 1e-4 noBiasDecay, fusedKernel: false',
      new NesterovSGD({ learningRate: 0.1, weightDecay: 1e-4, fusedKernel: false }),
    ],
    ['NesterovSGD wd 1e-4 noBiasDecay (default)', new NesterovSGD({ learningRate: 0.1, weightDecay: 1e-4 })],
    [
      'NesterovSGD wd 1e-4 + schedule + maxGradNorm + skipNonFinite (default)',
      new NesterovSGD({
        learningRate: (s) => 0.1 * Math.min(1, (s + 1) / 100),
        weightDecay: 1e-4,
        maxGradNorm: 10,
        skipNonFinite: true,
      }),
    ],
  ];
  const sync = () => variables[0]?.dataSync();
  for (const [, optimizer] of candidates) {
    optimizer.applyGradients(grads); // creates the buffers
    sync();
  }
  const times = candidates.map(() => [] as number[]);
  for (let run = 0; run < RUNS; run++) {
    candidates.forEach(([, optimizer], i) => {
      const start = performance.now();
      for (let s = 0; s < STEPS; s++) optimizer.applyGradients(grads);
      sync();
      times[i]?.push((performance.now() - start) / STEPS);
    });
  }
  const reference = median(times[0] ?? []);
  const rows = candidates.map(([candidate], i) => {
    const runsMs = (times[i] ?? []).map((t) => Number(t.toFixed(2)));
    const medianMs = median(times[i] ?? []);
    return {
      backend,
      values,
      candidate,
      medianMs: Number(medianMs.toFixed(2)),
      runsMs,
      ratioToReference: Number((medianMs / reference).toFixed(3)),
    };
  });
  for (const [, optimizer] of candidates) optimizer.dispose();
  tf.dispose([...variables, ...Object.values(grads)]);
  return rows;
}

function benchTorch(): Row[] {
  const script = join(pkgRoot, 'bench', 'torch_sgd_bench.py');
  const result = spawnSync('/usr/bin/python3', [script, String(RUNS), String(STEPS)], { encoding: 'utf8' });
  if (result.status !== 0) {
    console.log(
      `skipping PyTorch reference: ${result.stderr.trim().split('\n').at(-1) ?? result.error?.message}`,
    );
    return [];
  }
  return JSON.parse(result.stdout) as Row[];
}

const rows: Row[] = [];
for (const backend of BACKENDS) rows.push(...(await benchBackend(backend)));
rows.push(...benchTorch());

console.log(`\none update of ResNet-50's 161 parameter tensors; median of ${RUNS} runs x ${STEPS} steps`);
console.log(
  '| backend | M values | optimizer | ms / update (median) | vs tf.train.momentum, same backend | runs (ms) |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const cells = [
    r.backend,
    (r.values / 1e6).toFixed(2),
    r.candidate,
    r.medianMs,
    `${r.ratioToReference}x`,
    r.runsMs.join(', '),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
const outDir = join(pkgRoot, 'bench-results');
if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
const file = join(outDir, 'update.json');
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), runs: RUNS, steps: STEPS, rows }, null, 2),
);
console.log(`\nwrote ${file}`);
