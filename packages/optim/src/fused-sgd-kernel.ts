import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend as activeBackend, getBackend, getKernel, registerKernel } from '@tensorflow/tfjs-core';

/**
 * One pass over (weight, gradient, momentum buffer) per variable instead of six to nine elementwise tfjs ops.
 * Registered for the cpu backend only, whose scalar-broadcast binary ops are slow generic loops (about 20x
 * slower than this pass). On wasm the op-by-op path is faster than any JavaScript loop (its ops are SIMD), and
 * webgl, webgpu and tfjs-node keep the ops too. Each arithmetic step is rounded to float32 (Math.fround) in the
 * order the op path uses, so both paths give bitwise the same weights.
 */
export const FUSED_SGD_KERNEL = 'BotFusedSGDUpdate';

export interface FusedSGDAttrs {
  learningRate: number;
  momentum: number;
  dampening: number;
  /** 0 when this variable is not decayed. */
  weightDecay: number;
  nesterov: boolean;
  /** Gradient scale from clipping (1 = none). */
  clip: number;
}

type FloatArray = Float32Array;

/**
 * The update rule on plain arrays; writes the new weights into `wOut` and the new buffer into `bOut` (null when
 * momentum is 0). `b` is null on a variable's first update: the buffer then starts as the direction (PyTorch).
 */
export function fusedSGDUpdate(
  w: FloatArray,
  g: FloatArray,
  b: FloatArray | null,
  wOut: FloatArray,
  bOut: FloatArray | null,
  attrs: FusedSGDAttrs,
): void {
  const f = Math.fround;
  const lr = f(attrs.learningRate);
  const m = f(attrs.momentum);
  const wd = f(attrs.weightDecay);
  const undamped = f(1 - attrs.dampening);
  const clip = attrs.clip;
  const damped = attrs.dampening !== 0;
  const n = w.length;
  if (bOut === null) {
    for (let i = 0; i < n; i++) {
      let d = clip === 1 ? (g[i] as number) : f((g[i] as number) * clip);
      if (wd !== 0) d = f(d + f(wd * (w[i] as number)));
      wOut[i] = f((w[i] as number) - f(lr * d));
    }
    return;
  }
  if (b !== null && !damped && attrs.nesterov && clip === 1) {
    // The common case (Nesterov, no dampening, no clipping), kept branch-free for speed.
    for (let i = 0; i < n; i++) {
      const wi = w[i] as number;
      const d = wd !== 0 ? f((g[i] as number) + f(wd * wi)) : (g[i] as number);
      const next = f(f(m * (b[i] as number)) + d);
      bOut[i] = next;
      wOut[i] = f(wi - f(lr * f(d + f(m * next))));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const wi = w[i] as number;
    let d = clip === 1 ? (g[i] as number) : f((g[i] as number) * clip);
    if (wd !== 0) d = f(d + f(wd * wi));
    const next = b === null ? d : f(f(m * (b[i] as number)) + (damped ? f(undamped * d) : d));
    bOut[i] = next;
    d = attrs.nesterov ? f(d + f(m * next)) : next;
    wOut[i] = f(wi - f(lr * d));
  }
}

interface CpuBackendLike {
  data: { get(dataId: unknown): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function isCpu(name: string, backend: unknown): backend is CpuBackendLike {
  const b = backend as Partial<CpuBackendLike>;
  return name === 'cpu' && typeof b.data?.get === 'function' && typeof b.makeTensorInfo === 'function';
}

function kernelFor(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as FusedSGDAttrs;
    const w = inputs.w as TensorInfo;
    const g = inputs.g as TensorInfo;
    const b = (inputs.b as TensorInfo | undefined) ?? null;
    const withBuffer = a.momentum !== 0;
    if (isCpu(backendName, backend)) {
      const values = (info: TensorInfo) => backend.data.get(info.dataId).values as Float32Array;
      const size = values(w).length;
      const wOut = new Float32Array(size);
      const bOut = withBuffer ? new Float32Array(size) : null;
      fusedSGDUpdate(values(w), values(g), b === null ? null : values(b), wOut, bOut, a);
      const outputs = [backend.makeTensorInfo(w.shape, 'float32', wOut)];
      if (bOut !== null) outputs.push(backend.makeTensorInfo(w.shape, 'float32', bOut));
      return outputs;
    }
    throw new Error(`${FUSED_SGD_KERNEL}: backend '${backendName}' is not supported`);
  };
}

/** True (after registering the kernel if needed) when the active backend can run the fused update. */
export function fusedSGDAvailable(): boolean {
  const name = getBackend();
  const backend = activeBackend();
  if (!isCpu(name, backend)) return false;
  if (getKernel(FUSED_SGD_KERNEL, name) === undefined) {
    const config: KernelConfig = {
      kernelName: FUSED_SGD_KERNEL,
      backendName: name,
      kernelFunc: kernelFor(name),
    };
    registerKernel(config);
  }
  return true;
}
