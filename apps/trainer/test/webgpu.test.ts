import { spawnSync } from 'node:child_process';
import { selectBackend } from '@bot/backend';
import { useSwiftShader } from '@bot/backend/swiftshader';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoint.js';
import type { TrainConfig } from '../src/config.js';
import { train } from '../src/train.js';
import { stepLosses, tempDir, tinyConfig } from './helpers.js';

/** WebGPU on Chromium's SwiftShader driver (forced: a software adapter), or why not. */
async function webgpuOrWhy(): Promise<string | null> {
  if (useSwiftShader() === undefined) {
    return 'no SwiftShader Vulkan driver (Debian: apt-get install chromium; scripts/install-system-deps.sh)';
  }
  try {
    await selectBackend({ prefer: 'webgpu', env: {} });
    await tf.setBackend('cpu');
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const why = await webgpuOrWhy();
if (why !== null) console.warn(`webgpu trainer test skipped: ${why}`);

const quiet = { write: () => undefined, tty: false };

describe.skipIf(why !== null)('bot-train on webgpu', () => {
  it('two steps with every trick on (ResNet-D, mixup and cutmix, smoothing, distillation, FP16 with loss scaling and accumulation, clipping, warmup and cosine, zero gamma, no bias decay) give the cpu run’s losses and weights', async () => {
    const dir = tempDir('webgpu');
    const teacher = await train(tinyConfig(dir, { runName: 'teacher', epochs: 1, trainLimit: 4 }), quiet);
    teacher.model.dispose();
    const student = (backend: TrainConfig['backend'], runName: string) =>
      tinyConfig(dir, {
        runName,
        backend,
        variant: 'D',
        epochs: 1,
        trainLimit: 8,
        mixupAlpha: 0.2,
        cutmixAlpha: 1,
        mixupOffEpochs: 0,
        labelSmoothing: 0.1,
        teacher: teacher.checkpoint,
        fp16: true,
        initLossScale: 1024,
        accumulate: 2,
        clipGrad: 5,
        schedule: 'cosine',
        warmupEpochs: 0.5,
        zeroGamma: true,
        noBiasDecay: true,
        export: true,
      });
    const cpu = await train(student('cpu', 'cpu'), quiet);
    const gpu = await train(student('webgpu', 'webgpu'), quiet);
    expect(gpu.backend.name).toBe('webgpu');
    expect(gpu.exported).not.toBeNull();
    const [cpuLosses, gpuLosses] = [stepLosses(cpu.run), stepLosses(gpu.run)];
    expect(gpuLosses).toHaveLength(2);
    for (const [i, loss] of cpuLosses.entries()) {
      expect(Math.abs((gpuLosses[i] as number) - loss) / loss, `step ${i + 1} loss`).toBeLessThan(1e-5);
    }
    const [a, b] = await Promise.all([readCheckpoint(cpu.checkpoint), readCheckpoint(gpu.checkpoint)]);
    expect(b.state).toMatchObject({ step: 2, lossScaler: { skippedSteps: 0 } });
    let diff = 0;
    let norm = 0;
    a.weights.forEach((w, i) => {
      const other = b.weights[i]?.data as Float32Array;
      (w.data as Float32Array).forEach((v, j) => {
        diff += (v - (other[j] as number)) ** 2;
        norm += v * v;
      });
    });
    console.log(
      `webgpu vs cpu after 2 steps: loss ${gpuLosses.join(', ')} vs ${cpuLosses.join(', ')}; weights ${Math.sqrt(diff / norm).toExponential(2)}`,
    );
    // FP16 rounds weights, activations and gradients to binary16: an element whose float32 values on the two
    // backends (1e-7 apart) straddle a rounding boundary ends one binary16 ulp apart (about 5e-4 relative).
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-3);
    expect(gpu.final?.top1).toBeGreaterThanOrEqual(0);
    for (const r of [cpu, gpu]) r.model.dispose();
  }, 600_000);

  it('--augment-on device: the batches augmented on webgpu (data workers decoding) train to the cpu run’s losses', async () => {
    const dir = tempDir('webgpu-device');
    const run = (backend: TrainConfig['backend']) =>
      train(
        tinyConfig(dir, {
          runName: backend,
          backend,
          augmentOn: 'device',
          aug: 'imagenet',
          syntheticSize: 24,
          epochs: 1,
          trainLimit: 8,
          mixupAlpha: 0.2,
          mixupOffEpochs: 0,
        }),
        quiet,
      );
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    const [cpuLosses, gpuLosses] = [stepLosses(cpu.run), stepLosses(gpu.run)];
    expect(gpuLosses).toHaveLength(2);
    console.log(
      `--augment-on device, webgpu vs cpu: loss ${gpuLosses.join(', ')} vs ${cpuLosses.join(', ')}`,
    );
    // The same plans on both backends; crop-and-resize and the step round differently in the last bits
    // (measured: 3e-7 relative).
    for (const [i, loss] of cpuLosses.entries()) {
      expect(Math.abs((gpuLosses[i] as number) - loss) / loss, `step ${i + 1} loss`).toBeLessThan(1e-5);
    }
    for (const r of [cpu, gpu]) r.model.dispose();
  }, 600_000);

  it('the command line exits after an error that comes once the data worker threads run', () => {
    const dir = tempDir('webgpu-cli');
    const cli = new URL('../dist/cli.js', import.meta.url).pathname;
    // 8 images against the demo's batch of 256: refused after the data workers (a GPU backend's) started.
    const result = spawnSync(
      process.execPath,
      [
        cli,
        '--backend',
        'webgpu',
        '--data',
        'synthetic',
        '--train-limit',
        '8',
        '--epochs',
        '1',
        '--runs-dir',
        dir,
      ],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env } },
    );
    expect(result.signal, 'the process had to be killed: something kept it alive').toBeNull();
    expect(result.stdout).toMatch(/data workers: \d+ threads/);
    expect(result.stderr + result.stdout).toMatch(/fewer than one batch of 256: lower --batch-size/);
    expect(result.status).not.toBe(0);
  }, 180_000);
});
