import { createHash } from 'node:crypto';
import { PRESETS } from '../presets.js';
import { STUDIES } from '../studies.js';
import { version } from '../version.js';

/**
 * What a worker must share with the enqueuer to train the same recipe: the package version and a hash of
 * every preset and study (the numbers a run's config is resolved from). Printed as `0.1.0 (recipes 3fa9c1d2e0b4)`.
 */
export function recipeVersion(): string {
  const recipes = createHash('sha256').update(JSON.stringify({ PRESETS, STUDIES })).digest('hex');
  return `${version()} (recipes ${recipes.slice(0, 12)})`;
}
