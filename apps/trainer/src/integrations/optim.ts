import * as tf from '@tensorflow/tfjs';
import type { Schedule } from './schedule.js';

// FALLBACK until @bot/optim lands: NAG with decoupled-from-nothing L2 decay, PyTorch SGD semantics.
export interface NesterovSGDOptions {
  learningRate: number | Schedule;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  decayFilter?: (name: string) => boolean;
}

export class NesterovSGD {
  iterations = 0;
  private readonly buffers = new Map<string, tf.Variable>();
  constructor(private readonly options: NesterovSGDOptions) {}

  lr(step = this.iterations): number {
    const lr = this.options.learningRate;
    return typeof lr === 'number' ? lr : lr(step);
  }

  applyGradients(grads: tf.NamedTensorMap): void {
    const lr = this.lr();
    const mu = this.options.momentum ?? 0.9;
    const wd = this.options.weightDecay ?? 0;
    const decay = this.options.decayFilter ?? (() => true);
    tf.tidy(() => {
      for (const [name, g0] of Object.entries(grads)) {
        const v = tf.engine().registeredVariables[name];
        if (!v) throw new Error(`no variable ${name}`);
        const g = wd > 0 && decay(name) ? tf.add(g0, tf.mul(v, wd)) : g0;
        let buf = this.buffers.get(name);
        if (!buf) {
          buf = tf.variable(tf.zerosLike(v), false);
          this.buffers.set(name, buf);
        }
        buf.assign(tf.add(tf.mul(buf, mu), g));
        const d = this.options.nesterov === false ? buf : tf.add(g, tf.mul(buf, mu));
        v.assign(tf.sub(v, tf.mul(d, lr)));
      }
    });
    this.iterations += 1;
  }

  getState(): { iterations: number; buffers: Record<string, Float32Array> } {
    const buffers: Record<string, Float32Array> = {};
    for (const [k, v] of this.buffers) buffers[k] = v.dataSync() as Float32Array;
    return { iterations: this.iterations, buffers };
  }

  setState(state: { iterations: number; buffers: Record<string, Float32Array> }): void {
    this.iterations = state.iterations;
    for (const [k, data] of Object.entries(state.buffers)) {
      const v = tf.engine().registeredVariables[k];
      if (!v) throw new Error(`no variable ${k}`);
      this.buffers.get(k)?.dispose();
      this.buffers.set(k, tf.variable(tf.tensor(data, v.shape), false));
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
  }
}
