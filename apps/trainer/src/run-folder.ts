import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where everything of one run lives. */
export class RunFolder {
  constructor(readonly root: string) {}
  get config(): string {
    return join(this.root, 'config.json');
  }
  get metrics(): string {
    return join(this.root, 'metrics.jsonl');
  }
  get checkpointDir(): string {
    return join(this.root, 'checkpoints');
  }
  get checkpoint(): string {
    return join(this.root, 'checkpoints', 'last.ckpt');
  }
  get reportDir(): string {
    return join(this.root, 'report');
  }
  get report(): string {
    return join(this.root, 'report', 'index.html');
  }
  get exportDir(): string {
    return join(this.root, 'export');
  }

  create(): void {
    for (const dir of [this.root, this.checkpointDir, this.reportDir]) mkdirSync(dir, { recursive: true });
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
