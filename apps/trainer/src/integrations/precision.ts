import * as tf from '@tensorflow/tfjs';

// FALLBACK until @bot/mixed-precision lands.
export class DynamicLossScaler {
  scale: number;
  skippedSteps = 0;
  private goodSteps = 0;
  constructor(private readonly options: { initScale?: number; growthFactor?: number; backoffFactor?: number; growthInterval?: number } = {}) {
    this.scale = options.initScale ?? 2 ** 16;
  }
  scaleLoss(loss: tf.Scalar): tf.Scalar {
    return tf.mul(loss, this.scale);
  }
  unscaleAndCheck(grads: tf.NamedTensorMap): { grads: tf.NamedTensorMap; finite: boolean } {
    const out: tf.NamedTensorMap = {};
    let finite = true;
    for (const [k, g] of Object.entries(grads)) {
      out[k] = tf.div(g, this.scale);
      if (finite && tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(g))).dataSync()[0])) finite = false;
    }
    return { grads: out, finite };
  }
  update(finite: boolean): void {
    if (!finite) {
      this.scale *= this.options.backoffFactor ?? 0.5;
      this.goodSteps = 0;
      this.skippedSteps += 1;
      return;
    }
    this.goodSteps += 1;
    if (this.goodSteps >= (this.options.growthInterval ?? 2000)) {
      this.scale *= this.options.growthFactor ?? 2;
      this.goodSteps = 0;
    }
  }
  getState() {
    return { scale: this.scale, goodSteps: this.goodSteps, skippedSteps: this.skippedSteps };
  }
  setState(s: { scale: number; goodSteps: number; skippedSteps: number }): void {
    this.scale = s.scale;
    this.goodSteps = s.goodSteps;
    this.skippedSteps = s.skippedSteps;
  }
}

/** Rounds a tensor to the nearest binary16 value (kept in float32). */
export function roundToFloat16Tensor(x: tf.Tensor): tf.Tensor {
  const data = x.dataSync() as Float32Array;
  const out = new Float32Array(data.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < data.length; i++) {
    f[0] = data[i]!;
    // Round-to-nearest-even on the 13 dropped mantissa bits (normal range only).
    const bits = u[0]!;
    u[0] = (bits + 0xfff + ((bits >>> 13) & 1)) & ~0x1fff;
    out[i] = f[0];
  }
  return tf.tensor(out, x.shape, 'float32');
}
