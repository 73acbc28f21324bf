import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on CI's 2 cores (vitest's default there is 1): most of a test's time is spent waiting on
    // daemons, brokers and ffmpeg children, and the suite ran in 690 s instead of 1051 s with every test passing.
    maxWorkers: 2,
  },
});
