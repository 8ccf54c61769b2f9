/**
 * Images/s of the paper's train transforms on tfjs tensors (`@bot/augment/tensor`, RandomResizedCrop 224,
 * flip, ColorJitter 0.4, lighting, Normalize) against the sharp path (`imagenetTrain()`), in the same run, on
 * generated ImageNet-sized JPEGs (500x375, q90). The tensor path starts from decoded pixels (decode on the
 * CPU, augment on the device), so the sharp decode alone is measured too. Node backends here: wasm and cpu;
 * the browser's WebGL and WebGPU are in the playground's bench.
 *
 *   npm run bench:tensor -w @bot/augment   (env BENCH_IMAGES, BENCH_REPS)
 */
process.env.UV_THREADPOOL_SIZE ??= '2';

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..', '..', '..');
const IMAGES = Number(process.env.BENCH_IMAGES ?? 32);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const W = 500;
const H = 375;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const { default: sharp } = await import('sharp');
  sharp.concurrency(1);
  sharp.cache(false);
  const { Rng } = await import('@bot/rng');
  const { imagenetTrain } = await import('../src/index.js');
  const { imagenetTrainTensor } = await import('../src/tensor/index.js');
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');

  // ImageNet-sized JPEGs: smooth waves plus noise.
  const dir = join(tmpdir(), 'bot-augment-tensor-bench');
  mkdirSync(dir, { recursive: true });
  const rng = Rng.from('augment-tensor-bench');
  const jpegs: Buffer[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const px = new Uint8Array(W * H * 3);
    const [fx, fy] = [rng.uniformRange(2, 30), rng.uniformRange(2, 30)];
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 3;
        const noise = rng.nextUint32() & 63;
        px[o] = 100 + 80 * Math.sin(x / fx) + noise;
        px[o + 1] = 100 + 80 * Math.cos(y / fy) + noise;
        px[o + 2] = ((x + y + i * 7) & 255) / 2 + noise;
      }
    jpegs.push(
      await sharp(px, { raw: { width: W, height: H, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  }

  // The sharp path: decode + augment, 4 images in flight on the main thread (libuv's 2 threads decode).
  const pipeline = imagenetTrain();
  const sharpPass = async (rep: number) => {
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < jpegs.length) {
        const i = next++;
        await pipeline.apply(jpegs[i] as Buffer, Rng.derive(1, rep, i));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return (jpegs.length * 1000) / (performance.now() - t0);
  };
  await sharpPass(-1);
  const sharpRates: number[] = [];
  for (let r = 0; r < REPS; r++) sharpRates.push(await sharpPass(r));

  // Decode only (what the tensor path still does on the CPU).
  const decoded = new Uint8Array(IMAGES * W * H * 3);
  const decodePass = async () => {
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < jpegs.length) {
        const i = next++;
        const raw = await sharp(jpegs[i] as Buffer)
          .raw()
          .toBuffer();
        decoded.set(raw, i * W * H * 3);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return (jpegs.length * 1000) / (performance.now() - t0);
  };
  await decodePass();
  const decodeRates: number[] = [];
  for (let r = 0; r < REPS; r++) decodeRates.push(await decodePass());

  // The tensor path on each Node backend: one batch of all images.
  const train = imagenetTrainTensor();
  const tensorRates: Record<string, number[]> = {};
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    await tf.ready();
    const x = tf.tensor4d(Float32Array.from(decoded), [IMAGES, H, W, 3]);
    const once = async (rep: number) => {
      const t0 = performance.now();
      const y = train.apply(
        x,
        Array.from({ length: IMAGES }, (_, i) => Rng.derive(1, rep, i)),
      );
      const s = tf.sum(y);
      await s.data();
      tf.dispose([y, s]);
      return (IMAGES * 1000) / (performance.now() - t0);
    };
    await once(-1);
    tensorRates[backend] = [];
    for (let r = 0; r < REPS; r++) tensorRates[backend].push(await once(r));
    x.dispose();
  }

  const sharpMedian = median(sharpRates);
  const decodeMedian = median(decodeRates);
  const rows = [
    ['sharp path: decode + imagenetTrain(), 4 in flight', sharpMedian],
    ['sharp decode only, 4 in flight', decodeMedian],
    ...Object.entries(tensorRates).map(
      ([b, rates]) =>
        [`tensor path on ${b}: imagenetTrainTensor() on a batch of ${IMAGES}`, median(rates)] as const,
    ),
    ...Object.entries(tensorRates).map(([b, rates]) => {
      const t = median(rates);
      return [`decode + tensor path on ${b} (one after the other)`, 1 / (1 / decodeMedian + 1 / t)] as const;
    }),
  ] as [string, number][];
  console.log(
    `augmentation on tensors vs the sharp path, ${new Date().toISOString()}, ${cpus()[0]?.model}, ${cpus().length} cores, ${IMAGES} JPEGs ${W}x${H}, medians of ${REPS}`,
  );
  console.log('| pipeline (500x375 JPEG -> 224x224) | images/s | vs sharp path |');
  console.log('|---|---|---|');
  for (const [name, rate] of rows)
    console.log(`| ${name} | ${rate.toFixed(1)} | ${(rate / sharpMedian).toFixed(2)}x |`);
  const out = join(pkgRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'tensor.json'),
    JSON.stringify(
      { date: new Date().toISOString(), cpu: cpus()[0]?.model, sharpRates, decodeRates, tensorRates },
      null,
      2,
    ),
  );
}

await main();
