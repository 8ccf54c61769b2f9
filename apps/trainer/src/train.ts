import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReplicaPool, type ReplicaPool } from '@bot/backend/replicas';
import { DynamicLossScaler, MixedPrecisionTrainer } from '@bot/mixed-precision';
import { GradientAccumulator } from '@bot/optim';
import { Rng } from '@bot/rng';
import * as tf from '@tensorflow/tfjs';
import { type FileWriter, writeFileAtomic } from './atomic-write.js';
import {
  architectureOf,
  assignWeights,
  type EpochTotals,
  encodeCheckpoint,
  readCheckpoint,
  restoreState,
  saveCheckpoint,
} from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { TrainerError } from './errors.js';
import { type Accuracy, evaluate } from './evaluate.js';
import { exportModel } from './export.js';
import { type BackendChoice, chooseBackend } from './integrations/backend.js';
import { type Batch, DataLoader, mixup as mixupBatch, openData } from './integrations/data.js';
import { profile, resnet, resnetConfigOf } from './integrations/model.js';
import { buildSchedule } from './integrations/schedule.js';
import { createProgress } from './progress.js';
import {
  applyReplicaState,
  replicaStateOf,
  type TrainerReplicaOptions,
  type TrainerReplicaState,
} from './replica.js';
import { writeReport } from './report.js';
import { type EpochRecord, RunFolder } from './run-folder.js';
import { loadTeacher } from './teacher.js';
import { buildOptimizer, trainingLoss } from './training-step-parts.js';

export interface TrainOptions {
  /** Continue the run in this folder from its last checkpoint. */
  readonly resume?: string;
  /** A progress bar (true) or plain lines (false); default: whether stderr is a TTY. */
  readonly tty?: boolean;
  /** Where plain output lines go; default console.log. */
  readonly write?: (line: string) => void;
  /** Aborting it (Ctrl-C) finishes the current step, saves a checkpoint and returns. */
  readonly signal?: AbortSignal;
  /** Stop as on Ctrl-C once this many optimizer steps (counted over the whole run) are done. */
  readonly stopAfterSteps?: number;
  /** Replaces the checkpoint file writer (tests simulate a full disk). */
  readonly checkpointWriter?: FileWriter;
}

export interface TrainResult {
  readonly run: string;
  readonly interrupted: boolean;
  readonly epochs: readonly EpochRecord[];
  readonly final: Accuracy | null;
  readonly checkpoint: string;
  readonly report: string;
  readonly exported: { tfjs: string; safetensors: string } | null;
  readonly backend: BackendChoice;
  readonly model: tf.LayersModel;
}

