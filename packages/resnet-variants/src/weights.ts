import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type ResNetPlan, resnetPlan } from './architecture.js';
import type { ResNetConfig } from './config.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  entryToFloat32,
  float32Bytes,
  int64Bytes,
  type SafetensorsEntry,
} from './safetensors.js';

/** One tfjs layer's weights as timm keys: `layer` is the tfjs layer name, `keys` its weights in tfjs order. */
interface LayerMapping {
  layer: string;
  kind: 'conv' | 'bn' | 'fc';
  /** timm keys with their PyTorch shapes, in the order of the tfjs layer's `getWeights()`. */
  keys: { key: string; shape: number[] }[];
}

const BN_SUFFIXES = ['weight', 'bias', 'running_mean', 'running_var'] as const;

/** The timm/torchvision state_dict a config's model has, mapped to its tfjs layers. */
function layerMappings(plan: ResNetPlan): LayerMapping[] {
  const out: LayerMapping[] = [];
  const addConv = (c: { name: string; inChannels: number; outChannels: number; kernel: number }) =>
    out.push({
      layer: c.name,
      kind: 'conv',
      keys: [{ key: `${c.name}.weight`, shape: [c.outChannels, c.inChannels, c.kernel, c.kernel] }],
    });
  const addBn = (bn: { name: string; channels: number }) =>
    out.push({
      layer: bn.name,
      kind: 'bn',
      keys: BN_SUFFIXES.map((s) => ({ key: `${bn.name}.${s}`, shape: [bn.channels] })),
    });
  plan.stem.convs.forEach((c, i) => {
    addConv(c);
    addBn(plan.stem.bns[i] as { name: string; channels: number });
  });
  for (const block of plan.blocks) {
    block.convs.forEach((c, i) => {
      addConv(c);
      addBn(block.bns[i] as { name: string; channels: number });
    });
    if (block.shortcut) {
      addConv(block.shortcut.conv);
      addBn(block.shortcut.bn);
    }
  }
  const { inFeatures, outFeatures } = plan.fc;
  out.push({
    layer: 'fc',
    kind: 'fc',
    keys: [
      { key: 'fc.weight', shape: [outFeatures, inFeatures] },
      { key: 'fc.bias', shape: [outFeatures] },
    ],
  });
  return out;
}

/** Every key `toSafetensors` writes for a config, with its PyTorch shape (BN `num_batches_tracked` included). */
export function stateDictKeys(config: Partial<ResNetConfig>): { key: string; shape: number[] }[] {
  const out: { key: string; shape: number[] }[] = [];
  for (const m of layerMappings(resnetPlan(config))) {
    out.push(...m.keys);
    if (m.kind === 'bn') out.push({ key: `${m.layer}.num_batches_tracked`, shape: [] });
  }
  return out;
}

/** [kh, kw, in, out] (tfjs HWIO) -> [out, in, kh, kw] (PyTorch OIHW). */
function hwioToOihw(src: Float32Array, [o, i, kh, kw]: number[]): Float32Array {
  const O = o as number;
  const I = i as number;
  const H = kh as number;
  const W = kw as number;
  const out = new Float32Array(src.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < I; c++) {
        const base = ((y * W + x) * I + c) * O;
        for (let f = 0; f < O; f++) out[((f * I + c) * H + y) * W + x] = src[base + f] as number;
      }
  return out;
}

function oihwToHwio(src: Float32Array, [o, i, kh, kw]: number[]): Float32Array {
  const O = o as number;
  const I = i as number;
  const H = kh as number;
  const W = kw as number;
  const out = new Float32Array(src.length);
  for (let f = 0; f < O; f++)
    for (let c = 0; c < I; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++)
          out[((y * W + x) * I + c) * O + f] = src[((f * I + c) * H + y) * W + x] as number;
  return out;
}

function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c] as number;
  return out;
}

function findLayer(model: tfl.LayersModel, name: string, config: ResNetConfig): tfl.layers.Layer {
  try {
    return model.getLayer(name);
  } catch {
    throw new RangeError(
      `model has no layer '${name}': it was not built by resnet() with config ${JSON.stringify(config)}`,
    );
  }
}

const METADATA_CONFIG_KEY = 'bot.resnet_config';

/**
 * The model's weights as a safetensors file with timm/torchvision state_dict keys and PyTorch layouts (conv
 * OIHW, `fc.weight` [out, in]), BN running stats included and `num_batches_tracked` written as I64 0.
 * `torch`/`safetensors.torch.load_file` + `load_state_dict` read it into a timm (or, for B, torchvision) ResNet.
 */
