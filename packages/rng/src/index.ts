export { Rng, type RngState, type Seed } from './rng.js';
