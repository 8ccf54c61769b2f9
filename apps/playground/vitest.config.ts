import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // npm test runs on whatever machine a developer has, often busy: a test must not fail on speed alone.
    // Tests that take more than a second or two carry their own explicit timeout on top of this default.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    // the bundles and the browser run one at a time on a shared 2-core machine
    fileParallelism: false,
  },
});
