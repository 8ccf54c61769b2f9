export function warmupCosineFigure(lib: typeof import('../src/index.js')): string;
