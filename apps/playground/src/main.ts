// The playground page: the controls, the schedule plot, the augmentation previews, and training in the tab.
// tfjs-core first (its flags), then the gradients it does not register by itself: in this order.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { type BackendChoice, chooseBackend, memoryBytes } from './backend.js';
import { benchAugment } from './bench-augment.js';
import { accuracySvg, lossSvg } from './charts.js';
import { type FashionMnistData, loadFashionMnist } from './data.js';
import { renderPreviews } from './previews.js';
import { planSchedule, scheduleSvg } from './schedule.js';
import { Session } from './session.js';
import { DEFAULTS, parseSetting, type Settings, settingsFromQuery } from './settings.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};

let settings: Settings = settingsFromQuery(location.search);
let data: FashionMnistData | null = null;
let loadedPerClass = 0;
let session: Session | null = null;
let backend: BackendChoice | null = null;
let previewDraw = 0;
let lastRun: Promise<void> = Promise.resolve();

/** The folder holding the fashion-mnist package's 0.json ... 9.json, next to the page. */
const DATA_URL = new URL('fashion-mnist', new URL('.', location.href)).href.replace(/\/$/, '');

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  $('error').textContent = message;
  console.warn(message);
}

function setControls(): void {
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-setting]')) {
    const key = el.dataset.setting as keyof Settings;
    const value = settings[key];
    if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = value as boolean;
    else {
      // a value from the query string that the list does not offer joins it
      if (el instanceof HTMLSelectElement && ![...el.options].some((o) => o.value === String(value))) {
        el.add(new Option(String(value), String(value)));
      }
      el.value = String(value);
    }
  }
}

function readControl(el: HTMLInputElement | HTMLSelectElement): void {
  const key = el.dataset.setting as keyof Settings;
  const text = el instanceof HTMLInputElement && el.type === 'checkbox' ? String(el.checked) : el.value;
  try {
    settings = { ...settings, [key]: parseSetting(key, text) };
    $('error').textContent = '';
  } catch (error) {
    showError(error);
  }
}

function trainImages(): number {
  return settings.trainPerClass * 10;
}

function drawSchedule(): void {
  const current = session && session.settings === settings ? session.step : null;
  $('lr-plot').innerHTML = scheduleSvg(planSchedule(settings, trainImages()), current);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s - 60 * m)} s` : `${s.toFixed(0)} s`;
}

function formatBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

function drawStatus(): void {
  if (!session) return;
  const last = session.steps.at(-1);
  const test = session.evals.at(-1);
  $('status').textContent = [
    `step ${session.step} / ${session.totalSteps}, epoch ${(session.step / session.plan.stepsPerEpoch).toFixed(2)}${session.isRunning ? '' : session.done ? ' (done)' : ' (stopped)'}`,
    `loss ${last ? last.loss.toFixed(4) : '-'}, lr ${last ? last.lr.toPrecision(3) : '-'}, test accuracy ${test ? `${(100 * test.testAccuracy).toFixed(2)}% (${settings.testPerClass * 10} images)` : '-'}`,
    `${session.imagesPerSecond.toFixed(1)} images/s on ${backend?.name ?? '?'}, ETA ${formatSeconds(session.etaSeconds)}, ${formatBytes(memoryBytes())} in tensors`,
  ].join('\n');
  $('loss-plot').innerHTML = lossSvg(session.steps);
  $('acc-plot').innerHTML = accuracySvg(session.steps, session.evals);
}

function setButtons(): void {
  const running = session?.isRunning ?? false;
  ($('train') as HTMLButtonElement).disabled = running || !data || !backend;
  ($('stop') as HTMLButtonElement).disabled = !running;
  ($('resume') as HTMLButtonElement).disabled = running || !session || session.done;
  ($('download-weights') as HTMLButtonElement).disabled = running || !session;
  ($('download-csv') as HTMLButtonElement).disabled = running || !session || session.steps.length === 0;
  ($('redraw') as HTMLButtonElement).disabled = running || !data || !backend;
}

async function drawPreviews(): Promise<void> {
  if (!data || !backend) return;
  await renderPreviews($('previews'), data.test, settings, previewDraw);
}

async function ensureData(): Promise<FashionMnistData> {
  if (data && loadedPerClass >= settings.trainPerClass) return data;
  $('status').textContent = 'loading Fashion-MNIST...';
  const t0 = performance.now();
  data = await loadFashionMnist(DATA_URL, settings.trainPerClass, settings.testPerClass, (k) => {
    $('status').textContent = `loading Fashion-MNIST: ${k} of 10 classes`;
  });
  loadedPerClass = settings.trainPerClass;
  $('status').textContent =
    `Fashion-MNIST: ${data.train.count} training and ${data.test.count} test images in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  return data;
}

