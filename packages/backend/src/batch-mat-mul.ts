import { type TensorInfo, util } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';
import { withKernelScope } from './wasm-kernel-scope.js';

/**
 * BatchMatMul with a transposed operand, batch 1 (a dense layer's gradients: dW = x^T dy,
 * dx = dy W^T). The stock wasm kernel leaves XNNPACK for these and runs them several times slower, so
 * the product is rearranged to untransposed stock matmuls on explicitly transposed operands, choosing
 * the small one to transpose: A B^T = (B A^T)^T when A has fewer rows than B.
 */
function batchMatMulTransposed(args: KernelArgs, stock: (args: KernelArgs) => TensorInfo): TensorInfo | null {
  const { a, b } = args.inputs;
  const transposeA = args.attrs.transposeA === true;
  const transposeB = args.attrs.transposeB === true;
  if (a === undefined || b === undefined || (!transposeA && !transposeB)) return null;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const batch = (t: TensorInfo) => util.sizeFromShape(t.shape.slice(0, -2));
  if (batch(a) !== 1 || batch(b) !== 1) return null;
  const [aRows, aCols] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? aCols : aRows;
  const n = transposeB ? bRows : bCols;
  const outShape = [...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2), m, n];
  return withKernelScope(args.backend, 'wasm', (scope) => {
    const a2 = scope.reshape(a, [aRows, aCols]);
    const b2 = scope.reshape(b, [bRows, bCols]);
    const t = (x: TensorInfo) => scope.transpose(x, [1, 0]);
    const mul = (x: TensorInfo, y: TensorInfo) =>
      scope.adopt(
        stock({
          ...args,
          inputs: { a: x, b: y },
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        }),
      );
    let product: TensorInfo;
    if (transposeA && transposeB) product = t(mul(b2, a2));
    else if (transposeA) product = mul(t(a2), b2);
    else if (m <= n) product = t(mul(b2, t(a2)));
    else product = mul(a2, t(b2));
    return scope.reshape(product, outShape);
  });
}

export const batchMatMulConfig = overrideKernel('BatchMatMul', batchMatMulTransposed);
