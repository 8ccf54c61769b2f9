import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry } from '@bot/resnet-variants';

/**
 * Checkpoints are safetensors files (they open in Python's `safetensors` as well): the tensors plus a
 * string-to-string metadata map, written with @bot/resnet-variants' encoder.
 */
export interface StoredTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export interface TensorFile {
  readonly metadata: Record<string, string>;
  readonly tensors: Map<string, StoredTensor>;
}

function bytesOf(data: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function encodeTensorFile(
  tensors: readonly StoredTensor[],
  metadata: Record<string, string>,
): Uint8Array {
  return encodeSafetensors(
    tensors.map((t): [string, SafetensorsEntry] => [
      t.name,
      { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: [...t.shape], bytes: bytesOf(t.data) },
    ]),
    metadata,
  );
}

export function decodeTensorFile(bytes: Uint8Array): TensorFile {
  const file = decodeSafetensors(bytes);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, entry] of file.tensors) {
    // Copy (a Buffer's slice would not): the bytes may sit at an offset that is not a multiple of 4.
    const raw = new Uint8Array(entry.bytes);
    if (entry.dtype === 'F32')
      tensors.set(name, { name, shape: entry.shape, data: new Float32Array(raw.buffer) });
    else if (entry.dtype === 'I32')
      tensors.set(name, { name, shape: entry.shape, data: new Int32Array(raw.buffer) });
    else throw new Error(`tensor ${name} has dtype ${entry.dtype}; checkpoints hold F32 and I32 only`);
  }
  return { metadata: file.metadata, tensors };
}

/** Names and shapes of a safetensors file's tensors, whatever their dtypes. */
export function tensorShapes(bytes: Uint8Array): Map<string, number[]> {
  const file = decodeSafetensors(bytes);
  return new Map([...file.tensors].map(([name, entry]) => [name, entry.shape]));
}
