import { defineConfig } from 'vitest/config';

// make bench-ui: render times in a real browser against a real server.
export default defineConfig({
  test: {
    include: ['e2e/**/*.perf.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
