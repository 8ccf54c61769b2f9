import cliProgress from 'cli-progress';

export interface StepInfo {
  readonly batch: number;
  readonly batches: number;
  readonly imagesPerSecond: number;
  readonly loss: number;
  readonly lr: number;
  readonly skippedSteps: number;
  readonly etaSeconds: number;
}

/** Per-epoch progress: a bar on a TTY, a plain line every `every` steps otherwise. */
export interface Progress {
  start(epoch: number, epochs: number, batches: number, startBatch: number): void;
  update(info: StepInfo): void;
  stop(): void;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

export function createProgress(tty: boolean, every: number, write: (line: string) => void): Progress {
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'epoch {epoch} |{bar}| {value}/{total} | {ips} img/s | ETA {etaText} | loss {loss} | lr {lr} | skipped {skipped}',
        hideCursor: true,
        clearOnComplete: false,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    let label = '';
    return {
      start(epoch, epochs, batches, startBatch) {
        label = `${epoch + 1}/${epochs}`;
        bar.start(batches, startBatch, {
          epoch: label,
          ips: '-',
          etaText: '?',
          loss: '-',
          lr: '-',
          skipped: 0,
        });
      },
      update(info) {
        bar.update(info.batch, {
          epoch: label,
          ips: info.imagesPerSecond.toFixed(1),
          etaText: eta(info.etaSeconds),
          loss: info.loss.toFixed(4),
          lr: info.lr.toPrecision(3),
          skipped: info.skippedSteps,
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let label = '';
  return {
    start(epoch, epochs) {
      label = `epoch ${epoch + 1}/${epochs}`;
    },
    update(info) {
      if (info.batch % every !== 0 && info.batch !== info.batches) return;
      write(
        `${label} step ${info.batch}/${info.batches} ${info.imagesPerSecond.toFixed(1)} img/s ETA ${eta(info.etaSeconds)} loss ${info.loss.toFixed(4)} lr ${info.lr.toPrecision(3)} skipped ${info.skippedSteps}`,
      );
    },
    stop() {},
  };
}
