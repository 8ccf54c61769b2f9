/**
 * ResNet-50 build time (cpu and wasm backends) and forward time of ResNet-50-D at 224 px, batch 1, on the
 * wasm backend, each against references measured in the same run:
 * - build: drawing the same 25.6 M initial weights with tf.randomUniform alone (the floor of any build);
 * - forward: ResNet-50-B (torchvision's v1.5) on the same backend, a chain of plain 3x3 convs with about the
 *   network's MACs on the same backend (the backend's conv throughput, i.e. what the network could reach), and
 *   PyTorch 1.13 on the same CPU (1 thread and all threads) when /usr/bin/python3 has torch.
 *
 *   npm run bench -w @bot/resnet-variants   (env BENCH_RUNS=5)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { profile, resnet } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..', '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

interface Row {
  what: string;
  backend: string;
  medianMs: number;
  runsMs: number[];
  note: string;
}
const rows: Row[] = [];
function record(what: string, backend: string, runsMs: number[], note = '') {
  const row = { what, backend, medianMs: median(runsMs), runsMs, note };
  rows.push(row);
  console.log(`${what.padEnd(44)} ${backend.padEnd(6)} ${row.medianMs.toFixed(1).padStart(9)} ms  ${note}`);
}

const r50d = { depth: 50, variant: 'D', seed: 1 } as const;
const r50b = { depth: 50, variant: 'B', seed: 1 } as const;
const { params, macs } = profile(r50d);

console.log(`ResNet-50-D: ${params} params, ${(macs / 1e9).toFixed(3)} GMACs; ${RUNS} runs each, medians\n`);
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  const builds: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let model: tf.LayersModel | undefined;
    builds.push(time(() => (model = resnet(r50d))));
    model?.dispose();
  }
  const draws: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    draws.push(
      time(() => {
        const w = tf.randomUniform([params], -0.05, 0.05, 'float32', i);
        w.dataSync();
        w.dispose();
      }),
    );
  }
  record('build resnet(ResNet-50-D, 224, 1000 classes)', backend, builds);
  record(
    '  reference: tf.randomUniform of 25.6 M values',
    backend,
    draws,
    `build / draw = ${(median(builds) / median(draws)).toFixed(2)}`,
  );
}

await tf.setBackend('wasm');
console.log(
  `wasm: simd ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}, threads ${await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')}`,
);
const gflops = (ms: number, m: number) => (2 * m) / (ms / 1000) / 1e9;
const modelD = resnet(r50d);
const modelB = resnet(r50b);
const x = tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 1);
// The backend's conv throughput: a chain of layer1-shaped 3x3 convs (56x56x64) with about the network's MACs,
// timed as one unit (timing single short convs on a loaded machine measured mostly scheduling noise).
const CHAIN = 37;
const convX = tf.randomNormal([1, 56, 56, 64], 0, 1, 'float32', 2) as tf.Tensor4D;
const convW = tf.randomNormal([3, 3, 64, 64], 0, 0.05, 'float32', 3) as tf.Tensor4D;
const convMacs = CHAIN * 56 * 56 * 64 * 64 * 9;
const runD = () => tf.tidy(() => (modelD.predict(x) as tf.Tensor).dataSync());
const runB = () => tf.tidy(() => (modelB.predict(x) as tf.Tensor).dataSync());
const runConv = () =>
  tf.tidy(() => {
    let y = convX;
    for (let i = 0; i < CHAIN; i++) y = tf.conv2d(y, convW, 1, 'same');
    return y.dataSync();
  });
for (const f of [runD, runB, runConv]) f(); // warm-up: kernel setup and first allocations
const dMs: number[] = [];
const bMs: number[] = [];
const convMs: number[] = [];
// Interleaved, so a burst of load from other processes hits all three alike.
for (let i = 0; i < RUNS; i++) {
  dMs.push(time(runD));
  bMs.push(time(runB));
  convMs.push(time(runConv));
}
const bMacs = profile(r50b).macs;
const peak = gflops(median(convMs), convMacs);
record('forward ResNet-50-D 224 batch 1', 'wasm', dMs, `${gflops(median(dMs), macs).toFixed(1)} GFLOP/s`);
record(
  '  reference: ResNet-50-B 224 batch 1',
  'wasm',
  bMs,
  `${gflops(median(bMs), bMacs).toFixed(1)} GFLOP/s`,
);
record(`  reference: ${CHAIN} chained 3x3 convs 56x56x64`, 'wasm', convMs, `${peak.toFixed(1)} GFLOP/s`);
console.log(
  `\nResNet-50-D forward runs at ${((100 * gflops(median(dMs), macs)) / peak).toFixed(0)}% of the plain conv-chain throughput`,
);
tf.dispose([x, convX, convW]);
modelD.dispose();
modelB.dispose();

let torch: Record<string, number> | null = null;
const script = join(pkgRoot, 'bench', 'torch_forward.py');
if (existsSync('/usr/bin/python3')) {
  const result = spawnSync('/usr/bin/python3', [script, String(RUNS)], { encoding: 'utf8' });
  if (result.status === 0) {
    torch = JSON.parse(result.stdout.trim().split('\n').at(-1) as string) as Record<string, number>;
    for (const [name, ms] of Object.entries(torch)) {
      record(
        `  reference: PyTorch 1.13 ${name}`,
        'torch',
        [ms],
        `wasm D / torch = ${(median(dMs) / ms).toFixed(2)}`,
      );
    }
  } else {
    console.log(`(PyTorch reference skipped: ${result.stderr.trim().split('\n').at(-1)})`);
  }
}

const outDir = join(pkgRoot, 'bench-results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, 'resnet.json');
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), runs: RUNS, params, macs, rows, torch }, null, 2),
);
console.log(`\nwrote ${file}`);
