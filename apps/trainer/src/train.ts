import type * as tf from '@tensorflow/tfjs';
import type { FileWriter } from './atomic-write.js';
import { mixesIn, stepBatch } from './batch-targets.js';
import type { TrainConfig } from './config.js';
import { deviceStepBatch } from './device-batch.js';
import { createEngine, type StepEngine } from './engine.js';
import type { Accuracy } from './evaluate.js';
import { type ExportedModel, exportModel } from './export.js';
import { RunHooks } from './hooks.js';
import type { BackendChoice } from './integrations/backend.js';
import type { Batch } from './integrations/data.js';
import type { EpochRecord } from './run-folder.js';
import { openSession, type Session } from './session.js';

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
  readonly exported: ExportedModel | null;
  readonly backend: BackendChoice;
  /** How the steps ran: '1 (this thread, wasm)' or 'N worker threads on wasm'. */
  readonly replicas: string;
  readonly model: tf.LayersModel;
}

/** One training step on a loader batch: augmented on the device first with --augment-on device. */
async function stepOn(engine: StepEngine, session: Session, batch: Batch, mix: boolean) {
  const { config, numClasses, rng } = session;
  const device = session.data.trainOnDevice;
  if (!device) return engine.step(stepBatch(batch, numClasses, config, mix, rng));
  const prepared = deviceStepBatch(batch, device.pipeline, numClasses, config, mix, rng);
  try {
    return await engine.step(prepared);
  } finally {
    prepared.images.dispose();
  }
}

/** Trains (or resumes) a run and returns where everything went. Throws TrainerError on a user-facing problem. */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const session = await openSession(config, options.resume, write);
  const engine = await createEngine(session, write);
  const hooks = new RunHooks(session, engine, options, write);
  let interrupted = false;
  try {
    for (let epoch = session.start.epoch; epoch < config.epochs && !interrupted; epoch++) {
      const meter = hooks.startEpoch(epoch);
      const mix = mixesIn(config, epoch);
      for await (const batch of session.trainLoader.epoch(epoch, { startBatch: meter.batch })) {
        const lr = hooks.lr;
        const { loss } = await stepOn(engine, session, batch, mix);
        interrupted = hooks.afterStep(meter, batch.labels.length, loss, lr);
        if (interrupted) break;
      }
      await (interrupted ? hooks.interrupted(meter) : hooks.endEpoch(meter));
    }
  } finally {
    await engine.close();
    await session.trainLoader.close();
    await session.valLoader.close();
    await session.closeData();
    session.teacher?.model.dispose();
  }
  const report = await hooks.writeLogs(!interrupted);
  hooks.reportSkipped();
  const exported = !interrupted && config.export ? await exportModel(session) : null;
  return {
    run: session.run.root,
    interrupted,
    epochs: hooks.epochs,
    final: hooks.final,
    checkpoint: session.run.checkpoint,
    report,
    exported,
    backend: session.backend,
    replicas: engine.description,
    model: session.model,
  };
}
