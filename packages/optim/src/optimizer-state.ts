/** One momentum buffer, keyed by the name of the variable it belongs to. */
export interface MomentumBuffer {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Everything `NesterovSGD` carries between steps: restoring it resumes a run exactly. */
export interface NesterovSGDState {
  format: 'bot-optim/nesterov-sgd@1';
  /** Updates applied so far (the step the schedule sees next). */
  iterations: number;
  /** Updates skipped because a gradient was NaN or infinite (`skipNonFinite`). */
  skippedSteps: number;
  buffers: MomentumBuffer[];
}

/** The same state with each buffer's float32 bytes in base64 (little-endian), safe for `JSON.stringify`. */
export interface NesterovSGDStateJSON {
  format: 'bot-optim/nesterov-sgd@1';
  iterations: number;
  skippedSteps: number;
  buffers: { name: string; shape: number[]; base64: string }[];
}

const FORMAT = 'bot-optim/nesterov-sgd@1';

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bit-exact JSON form of an optimizer state (for a checkpoint file). */
export function stateToJSON(state: NesterovSGDState): NesterovSGDStateJSON {
  return {
    format: FORMAT,
    iterations: state.iterations,
    skippedSteps: state.skippedSteps,
    buffers: state.buffers.map(({ name, shape, data }) => ({
      name,
      shape: [...shape],
      base64: bytesToBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
    })),
  };
}

/** Inverse of `stateToJSON`; checks the format tag and that each buffer's length matches its shape. */
export function stateFromJSON(json: NesterovSGDStateJSON): NesterovSGDState {
  if (json?.format !== FORMAT) {
    throw new RangeError(`state.format must be '${FORMAT}', got ${JSON.stringify(json?.format)}`);
  }
  return {
    format: FORMAT,
    iterations: json.iterations,
    skippedSteps: json.skippedSteps,
    buffers: json.buffers.map(({ name, shape, base64 }) => {
      const bytes = base64ToBytes(base64);
      const size = shape.reduce((a, b) => a * b, 1);
      if (bytes.length !== size * 4) {
        throw new RangeError(
          `state buffer '${name}' holds ${bytes.length} bytes, but shape [${shape.join(', ')}] needs ${size * 4}`,
        );
      }
      return { name, shape: [...shape], data: new Float32Array(bytes.buffer, bytes.byteOffset, size) };
    }),
  };
}
