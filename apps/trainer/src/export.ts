import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from './atomic-write.js';
import { type ResNetConfig, toSafetensors } from './integrations/model.js';

/**
 * An IOHandler that writes a tfjs LayersModel folder (model.json + weights.bin), the layout
 * `tf.loadLayersModel` reads; tfjs-node's file:// handler is not available without tfjs-node.
 */
export function folderHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      await mkdir(dir, { recursive: true });
      const weightData = artifacts.weightData
        ? tf.io.CompositeArrayBuffer.join(artifacts.weightData)
        : new ArrayBuffer(0);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(weightData));
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Reads a folder written by `folderHandler` back, for `tf.loadLayersModel(folderLoader(dir))`. */
export function folderLoader(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      const bytes = await readFile(join(dir, 'weights.bin'));
      const manifest = json.weightsManifest as tf.io.WeightsManifestConfig;
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: manifest.flatMap((group) => group.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      };
    },
  };
}

/** export/tfjs/{model.json,weights.bin} and export/model.safetensors (timm/torchvision key names). */
export async function exportModel(
  model: tf.LayersModel,
  config: ResNetConfig,
  dir: string,
): Promise<{ tfjs: string; safetensors: string }> {
  const tfjsDir = join(dir, 'tfjs');
  await model.save(folderHandler(tfjsDir));
  const safetensors = join(dir, 'model.safetensors');
  await writeFileAtomic(safetensors, toSafetensors(model, config));
  return { tfjs: tfjsDir, safetensors };
}
