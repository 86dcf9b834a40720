/**
 * A build killed with SIGKILL at each step of the batch protocol — after the upload, after
 * `create` but before the id is recorded, during a download, during a merge — then re-run to the
 * end: zero duplicate batches (the emulator's books), zero lost or wrong rows. On Anthropic (requests
 * inline in create, no upload step, no batch metadata) the kill lands after the create
 * whose answer is then lost, during and after the results download, and before the merge commits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectMergedCorrectly, startE2e, type E2e, type E2eProvider } from './helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

const POINTS: Partial<Record<E2eProvider, string[]>> = {
  openai: [
    'after-upload',
    'after-create',
    'during-download',
    'after-download',
    'before-commit:merge',
    'before-commit:batch',
  ],
  // (A kill at after-creating leaves nothing to find: the real clock then waits out the 10 min
  // adoption window, so that point is covered in-process on a manual clock: test/batch/crash-safety.)
  anthropic: ['after-create', 'during-download', 'after-download', 'before-commit:merge'],
  // Gemini, Mistral and Bedrock: test/reliability-fast/provider-crash.test.ts (one job, four kills each).
};
const CASES = Object.entries(POINTS).flatMap(([provider, points = []]) =>
  points.map((point) => ({ provider: provider as E2eProvider, point })),
);

describe.each(CASES)('$provider: killed $point', ({ provider, point }) => {
  it('recovers with no duplicate batch and no lost row', async () => {
    e = await startE2e({ subjects: 3, recordsPerSubject: 12 }, {}, '', provider);
    let killed = 0;
    for (let i = 0; i < 3; i++) {
      // One target at a time (-j 1): the kill never catches a sibling's create in flight, whose
      // batch no list may show yet; that part would rightly wait out the 10-minute adoption window.
      const run = await e.build(['-j', '1'], { PIPELINE_FAILPOINT: point });
      if (run.signal === 'SIGKILL') killed += 1;
      else expect([0, 75]).toContain(run.code);
      if (run.code === 0) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(killed).toBeGreaterThan(0); // the failpoint really was hit
    await e.buildUntilDone();
    const stats = await e.emulator.stats();
    expect(stats.batchesCreated).toBe(3);
    expect(await e.providerBatches()).toBe(3);
    expect(stats.requestsExecuted).toBe(36);
    expect(stats.duplicateExecutions).toBe(0);
    await expectMergedCorrectly(e);
  }, 180_000); // up to ~8 CLI runs in subprocesses, on a machine that may be shared
});
