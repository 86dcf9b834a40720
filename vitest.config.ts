import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/helpers/slow-first-sequencer.ts';

const shared = { testTimeout: 60_000, hookTimeout: 60_000 };
// Mocks a core module, which must not leak into files sharing its worker.
const mocksModules = ['test/engine/lock-read-race.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    // Three workers on the 2-core machine: much of the suite waits on emulators and subprocesses,
    // and a third file overlaps those waits (two left a core idle a third of the time). The
    // crash and budget campaigns kill `-j 1` builds, so no sibling create is in flight at a kill.
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          ...shared,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/reliability/**', 'node_modules/**', ...mocksModules],
          // Files share their worker's loaded modules: importing the tool, the SDKs and the
          // emulator once per file was a fifth of the suite's CPU time. Nothing here depends on
          // fresh module state (no mocks, no module-level state a test changes).
          isolate: false,
        },
      },
      { extends: true, test: { ...shared, name: 'isolated', include: mocksModules } },
    ],
  },
});
