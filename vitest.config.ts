import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two workers on the 2-core machine. Most of the suite's time is the CLI in subprocesses and
    // emulators answering them, so two files side by side overlap their waits. (Three failed the
    // crash and budget tests once: a SIGKILL at `after-create` caught a sibling target's create in
    // flight, whose part then waits out the 10-minute adoption window. Those runs now kill a
    // `-j 1` build, which has no sibling in flight.)
    maxWorkers: 2,
  },
});
