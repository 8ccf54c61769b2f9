import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchWebGPU } from './webgpu.bench.js';

// The entry of the self-contained device bundle (tools/build-device-bundle.mjs): it sits in <folder>/bench/,
// with torch_train_step.py beside it.
await benchWebGPU(join(dirname(fileURLToPath(import.meta.url)), '..'));
