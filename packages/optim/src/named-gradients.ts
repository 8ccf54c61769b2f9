import type { NamedTensorMap, Tensor, Variable } from '@tensorflow/tfjs-core';
import { engine } from '@tensorflow/tfjs-core';

/** tfjs' `{ name, tensor }` pair (not exported by tfjs-core's public entry). */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** Gradients in either of the two forms tfjs optimizers accept. */
export type Gradients = NamedTensorMap | NamedTensor[];

/** The (name, gradient) pairs of either form, in order; a null gradient means "no gradient for it". */
export function gradientEntries(gradients: Gradients): [string, Tensor | null][] {
  if (Array.isArray(gradients)) {
    return gradients.map((item) => [item.name, item.tensor ?? null]);
  }
  return Object.keys(gradients).map((name) => [name, gradients[name] ?? null]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** The engine's variable of that name, or an error naming it and the gradient's shape. */
export function resolveVariable(name: string, gradient: Tensor | null, where: string): Variable {
  const variable = engine().registeredVariables[name];
  if (variable === undefined) {
    const shape = gradient === null ? '' : ` (gradient shape ${formatShape(gradient.shape)})`;
    throw new Error(
      `${where}: no variable named '${name}' is registered with the tfjs engine${shape}; gradients must be keyed by the variable's name (variable.name)`,
    );
  }
  if (gradient !== null && !sameShape(gradient.shape, variable.shape)) {
    throw new Error(
      `${where}: gradient for variable '${name}' has shape ${formatShape(gradient.shape)}, but the variable has shape ${formatShape(variable.shape)}`,
    );
  }
  return variable;
}
