import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../src/engine.js';
import { resnet, resnetConfigOf } from '../src/integrations/model.js';
import { buildSchedule } from '../src/integrations/schedule.js';
import type { Session } from '../src/session.js';
import { buildOptimizer } from '../src/step-parts.js';
import { tempDir, tinyConfig } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the step engine', () => {
  it('starts no replicas on a GPU backend or tfjs-node, and says why', async () => {
    const config = tinyConfig(tempDir('engine'), { replicas: 2 });
    const model = resnet(resnetConfigOf(config, 3, 3));
    const optimizer = buildOptimizer(config, buildSchedule(config, 2));
    for (const [name, why] of [
      ['webgpu', 'webgpu already uses the whole GPU'],
      ['tensorflow-gpu', 'tensorflow-gpu already uses the whole GPU'],
      ['tensorflow', 'tensorflow already uses every core'],
    ] as const) {
      const lines: string[] = [];
      const session = {
        config,
        model,
        optimizer,
        lossScaler: null,
        teacher: null,
        numClasses: 3,
        backend: { name },
      };
      const engine = await createEngine(session as unknown as Session, (l) => lines.push(l));
      expect(lines).toEqual([`replicas: 1 (${why})`]);
      expect(engine.replicas).toBe(1);
      expect(engine.description).toBe(`1 (this thread, ${name})`);
      await engine.close();
    }
    model.dispose();
  });
});