/** The compiled replica module (worker threads cannot load TypeScript): beside this file, or in dist/. */
function replicaModule(): URL {
  const beside = new URL('./replica.js', import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL('../dist/replica.js', import.meta.url);
}

function defaultRunName(config: TrainConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  return `${config.preset.replace(/^\+/, 'plus-').replace(/\+/g, '-')}-${stamp}`;
}

/** Trains (or resumes) a run and returns where everything went. Throws TrainerError on a user-facing problem. */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const tty = options.tty ?? Boolean(process.stderr.isTTY);

  let run: RunFolder;
  let resumed: Awaited<ReturnType<typeof readCheckpoint>> | undefined;
  if (options.resume) {
    run = new RunFolder(options.resume);
    if (!existsSync(run.checkpoint)) {
      throw new TrainerError(`--resume ${options.resume}: no checkpoint at ${run.checkpoint}`);
    }
    resumed = await readCheckpoint(run.checkpoint);
  } else {
    run = new RunFolder(join(config.runsDir, config.runName ?? defaultRunName(config)));
    if (existsSync(run.config)) {
      throw new TrainerError(
        `run folder ${run.root} already holds a run: pick another --run-name, or --resume ${run.root}`,
      );
    }
    run.create();
    await writeFileAtomic(run.config, `${JSON.stringify(config, null, 2)}\n`);
  }

  const backend = await chooseBackend(config.backend);
  write(`backend: ${backend.name} (${backend.reason})`);
  const data = await openData(config, join(config.runsDir, '.cache'));
  const numClasses = data.classes.length;
  const { inputChannels } = data;
  write(
    `data: ${data.description}: ${data.train.length} training and ${data.val.length} validation images, ${numClasses} classes`,
  );

  if (resumed) {
    const saved = resumed.state;
    const have = architectureOf(saved.config, saved.numClasses, saved.inputChannels);
    const want = architectureOf(config, numClasses, inputChannels);
    if (have !== want) {
      throw new TrainerError(
        `checkpoint ${run.checkpoint} is from another architecture: it holds ${have}, but this run builds ${want}`,
      );
    }
  }

  const micro = config.batchSize / config.accumulate;
  if (data.train.length < config.batchSize) {
    throw new TrainerError(
      `the training set has ${data.train.length} images, fewer than one batch of ${config.batchSize}: lower --batch-size`,
    );
  }
  const trainLoader = new DataLoader(data.train, {
    batchSize: config.batchSize,
    seed: config.seed,
    shuffle: true,
    dropLast: true,
    concurrency: config.workers,
  });
  const valLoader = new DataLoader(data.val, {
    batchSize: Math.max(micro, 64),
    seed: config.seed,
    shuffle: false,
    dropLast: false,
    concurrency: config.workers,
  });
  const stepsPerEpoch = trainLoader.batchesPerEpoch;

  const resnetConfig = resnetConfigOf(config, numClasses, inputChannels);
  const model = resnet(resnetConfig);
  const { macs } = profile(resnetConfig);
  const params = model.countParams();
  write(
    `model: ${architectureOf(config, numClasses, inputChannels)}: ${params.toLocaleString('en-US')} parameters`,
  );

  const teacher = config.teacher
    ? await loadTeacher(config, config.teacher, numClasses, inputChannels)
    : null;
  if (teacher) write(`teacher: ${teacher.description}`);

  const schedule = buildSchedule(config, stepsPerEpoch);
  const optimizer = buildOptimizer(config, schedule);
  const scaler = config.fp16 ? new DynamicLossScaler({ initScale: config.initLossScale }) : null;
  // The only sequential random stream of the trainer (mixup's lambda); data randomness is keyed per sample.
  let rng = Rng.from(`${config.seed}:mixup`);
  let startEpoch = 0;
  let startBatch = 0;
  let step = 0;
  let elapsedBefore = 0;
  let resumedTotals: EpochTotals | null = null;

  if (resumed) {
    const { state, weights, raw } = resumed;
    assignWeights(model, weights, `checkpoint ${run.checkpoint}`, (d, s) => tf.tensor(d, s));
    const names = model.weights.map((w) => w.name);
    optimizer.setState(
      restoreState(state.optimizer, names, raw.tensors) as Parameters<typeof optimizer.setState>[0],
    );
    if (scaler && state.lossScaler)
      scaler.setState(
        restoreState(state.lossScaler, names, raw.tensors) as Parameters<typeof scaler.setState>[0],
      );
    rng = Rng.fromState(state.rng);
    startEpoch = state.epoch;
    startBatch = state.batchInEpoch;
    step = state.step;
    elapsedBefore = state.elapsedSeconds;
    resumedTotals = state.epochTotals;
    // Drop metrics logged after the checkpoint (a kill between checkpoints) so the history has no duplicates.
    const kept = run
      .readMetrics()
      .filter((r) => (r.type === 'step' ? r.step <= step : r.epoch <= startEpoch));
    await writeFileAtomic(run.metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    write(`resuming ${run.root} at epoch ${startEpoch + 1}, batch ${startBatch} (step ${step})`);
  }

  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);

  // Data parallelism over worker threads, one wasm instance (one core) each: every replica trains on a
  // contiguous shard of each batch, and the main thread keeps the data, mixup, evaluation and checkpoints.
  let pool: ReplicaPool | null = null;
  /** Copies replica 0's weights (BN statistics included) and optimizer state into the main model. */
  const syncFromReplicas = async () => {
    if (pool) applyReplicaState((await pool.getState()) as TrainerReplicaState, model, optimizer);
  };
  if (config.replicas > 1) {
    if (backend.name === 'tensorflow' || backend.name === 'tensorflow-gpu') {
      write(`replicas: 1 (${backend.name} already uses every core)`);
    } else {
      const replicaOptions: TrainerReplicaOptions = { config, numClasses, inputChannels, stepsPerEpoch };
      pool = await createReplicaPool({
        module: replicaModule(),
        replicas: config.replicas,
        backend: backend.name,
        microBatch: micro,
        options: replicaOptions,
      });
      await pool.setState(await replicaStateOf(model, optimizer));
      write(
        `replicas: ${config.replicas} worker threads on ${pool.backend}, about ${Math.round(config.batchSize / config.replicas)} images each per step`,
      );
    }
  }
  const startedAt = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - startedAt) / 1000;

  const checkpointNow = async (epoch: number, batchInEpoch: number, epochTotals: EpochTotals) => {
    await syncFromReplicas();
    const bytes = encodeCheckpoint(model.weights, {
      config,
      numClasses,
      inputChannels,
      epoch,
      batchInEpoch,
      step,
      optimizer: await optimizer.getState(),
      lossScaler: scaler ? scaler.getState() : null,
      rng: rng.getState(),
      elapsedSeconds: elapsed(),
      epochTotals,
    });
    await saveCheckpoint(run.checkpoint, bytes, options.checkpointWriter);
  };

  const accumulator = new GradientAccumulator({ steps: config.accumulate });
  // FP16: the trainer rounds weights, activations and gradients to binary16 and hands the unscaled gradients
  // of each micro-batch to the accumulator; the step is taken once every micro-batch came back finite.
  const mixedPrecision = scaler
    ? new MixedPrecisionTrainer({
        optimizer: {
          applyGradients: (g: tf.NamedTensorMap) => accumulator.add(g, currentMicro),
        } as unknown as tf.Optimizer,
        model,
        lossScaler: scaler,
      })
    : null;
  let currentMicro = micro;

  const trainStep = async (batch: Batch, mixup: boolean): Promise<number> => {
    const [n, h, w, c] = batch.shape;
    let images = batch.images;
    let soft: Float32Array;
    if (mixup) {
      const mixed = mixupBatch(
        { images, shape: batch.shape, labels: batch.labels, numClasses },
        config.mixupAlpha,
        rng,
      );
      images = mixed.images;
      soft = mixed.targets;
    } else {
      // Plain one-hot rows, so the mixup and no-mixup paths share one soft-target slicing below.
      soft = new Float32Array(n * numClasses);
      batch.labels.forEach((label, i) => {
        soft[i * numClasses + label] = 1;
      });
    }
    if (pool) {
      return (await pool.step({ images, shape: batch.shape, labels: batch.labels, targets: soft })).loss;
    }
    const pixels = h * w * c;
    const parts = Math.min(config.accumulate, n);
    let lossValue = 0;
    let finite = true;
    for (let k = 0; k < parts; k++) {
      // Split the (possibly short, when images were skipped) batch as evenly as possible.
      const from = Math.round((k * n) / parts);
      const to = Math.round(((k + 1) * n) / parts);
      currentMicro = to - from;
      const x = tf.tensor4d(images.subarray(from * pixels, to * pixels), [to - from, h, w, c]);
      const targets = tf.tensor2d(soft.subarray(from * numClasses, to * numClasses), [to - from, numClasses]);
      const teacherLogits = teacher ? tf.tidy(() => teacher.model.predict(x) as tf.Tensor2D) : null;
      const lossFn = (): tf.Scalar =>
        trainingLoss(config, model.apply(x, { training: true }) as tf.Tensor2D, targets, teacherLogits);
      if (mixedPrecision) {
        const result = mixedPrecision.step(lossFn, { updateScale: false });
        finite &&= result.stepped;
        lossValue += (result.loss * currentMicro) / n;
      } else {
        const { value, grads } = tf.variableGrads(lossFn, trainable);
        lossValue += (value.dataSync()[0]! * currentMicro) / n;
        if (parts === 1) {
          optimizer.applyGradients(grads);
        } else {
          accumulator.add(grads, currentMicro);
        }
        tf.dispose([value, ...Object.values(grads)]);
      }
      tf.dispose([x, targets, ...(teacherLogits ? [teacherLogits] : [])]);
    }
    if (mixedPrecision || parts > 1) {
      // Like PyTorch's GradScaler with accumulation: an inf/NaN in any micro-batch skips the whole step,
      // and the scale is updated once per optimizer step.
      if (finite) accumulator.applyTo(optimizer);
      else accumulator.reset();
      scaler?.update(finite);
    }
    return lossValue;
  };

  // The worker threads must stop however the run ends, or they keep the process alive.
  try {
    const progress = createProgress(tty, config.logEvery, write);
    const epochs: EpochRecord[] = [];
    let interrupted = false;
    let final: Accuracy | null = null;

    for (let epoch = startEpoch; epoch < config.epochs && !interrupted; epoch++) {
      const first = epoch === startEpoch ? startBatch : 0;
      const mixup = config.mixupAlpha > 0 && epoch < config.epochs - config.mixupOffEpochs;
      const before: EpochTotals =
        epoch === startEpoch && resumedTotals
          ? resumedTotals
          : { lossSum: 0, batches: 0, images: 0, seconds: 0 };
      const epochStart = performance.now() - before.seconds * 1000;
      let images = before.images;
      let lossSum = before.lossSum;
      let batches = before.batches;
      let batchInEpoch = first;
      progress.start(epoch, config.epochs, stepsPerEpoch, first);
      for await (const batch of trainLoader.epoch(epoch, { startBatch: first })) {
        // With replicas the main optimizer only catches up at checkpoints; the step count is the same.
        const lr = schedule(pool ? step : optimizer.iterations);
        const loss = await trainStep(batch, mixup);
        if (!Number.isFinite(loss) && !scaler) {
          progress.stop();
          throw new TrainerError(
            `the loss became ${loss} at step ${step}: lower --lr or turn on --fp16's loss scaling checks`,
          );
        }
        step += 1;
        batchInEpoch += 1;
        images += batch.labels.length;
        lossSum += loss;
        batches += 1;
        const seconds = (performance.now() - epochStart) / 1000;
        const imagesPerSecond = images / seconds;
        const skippedSteps = scaler?.skippedSteps ?? 0;
        progress.update({
          batch: batchInEpoch,
          batches: stepsPerEpoch,
          imagesPerSecond,
          loss,
          lr,
          skippedSteps,
          etaSeconds: ((stepsPerEpoch - batchInEpoch) * config.batchSize) / imagesPerSecond,
        });
        if (step % config.logEvery === 0) {
          run.appendMetrics({
            type: 'step',
            epoch,
            step,
            loss,
            lr,
            imagesPerSecond,
            ...(scaler ? { lossScale: scaler.scale } : {}),
            skippedSteps,
            time: new Date().toISOString(),
          });
        }
        if (options.signal?.aborted || step === options.stopAfterSteps) {
          interrupted = true;
          break;
        }
      }
      progress.stop();
      if (interrupted) {
        const seconds = (performance.now() - epochStart) / 1000;
        await checkpointNow(epoch, batchInEpoch, { lossSum, batches, images, seconds });
        write(
          `interrupted: saved ${run.checkpoint} at epoch ${epoch + 1}, batch ${batchInEpoch}; continue with --resume ${run.root}`,
        );
        break;
      }
      const trainSeconds = (performance.now() - epochStart) / 1000;
      await syncFromReplicas();
      final = await evaluate(model, valLoader.epoch(0), numClasses);
      const record: EpochRecord = {
        type: 'epoch',
        epoch: epoch + 1,
        step,
        trainLoss: batches > 0 ? lossSum / batches : Number.NaN,
        top1: final.top1,
        top5: final.top5,
        valLoss: final.loss,
        seconds: trainSeconds,
        imagesPerSecond: images / trainSeconds,
        lr: schedule(Math.max(0, optimizer.iterations - 1)),
        skippedSamples: trainLoader.skipped.length,
        time: new Date().toISOString(),
      };
      epochs.push(record);
      run.appendMetrics(record);
      write(
        `epoch ${epoch + 1}/${config.epochs}: train loss ${record.trainLoss.toFixed(4)}, val loss ${record.valLoss.toFixed(4)}, top-1 ${(100 * record.top1).toFixed(2)}%, top-5 ${(100 * record.top5).toFixed(2)}%, ${record.imagesPerSecond.toFixed(1)} img/s, ${trainSeconds.toFixed(1)} s`,
      );
      await checkpointNow(epoch + 1, 0, { lossSum: 0, batches: 0, images: 0, seconds: 0 });
      await writeReport(
        run,
        config,
        {
          backend: backend.name,
          data: data.description,
          params,
          macs,
          finished: epoch + 1 === config.epochs,
        },
        stepsPerEpoch,
      );
    }
    // Back to float32 layer outputs for the export (the masters are float32 already).
    mixedPrecision?.detach();
    await trainLoader.close();
    await valLoader.close();
    teacher?.model.dispose();

    const report = await writeReport(
      run,
      config,
      { backend: backend.name, data: data.description, params, macs, finished: !interrupted },
      stepsPerEpoch,
    );
    let exported: TrainResult['exported'] = null;
    if (!interrupted && config.export) exported = await exportModel(model, resnetConfig, run.exportDir);
    if (trainLoader.skipped.length > 0)
      write(`skipped ${trainLoader.skipped.length} unreadable training image(s)`);
    return {
      run: run.root,
      interrupted,
      epochs,
      final,
      checkpoint: run.checkpoint,
      report,
      exported,
      backend,
      model,
    };
  } finally {
    await pool?.close();
  }
}
