/** What `selectBackend` reports of a WebGPU adapter: who made it and the limits that bound a training step. */
export interface GpuAdapterReport {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A CPU implementation of WebGPU (SwiftShader, llvmpipe, lavapipe, WARP): correct, but slower than wasm. */
  readonly software: boolean;
  /** The largest buffer the adapter allows, in bytes. */
  readonly maxBufferSize: number;
  /** The largest storage buffer one shader may bind, in bytes: the largest tensor a kernel can read or write. */
  readonly maxStorageBufferBindingSize: number;
}

/** The parts of a WebGPU adapter (browser or Dawn) that the report reads. */
export interface AdapterLike {
  readonly info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>> & {
    readonly isFallbackAdapter?: boolean;
  };
  readonly isFallbackAdapter?: boolean;
  readonly limits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

export function describeAdapter(adapter: AdapterLike): GpuAdapterReport {
  const info = adapter.info ?? {};
  const fields = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  return {
    ...fields,
    software: fallback || Object.values(fields).some((value) => SOFTWARE_NAMES.test(value)),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** "google swiftshader (SwiftShader driver 5.0.0), software; max buffer 1.00 GiB, storage binding 1.00 GiB". */
export function formatAdapter(report: GpuAdapterReport): string {
  const name = [report.vendor, report.architecture].filter((s) => s !== '').join(' ') || 'unnamed adapter';
  const detail = report.description || report.device;
  return `${name}${detail ? ` (${detail})` : ''}${report.software ? ', software' : ''}; max buffer ${gib(report.maxBufferSize)}, storage binding ${gib(report.maxStorageBufferBindingSize)}`;
}
