/**
 * The safetensors container (8-byte little-endian header length, a JSON header, then the raw little-endian
 * tensor bytes), used for checkpoints so that they open in Python's `safetensors` as well.
 */

export type TensorDtype = 'F32' | 'I32' | 'U8';

export interface StoredTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array;
}

function dtypeOf(data: StoredTensor['data']): TensorDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  return 'U8';
}

export function encodeTensorFile(tensors: readonly StoredTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.data.byteLength;
    header[t.name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let headerText = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the format recommends.
  headerText += ' '.repeat((8 - ((8 + headerText.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), position);
    position += t.data.byteLength;
  }
  return out;
}

export interface TensorFile {
  readonly metadata: Record<string, string>;
  readonly tensors: Map<string, StoredTensor>;
}

/** The JSON header alone: names, dtypes and shapes, whatever the dtypes are. */
export function readTensorFileHeader(
  bytes: Uint8Array,
  what = 'file',
): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  if (bytes.length < 8) throw new Error(`${what} is not a safetensors file (only ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new Error(`${what} is truncated or not a safetensors file`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new Error(`${what} is not a safetensors file (bad header)`);
  }
}

export function decodeTensorFile(bytes: Uint8Array, what = 'file'): TensorFile {
  const header = readTensorFileHeader(bytes, what);
  const base = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const metadata = (header['__metadata__'] ?? {}) as unknown as Record<string, string>;
  const tensors = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    if (end > bytes.length - base) throw new Error(`${what} is truncated (tensor ${name})`);
    // Copy so that the typed array is aligned whatever the header length was.
    const raw = bytes.slice(base + begin, base + end);
    const data =
      entry.dtype === 'F32'
        ? new Float32Array(raw.buffer)
        : entry.dtype === 'I32'
          ? new Int32Array(raw.buffer)
          : entry.dtype === 'U8'
            ? raw
            : null;
    if (!data) throw new Error(`${what}: tensor ${name} has dtype ${entry.dtype}; this reader handles F32, I32, U8`);
    tensors.set(name, { name, shape: entry.shape, data });
  }
  return { metadata, tensors };
}
