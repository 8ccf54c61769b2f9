// Which ways of enabling relaxed SIMD on Node 20 reach worker threads? For each method, in a fresh
// process: WebAssembly.validate of a tiny module using f32x4.relaxed_madd, in the main thread and in
// worker threads started before and after the flag was set. `node tools/relaxed-simd-flag-check.mjs`
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';

const FLAG = '--experimental-wasm-relaxed-simd';
// (module (func (export "f") (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))
const RELAXED = 'AGFzbQEAAAABCAFgA3t7ewF7AwIBAAcFAQFmAAAKDQELACAAIAEgAv2FAgs=';
const validate = () => WebAssembly.validate(Buffer.from(RELAXED, 'base64'));
const workerSource = `const { parentPort } = require('node:worker_threads');
  parentPort.on('message', () => parentPort.postMessage(WebAssembly.validate(Buffer.from('${RELAXED}', 'base64'))));`;
const ask = (worker) =>
  new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage('validate');
  });

async function probe(method) {
  const early = new Worker(workerSource, { eval: true });
  const before = { main: validate(), earlyWorker: await ask(early) };
  if (method === 'setFlagsFromString') v8.setFlagsFromString(FLAG);
  if (method === 'setFlagsFromString-after-compile') {
    await WebAssembly.compile(Buffer.from('AGFzbQEAAAA=', 'base64')); // some wasm compiled first
    v8.setFlagsFromString(FLAG);
  }
  const late = new Worker(workerSource, { eval: true });
  const after = { main: validate(), earlyWorker: await ask(early), lateWorker: await ask(late) };
  await Promise.all([early.terminate(), late.terminate()]);
  return { method, node: process.version, execArgv: process.execArgv, before, after };
}

if (process.argv[2] === '--probe') {
  console.log(JSON.stringify(await probe(process.argv[3])));
} else {
  const self = fileURLToPath(import.meta.url);
  const runs = [
    ['none', []],
    ['re-exec with the flag', [FLAG]],
    ['setFlagsFromString', []],
    ['setFlagsFromString-after-compile', []],
  ];
  for (const [method, flags] of runs) {
    const out = execFileSync(process.execPath, [...flags, self, '--probe', method], { encoding: 'utf8' });
    console.log(out.trim());
  }
  try {
    execFileSync(process.execPath, ['-e', '0'], {
      env: { ...process.env, NODE_OPTIONS: FLAG },
      stdio: 'pipe',
    });
    console.log(JSON.stringify({ method: 'NODE_OPTIONS', accepted: true }));
  } catch (error) {
    console.log(
      JSON.stringify({ method: 'NODE_OPTIONS', accepted: false, error: String(error.stderr).trim() }),
    );
  }
}
