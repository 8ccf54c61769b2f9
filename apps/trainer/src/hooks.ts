import { copyFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { type EpochTotals, encodeCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { StepEngine } from './engine.js';
import { TrainerError } from './errors.js';
import { type Accuracy, evaluate } from './evaluate.js';
import { createProgress, type Progress } from './progress.js';
import { writeReport } from './report.js';
import type { EpochRecord } from './run-folder.js';
import { epochSummaryCsv, skippedLines } from './run-logs.js';
import type { Session } from './session.js';
import type { TrainOptions } from './train.js';

/** The running totals of one epoch. */
export class EpochMeter {
  private readonly started: number;
  lossSum: number;
  batches: number;
  images: number;
  batch: number;

  constructor(
    readonly epoch: number,
    first: number,
    before: EpochTotals | null,
  ) {
    this.started = performance.now() - (before?.seconds ?? 0) * 1000;
    this.lossSum = before?.lossSum ?? 0;
    this.batches = before?.batches ?? 0;
    this.images = before?.images ?? 0;
    this.batch = first;
  }

  add(images: number, loss: number): void {
    this.batch += 1;
    this.batches += 1;
    this.images += images;
    this.lossSum += loss;
  }

  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  totals(): EpochTotals {
    return { lossSum: this.lossSum, batches: this.batches, images: this.images, seconds: this.seconds };
  }
}

/**
 * What happens around the training step: progress, metrics lines, checkpoints (last and best),
 * evaluation, the report and the logs (summary.csv, skipped.jsonl). `train` calls these in its loop.
 */
export class RunHooks {
  step: number;
  readonly epochs: EpochRecord[] = [];
  final: Accuracy | null = null;
  private readonly progress: Progress;
  private readonly startedAt = performance.now();
  private bestTop1: number;

  constructor(
    private readonly session: Session,
    private readonly engine: StepEngine,
    private readonly options: TrainOptions,
    private readonly write: (line: string) => void,
  ) {
    const { config, run, start } = session;
    this.step = start.step;
    this.progress = createProgress(options.tty ?? Boolean(process.stderr.isTTY), config.logEvery, write);
    const history = run.readMetrics().filter((r): r is EpochRecord => r.type === 'epoch');
    this.bestTop1 = Math.max(Number.NEGATIVE_INFINITY, ...history.map((e) => e.top1));
  }

  startEpoch(epoch: number): EpochMeter {
    const { start, stepsPerEpoch, config } = this.session;
    const first = epoch === start.epoch ? start.batch : 0;
    this.progress.start(epoch, config.epochs, stepsPerEpoch, first);
    return new EpochMeter(epoch, first, epoch === start.epoch ? start.totals : null);
  }

  /** The rate of the step about to run: the schedule at the trainer's one step count. */
  get lr(): number {
    return this.session.schedule(this.step);
  }

  /** After a step: counts, progress and a metrics line; true when the run must stop here (Ctrl-C, stopAfterSteps). */
  afterStep(meter: EpochMeter, images: number, loss: number, lr: number): boolean {
    const { config, lossScaler, stepsPerEpoch, run } = this.session;
    if (!Number.isFinite(loss) && !lossScaler) {
      this.progress.stop();
      throw new TrainerError(
        `the loss became ${loss} at step ${this.step}: lower --lr or turn on --fp16's loss scaling checks`,
      );
    }
    this.step += 1;
    meter.add(images, loss);
    const imagesPerSecond = meter.images / meter.seconds;
    const skippedSteps = lossScaler?.skippedSteps ?? 0;
    const etaSeconds = ((stepsPerEpoch - meter.batch) * config.batchSize) / imagesPerSecond;
    this.progress.update({
      batch: meter.batch,
      batches: stepsPerEpoch,
      imagesPerSecond,
      loss,
      lr,
      skippedSteps,
      etaSeconds,
    });
    if (this.step % config.logEvery === 0) {
      const lossScale = lossScaler ? { lossScale: lossScaler.scale } : {};
      const time = new Date().toISOString();
      run.appendMetrics({
        type: 'step',
        epoch: meter.epoch,
        step: this.step,
        loss,
        lr,
        imagesPerSecond,
        ...lossScale,
        skippedSteps,
        time,
      });
    }
    return Boolean(this.options.signal?.aborted) || this.step === this.options.stopAfterSteps;
  }

  /** Saves last.ckpt at (epoch, batchInEpoch); with `best`, also as best.ckpt. */
  async checkpoint(epoch: number, batchInEpoch: number, totals: EpochTotals, best = false): Promise<void> {
    const s = this.session;
    await this.engine.sync();
    const bytes = await encodeCheckpoint(s.model.weights, {
      config: s.config,
      numClasses: s.numClasses,
      inputChannels: s.inputChannels,
      epoch,
      batchInEpoch,
      step: this.step,
      optimizer: await s.optimizer.getState(),
      lossScaler: s.lossScaler ? s.lossScaler.getState() : null,
      rng: s.rng.getState(),
      elapsedSeconds: s.start.elapsedBefore + (performance.now() - this.startedAt) / 1000,
      epochTotals: totals,
    });
    await saveCheckpoint(s.run.checkpoint, bytes, this.options.checkpointWriter);
    if (best) await copyFile(s.run.checkpoint, s.run.bestCheckpoint);
  }

  async interrupted(meter: EpochMeter): Promise<void> {
    this.progress.stop();
    await this.checkpoint(meter.epoch, meter.batch, meter.totals());
    const { run } = this.session;
    this.write(
      `interrupted: saved ${run.checkpoint} at epoch ${meter.epoch + 1}, batch ${meter.batch}; continue with --resume ${run.root}`,
    );
  }

  /** The end of an epoch: evaluation, the epoch's record and logs, checkpoints and the report. */
  async endEpoch(meter: EpochMeter): Promise<void> {
    this.progress.stop();
    const s = this.session;
    const seconds = meter.seconds;
    await this.engine.sync();
    this.final = await evaluate(s.model, s.valLoader.epoch(0), s.numClasses);
    const record: EpochRecord = {
      type: 'epoch',
      epoch: meter.epoch + 1,
      step: this.step,
      trainLoss: meter.batches > 0 ? meter.lossSum / meter.batches : Number.NaN,
      top1: this.final.top1,
      top5: this.final.top5,
      valLoss: this.final.loss,
      seconds,
      imagesPerSecond: meter.images / seconds,
      lr: s.schedule(Math.max(0, this.step - 1)),
      skippedSamples: s.trainLoader.skipped.length,
      time: new Date().toISOString(),
    };
    this.epochs.push(record);
    s.run.appendMetrics(record);
    this.write(
      `epoch ${record.epoch}/${s.config.epochs}: train loss ${record.trainLoss.toFixed(4)}, val loss ${record.valLoss.toFixed(4)}, top-1 ${(100 * record.top1).toFixed(2)}%, top-5 ${(100 * record.top5).toFixed(2)}%, ${record.imagesPerSecond.toFixed(1)} img/s, ${seconds.toFixed(1)} s`,
    );
    const best = record.top1 > this.bestTop1;
    if (best) this.bestTop1 = record.top1;
    await this.checkpoint(meter.epoch + 1, 0, { lossSum: 0, batches: 0, images: 0, seconds: 0 }, best);
    await this.writeLogs(record.epoch === s.config.epochs);
  }

  /** summary.csv, skipped.jsonl and the report, from what the run folder holds. */
  async writeLogs(finished: boolean): Promise<string> {
    const s = this.session;
    await writeFileAtomic(s.run.summary, epochSummaryCsv(s.run.readMetrics()));
    if (s.trainLoader.skipped.length > 0)
      await writeFileAtomic(s.run.skipped, skippedLines(s.trainLoader.skipped));
    return writeReport(
      s.run,
      s.config,
      {
        backend: s.backend.name,
        replicas: this.engine.description,
        data: s.data.description,
        params: s.params,
        macs: s.macs,
        finished,
      },
      s.stepsPerEpoch,
    );
  }

  /** Unreadable training images: a count, the first few with their reasons, and where the full list is. */
  reportSkipped(): void {
    const { trainLoader, run } = this.session;
    const skipped = trainLoader.skipped;
    if (skipped.length === 0) return;
    this.write(`skipped ${skipped.length} unreadable training image(s), all listed in ${run.skipped}:`);
    for (const item of skipped.slice(0, 5)) this.write(`  ${item.path}: ${item.reason}`);
    if (skipped.length > 5) this.write(`  ... and ${skipped.length - 5} more`);
  }
}
