import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The kernel name @bot/mixed-precision dispatches to when the active backend registers it: round every
 * element of a float32 tensor to the nearest binary16 value (ties to even), kept in float32. Without it,
 * rounding reads the tensor back to the CPU, which WebGPU in Node cannot do synchronously.
 */
export const ROUND_TO_FLOAT16 = 'RoundToFloat16';

const WORKGROUP = 128;

/** A tfjs-backend-webgpu program (the WebGPUProgram interface, which the package does not export). */
class RoundToFloat16Program {
  readonly variableNames = ['A'];
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly shaderKey = 'bot_round_to_float16';
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / WORKGROUP), 1, 1];
  }

  // Integer arithmetic on the bits, as in @bot/mixed-precision's CPU path: WGSL leaves the rounding of an
  // f32 -> f16 conversion to the implementation, and may flush subnormals.
  getUserCode(): string {
    return `
      fn roundToFloat16(x : f32) -> f32 {
        let u = bitcast<u32>(x);
        let sign = u & 0x80000000u;
        let bits = u & 0x7fffffffu;
        if (bits >= 0x7f800000u) { return x; }
        if (bits < 0x38800000u) {
          // Below 2^-14 binary16 is subnormal: multiples of 2^-24, and round() ties to even.
          let q = round(bitcast<f32>(bits) * 16777216.0) * 5.9604644775390625e-8;
          return bitcast<f32>(sign | bitcast<u32>(q));
        }
        let r = (bits + 0xfffu + ((bits >> 13u) & 1u)) & 0xffffe000u;
        if (r > 0x477fe000u) { return bitcast<f32>(sign | 0x7f800000u); }
        return bitcast<f32>(sign | r);
      }
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, roundToFloat16(getAByOutputIndex(index)));
        }
      }
    `;
  }
}

interface WebGPUBackendRunner {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32'): TensorInfo;
}

const roundToFloat16: KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as TensorInfo;
  return (backend as unknown as WebGPUBackendRunner).runWebGPUProgram(
    new RoundToFloat16Program([...x.shape]),
    [x],
    'float32',
  );
};

export const roundToFloat16WebGPUConfig: KernelConfig = {
  kernelName: ROUND_TO_FLOAT16,
  backendName: 'webgpu',
  kernelFunc: roundToFloat16,
};