function subset(d: FashionMnistData, perClass: number): FashionMnistData {
  const count = perClass * 10;
  if (count >= d.train.count) return d;
  return {
    train: {
      pixels: d.train.pixels.subarray(0, count * 784),
      labels: d.train.labels.subarray(0, count),
      count,
    },
    test: d.test,
  };
}

function run(): Promise<void> {
  const s = session;
  if (!s) return Promise.resolve();
  const loop = s
    .run(
      () => {
        drawStatus();
        drawSchedule();
      },
      () => drawStatus(),
    )
    .catch(showError)
    .finally(() => {
      drawStatus();
      setButtons();
    });
  setButtons();
  lastRun = loop;
  return loop;
}

async function train(): Promise<void> {
  $('error').textContent = '';
  const d = await ensureData();
  if (backend && settings.backend !== 'auto' && settings.backend !== backend.name) {
    backend = await chooseBackend(settings.backend);
    showBackend();
  }
  session?.dispose();
  session = new Session(settings, subset(d, settings.trainPerClass));
  drawSchedule();
  await run();
}

function showBackend(): void {
  if (!backend) return;
  $('backend').textContent = backend.name;
  $('backend-detail').textContent =
    `(${backend.detail}${backend.skipped.length ? `; passed over: ${backend.skipped.join('; ')}` : ''})`;
}

function download(name: string, bytes: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function wire(): void {
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-setting]')) {
    const update = () => {
      readControl(el);
      drawSchedule();
      if (['crop', 'cropScale', 'flip', 'jitter'].includes(el.dataset.setting ?? '')) void drawPreviews();
    };
    el.addEventListener('input', update);
    el.addEventListener('change', update);
  }
  $('train').addEventListener('click', () => void train().catch(showError));
  $('stop').addEventListener('click', () => session?.stop());
  $('resume').addEventListener('click', () => void run());
  $('redraw').addEventListener('click', () => {
    previewDraw++;
    void drawPreviews().catch(showError);
  });
  $('download-weights').addEventListener('click', () => {
    if (!session) return;
    const name = `resnet18${session.config.variant.toLowerCase()}-fashion-mnist-step${session.step}.safetensors`;
    download(name, session.safetensors() as Uint8Array<ArrayBuffer>, 'application/octet-stream');
  });
  $('download-csv').addEventListener('click', () => {
    if (session) download(`metrics-step${session.step}.csv`, session.csv(), 'text/csv');
  });
}

/** What the browser test and curious users can reach from the console. */
const api = {
  ready: false,
  settings: () => settings,
  backend: () => backend,
  session: () =>
    session && {
      step: session.step,
      totalSteps: session.totalSteps,
      running: session.isRunning,
      done: session.done,
      losses: session.steps.map((s) => s.loss),
      stepSeconds: session.steps.map((s) => s.seconds),
      imagesPerSecond: session.imagesPerSecond,
      evals: session.evals,
      config: session.config,
    },
  /** Resolves when the current training loop has ended. */
  idle: () => lastRun,
  /** Logits of the current model on normalised NHWC 28x28x1 inputs. */
  logits: async (values: number[], n: number) =>
    session ? Array.from(await session.logits(Float32Array.from(values), n)) : null,
  defaults: DEFAULTS,
  /** Images/s of the paper's train transforms on tensors (RandomResizedCrop 224, flip, jitter, lighting,
   * Normalize) on the active backend, for a batch of `n` random h x w RGB images; for the bench. */
  benchAugment: (n: number, height: number, width: number, reps: number) =>
    benchAugment(n, height, width, reps),
};
(window as unknown as { playground: typeof api }).playground = api;

async function start(): Promise<void> {
  setControls();
  wire();
  drawSchedule();
  try {
    backend = await chooseBackend(settings.backend);
    showBackend();
    await ensureData();
    await drawPreviews();
  } catch (error) {
    showError(error);
  }
  setButtons();
  api.ready = true;
}

void start();
