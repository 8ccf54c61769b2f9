import { imagenetTrainTensor } from '@bot/augment/tensor';
import { Rng } from '@bot/rng';
import { dispose, randomUniform, sum, type Tensor4D } from '@tensorflow/tfjs-core';

/** Images per second of `imagenetTrainTensor()` on the active backend (one warm-up batch first). */
export async function benchAugment(n: number, height: number, width: number, reps: number): Promise<number> {
  const x = randomUniform([n, height, width, 3], 0, 255, 'float32') as Tensor4D;
  const train = imagenetTrainTensor({ size: 224 });
  const once = async (r: number) => {
    const y = train.apply(
      x,
      Array.from({ length: n }, (_, i) => Rng.derive(7, r, i)),
    );
    const s = sum(y);
    await s.data();
    dispose([y, s]);
  };
  await once(-1);
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) await once(r);
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  return (n * reps) / seconds;
}
