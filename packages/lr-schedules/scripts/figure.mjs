// The README's figure: the paper's efficient ResNet-50 schedule (ImageNet, batch 1024) with step decay and
// with cosine decay. Takes the library as an argument so the test can render it from src and compare.

/** @param {typeof import('../src/index.js')} lib */
export function warmupCosineFigure(lib) {
  const spe = lib.stepsPerEpoch(1281167, 1024);
  const common = { stepsPerEpoch: spe, batchSize: 1024, warmupEpochs: 5, epochs: 120 };
  const cosine = lib.efficientRecipe({ ...common, decay: 'cosine' });
  const step = lib.efficientRecipe({ ...common, decay: 'step' });
  const every = Math.ceil(spe / 8);
  const end = 120 * spe;
  const series = [
    ['warmup + cosine', cosine],
    ['warmup + step (/10 at 30, 60, 90)', step],
  ].map(([name, schedule], i) => {
    const samples = lib.sampleSchedule(schedule, { end: end + 1, every });
    return {
      name,
      x: samples.map((s) => s.step / spe),
      y: samples.map((s) => s.lr),
      ...(i === 1 ? { dash: '6 4' } : {}),
    };
  });
  return lib.svgLineChart(series, {
    title: 'ResNet-50 on ImageNet, batch 1024: lr 0.4 after a 5-epoch warmup',
    xLabel: 'epoch',
    yLabel: 'learning rate',
    xDomain: [0, 120],
    xTicks: 8,
    width: 720,
    height: 360,
  });
}
