import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from './atomic-write.js';
import type { Preprocess } from './integrations/augmentation.js';
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

export interface ExportedModel {
  readonly tfjs: string;
  readonly safetensors: string;
  readonly classes: string;
  readonly preprocess: string;
}

/** What an export folder holds beside the weights. */
export const EXPORT_FILES = { classes: 'classes.json', preprocess: 'preprocess.json' } as const;

/**
 * export/tfjs/{model.json,weights.bin}, export/model.safetensors (timm/torchvision key names),
 * export/classes.json (the class names in output order) and export/preprocess.json (mean, std, input size,
 * resize and crop, layout: how to turn an image into the model's input).
 */
export async function exportModel(session: {
  model: tf.LayersModel;
  resnetConfig: ResNetConfig;
  run: { exportDir: string };
  data: { classes: readonly string[]; preprocess: Preprocess };
}): Promise<ExportedModel> {
  const dir = session.run.exportDir;
  const tfjsDir = join(dir, 'tfjs');
  await session.model.save(folderHandler(tfjsDir));
  const safetensors = join(dir, 'model.safetensors');
  await writeFileAtomic(safetensors, toSafetensors(session.model, session.resnetConfig));
  const classes = join(dir, EXPORT_FILES.classes);
  await writeFileAtomic(classes, `${JSON.stringify(session.data.classes, null, 2)}\n`);
  const preprocess = join(dir, EXPORT_FILES.preprocess);
  const architecture = {
    depth: session.resnetConfig.depth,
    variant: session.resnetConfig.variant,
    width: session.resnetConfig.width,
    stem: session.resnetConfig.stem,
  };
  await writeFileAtomic(
    preprocess,
    `${JSON.stringify({ ...session.data.preprocess, architecture }, null, 2)}\n`,
  );
  return { tfjs: tfjsDir, safetensors, classes, preprocess };
}
