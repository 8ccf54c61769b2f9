// npm run plot -w @bot/lr-schedules: rebuilds dist and rewrites docs/warmup-cosine.svg.
import { writeFileSync } from 'node:fs';
import * as lib from '../dist/index.js';
import { warmupCosineFigure } from './figure.mjs';

const target = new URL('../docs/warmup-cosine.svg', import.meta.url);
writeFileSync(target, warmupCosineFigure(lib));
console.log(`wrote ${target.pathname}`);
