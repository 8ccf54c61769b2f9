import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where everything of one run lives: the only place that spells the run folder's paths. */
export class RunFolder {
  constructor(readonly root: string) {}
  get config(): string {
    return join(this.root, 'config.json');
  }
  get metrics(): string {
    return join(this.root, 'metrics.jsonl');
  }
  /** timm's summary.csv: one row per epoch. */
  get summary(): string {
    return join(this.root, 'summary.csv');
  }
  /** The training images that could not be read: one JSON line each (path, reason). */
  get skipped(): string {
    return join(this.root, 'skipped.jsonl');
  }
  /** What --initial-checkpoint loaded and skipped. */
  get initialWeights(): string {
    return join(this.root, 'initial-checkpoint.json');
  }
  get checkpointDir(): string {
    return join(this.root, 'checkpoints');
  }
  get checkpoint(): string {
    return join(this.checkpointDir, 'last.ckpt');
  }
  /** The checkpoint of the epoch with the best validation top-1 so far. */
  get bestCheckpoint(): string {
    return join(this.checkpointDir, 'best.ckpt');
  }
  get reportDir(): string {
    return join(this.root, 'report');
  }
  get report(): string {
    return join(this.reportDir, 'index.html');
  }
  get exportDir(): string {
    return join(this.root, 'export');
  }

  /** The checkpoint a path names: a .ckpt file itself, or a run folder's last checkpoint. */
  static checkpointOf(path: string): string {
    return existsSync(path) && statSync(path).isDirectory() ? new RunFolder(path).checkpoint : path;
  }

  /**
   * Creates the folder. With `exclusive`, fails (returns false) when the folder exists already, so that two
   * runs started at once cannot both take one name.
   */
  create(exclusive = false): boolean {
    try {
      mkdirSync(this.root, { recursive: !exclusive });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(join(this.root, '..'), { recursive: true });
      return this.create(exclusive);
    }
    for (const dir of [this.checkpointDir, this.reportDir]) mkdirSync(dir, { recursive: true });
    return true;
  }

  appendMetrics(record: MetricsRecord): void {
    appendFileSync(this.metrics, `${JSON.stringify(record)}\n`);
  }

  readMetrics(): MetricsRecord[] {
    if (!existsSync(this.metrics)) return [];
    return readFileSync(this.metrics, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as MetricsRecord];
        } catch {
          return []; // a line torn by a kill
        }
      });
  }
}

export interface StepRecord {
  type: 'step';
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
  lossScale?: number;
  skippedSteps: number;
  time: string;
}

export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  step: number;
  trainLoss: number;
  top1: number;
  top5: number;
  valLoss: number;
  seconds: number;
  imagesPerSecond: number;
  lr: number;
  skippedSamples: number;
  time: string;
}

export type MetricsRecord = StepRecord | EpochRecord;
