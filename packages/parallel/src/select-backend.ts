import { getBackend, setBackend } from '@tensorflow/tfjs-core';

interface BackendModule {
  selectBackend(options: { prefer?: string }): Promise<{ name: string; reason: string }>;
}

/**
 * Puts this worker's tfjs engine on a backend: through @bot/backend's `selectBackend` when that optional
 * peer is installed (it registers the wasm training kernels), else `tf.setBackend(name)`. The specifier is
 * not a literal, so that building this package does not need @bot/backend.
 */
export async function selectWorkerBackend(
  name: string | undefined,
): Promise<{ name: string; reason: string }> {
  const specifier = '@bot/backend';
  let backend: BackendModule | undefined;
  try {
    backend = (await import(specifier)) as BackendModule;
  } catch {
    backend = undefined;
  }
  if (backend) {
    const choice = await backend.selectBackend(name === undefined ? {} : { prefer: name });
    return { name: choice.name, reason: choice.reason };
  }
  if (name !== undefined && !(await setBackend(name))) {
    throw new Error(`backend ${JSON.stringify(name)} could not be initialised in the replica worker`);
  }
  return { name: getBackend(), reason: 'tf.setBackend (no @bot/backend installed)' };
}
