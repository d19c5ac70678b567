import { defineConfig } from 'vitest/config';

// The end-to-end tests drive a real browser against a real server: one file
// at a time, with time for runs to finish.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
