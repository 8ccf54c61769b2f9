import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { configureWasmGemm, registerWasmTrainingKernels } from '../src/index.js';
import { median } from './train-step.js';

// ResNet-50-D's 3x3 convolutions one by one, forward, dX and dW, on XNNPACK (BOT_WASM_FMA=0) and on the
// default GEMM microkernels, interleaved, a fresh filter tensor every call (as in a training step, where
// XNNPACK packs each new weight tensor anew); milliseconds of this process's CPU time, medians. Not a test.
// `npx tsc -p bench/tsconfig.json && node bench-results/.build/bench/conv-layers.bench.js`
// Knobs: BENCH_SIZE (224: the layers' sizes scale with it), BENCH_SINGLE_BATCH (4), BENCH_ROUNDS (5),
// BENCH_ONLY (a substring of the layer names).

type Layer = [name: string, size: number, cin: number, cout: number, stride: number];

function layers(size: number): Layer[] {
  const at = (d: number) => Math.round((size * d) / 224);
  return [
    ['stem1 s2', at(224), 3, 32, 2],
    ['stem2', at(112), 32, 32, 1],
    ['stem3', at(112), 32, 64, 1],
    ['layer1', at(56), 64, 64, 1],
    ['layer2.0 s2', at(56), 128, 128, 2],
    ['layer2', at(28), 128, 128, 1],
    ['layer3.0 s2', at(28), 256, 256, 2],
    ['layer3', at(14), 256, 256, 1],
    ['layer4.0 s2', at(14), 512, 512, 2],
    ['layer4', at(7), 512, 512, 1],
  ];
}

/** CPU milliseconds of `body`. */
function cpuMs(body: () => void): number {
  const start = process.cpuUsage();
  body();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function benchConvLayers(options: {
  size: number;
  batch: number;
  rounds: number;
  only?: string;
}) {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  const gemm = configureWasmGemm('auto').path;
  const paths = { xnnpack: false, [gemm]: 'auto' } as Record<string, false | 'auto'>;
  const { batch, rounds } = options;
  console.log(
    `per layer, batch ${batch}, CPU ms (GFLOP/s per CPU second), medians of ${rounds}; GEMM: ${gemm}`,
  );
  for (const [name, size, cin, cout, stride] of layers(options.size)) {
    if (options.only !== undefined && !name.includes(options.only)) continue;
    // As ResNet-50-D lays strided convs out: zero-padded by 1, then 'valid'.
    const h = stride === 1 ? size : size + 2;
    const pad = stride === 1 ? 'same' : 'valid';
    const out = stride === 1 ? size : Math.floor((h - 3) / stride) + 1;
    const x = tf.randomNormal([batch, h, h, cin]) as tf.Tensor4D;
    const dy = tf.randomNormal([batch, out, out, cout]) as tf.Tensor4D;
    const filters = Array.from(
      { length: 3 * (rounds + 1) * 2 },
      () => tf.randomNormal([3, 3, cin, cout], 0, 0.05) as tf.Tensor4D,
    );
    let next = 0;
    const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const passes = {
      forward: () => tf.conv2d(x, filters[next++] as tf.Tensor4D, stride, pad),
      dX: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: filters[next++] as tf.Tensor4D }, {
          ...attrs,
          inputShape: x.shape,
        } as never) as tf.Tensor,
      dW: () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          ...attrs,
          filterShape: [3, 3, cin, cout],
        } as never) as tf.Tensor,
    };
    const times: Record<string, number[]> = {};
    for (let r = -1; r < rounds; r++) {
      for (const [path, setting] of Object.entries(paths)) {
        configureWasmGemm(setting);
        for (const [pass, run] of Object.entries(passes)) {
          const ms = cpuMs(() => {
            const t = run();
            t.dataSync();
            t.dispose();
          });
          // Round -1 warms up (V8 tiers the wasm up, XNNPACK creates its operators).
          if (r < 0) continue;
          const key = `${pass} ${path}`;
          times[key] = [...(times[key] ?? []), ms];
        }
      }
    }
    const flops = 2 * batch * out * out * cin * cout * 9;
    const cells = Object.keys(passes).map((pass) => {
      const [a, b] = Object.keys(paths).map((p) => median(times[`${pass} ${p}`] ?? []));
      const fig = (ms: number) => `${ms.toFixed(1)} (${(flops / ms / 1e6).toFixed(1)})`;
      return `${pass} ${fig(a as number)} -> ${fig(b as number)} x${((a as number) / (b as number)).toFixed(2)}`;
    });
    console.log(`${name.padEnd(12)} ${batch}x${h}x${h}x${cin} -> ${out}x${out}x${cout}: ${cells.join(', ')}`);
    tf.dispose([x, dy, ...filters]);
  }
  configureWasmGemm('auto');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = process.env;
  await benchConvLayers({
    size: Number(env.BENCH_SIZE ?? 224),
    batch: Number(env.BENCH_SINGLE_BATCH ?? 4),
    rounds: Number(env.BENCH_ROUNDS ?? 5),
    ...(env.BENCH_ONLY ? { only: env.BENCH_ONLY } : {}),
  });
}