export function toSafetensors(model: tfl.LayersModel, config: Partial<ResNetConfig>): Uint8Array {
  const plan = resnetPlan(config);
  const entries: [string, SafetensorsEntry][] = [];
  for (const m of layerMappings(plan)) {
    const layer = findLayer(model, m.layer, plan.config);
    const values = layer.getWeights().map((t) => t.dataSync() as Float32Array);
    if (values.length !== m.keys.length) {
      throw new RangeError(`layer '${m.layer}' has ${values.length} weights, expected ${m.keys.length}`);
    }
    m.keys.forEach(({ key, shape }, i) => {
      let v = values[i] as Float32Array;
      if (m.kind === 'conv') v = hwioToOihw(v, shape);
      else if (m.kind === 'fc' && shape.length === 2)
        v = transpose2d(v, shape[1] as number, shape[0] as number);
      if (v.length !== shape.reduce((a, b) => a * b, 1)) {
        throw new RangeError(
          `layer '${m.layer}' weight ${i} has ${v.length} values, ${key} needs [${shape}]`,
        );
      }
      entries.push([key, { dtype: 'F32', shape, bytes: float32Bytes(v) }]);
    });
    if (m.kind === 'bn') {
      entries.push([
        `${m.layer}.num_batches_tracked`,
        { dtype: 'I64', shape: [], bytes: int64Bytes(new BigInt64Array([0n])) },
      ]);
    }
  }
  return encodeSafetensors(entries, { format: 'pt', [METADATA_CONFIG_KEY]: JSON.stringify(plan.config) });
}

export interface LoadSafetensorsOptions {
  /** Throw on keys the model has no place for (default true). `num_batches_tracked` is always accepted. */
  strict?: boolean;
  /** Keys to leave at their current values and not require, e.g. `(k) => k.startsWith('fc.')` to fine-tune. */
  skip?: (key: string) => boolean;
}

export interface LoadSafetensorsResult {
  loaded: string[];
  skipped: string[];
  /** Keys in the file the model has no place for (only non-empty when `strict` is false). */
  unexpected: string[];
}

/**
 * Loads a safetensors state_dict with timm/torchvision keys (F32, F16, BF16 or F64) into a model built by
 * `resnet(config)`. Every key the config implies must be present with its PyTorch shape; a mismatch throws
 * before any weight is changed.
 */
export function loadSafetensors(
  model: tfl.LayersModel,
  config: Partial<ResNetConfig>,
  bytes: Uint8Array,
  options: LoadSafetensorsOptions = {},
): LoadSafetensorsResult {
  const { strict = true, skip = () => false } = options;
  const plan = resnetPlan(config);
  const { tensors } = decodeSafetensors(bytes);
  const used = new Set<string>();
  const loaded: string[] = [];
  const skipped: string[] = [];
  const missing: string[] = [];
  const created: tf.Tensor[] = [];
  const assignments: { layer: tfl.layers.Layer; values: tf.Tensor[] }[] = [];
  let unexpected: string[] = [];
  try {
    for (const m of layerMappings(plan)) {
      const layer = findLayer(model, m.layer, plan.config);
      const current = layer.getWeights();
      const values: tf.Tensor[] = [];
      m.keys.forEach(({ key, shape }, i) => {
        const target = current[i];
        if (!target) throw new RangeError(`layer '${m.layer}' has no weight ${i} for '${key}'`);
        const entry = tensors.get(key);
        if (entry) used.add(key);
        if (skip(key)) {
          skipped.push(key);
          values.push(target);
          return;
        }
        if (!entry) {
          missing.push(key);
          return;
        }
        if (entry.shape.length !== shape.length || entry.shape.some((d, j) => d !== shape[j])) {
          throw new RangeError(
            `safetensors key '${key}' has shape [${entry.shape}], the model needs [${shape}]`,
          );
        }
        let v = entryToFloat32(key, entry);
        if (m.kind === 'conv') v = oihwToHwio(v, shape);
        else if (m.kind === 'fc' && shape.length === 2)
          v = transpose2d(v, shape[0] as number, shape[1] as number);
        const t = tf.tensor(v, target.shape, 'float32');
        created.push(t);
        values.push(t);
        loaded.push(key);
      });
      if (m.kind === 'bn') used.add(`${m.layer}.num_batches_tracked`);
      assignments.push({ layer, values });
    }
    unexpected = [...tensors.keys()].filter((k) => !used.has(k) && !k.endsWith('.num_batches_tracked'));
    if (missing.length > 0) {
      throw new RangeError(
        `safetensors file lacks ${missing.length} key(s) the model needs: ${missing.slice(0, 8).join(', ')}`,
      );
    }
    if (strict && unexpected.length > 0) {
      throw new RangeError(
        `safetensors file has ${unexpected.length} key(s) the model has no place for: ${unexpected.slice(0, 8).join(', ')} (pass strict: false to ignore)`,
      );
    }
  } catch (error) {
    for (const t of created) t.dispose();
    throw error;
  }
  for (const { layer, values } of assignments) layer.setWeights(values);
  for (const t of created) t.dispose();
  return { loaded, skipped, unexpected };
}
