import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test time is spent waiting on CLI child processes and emulated batches, not in the
    // worker itself: three workers overlap those waits on a 2-core machine (the default would be
    // one). Measured: 1,343 s wall with one worker, 901 s with three while a benchmark held a core.
    maxWorkers: 3,
  },
});
