/**
 * A build killed with SIGKILL at each step of the batch protocol — after the upload, after
 * `creating` is recorded but before the request is sent, after `create` but before the id is
 * recorded, during a download, during a merge — then re-run to the end: zero duplicate batches (the
 * emulator's books), zero lost or wrong rows. On Anthropic (requests inline in create, no upload
 * step, no batch metadata) the same, without the upload.
 *
 * At the default parallelism: the three subjects' targets run at once, so a kill catches the
 * siblings' creates in flight, and the re-runs must sort them out by adoption (see recovery.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectMergedCorrectly, startE2e, type E2e, type E2eProvider } from './helpers.ts';
import { creatingAfterKill, recoverByAdoption } from './recovery.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

const POINTS: Partial<Record<E2eProvider, string[]>> = {
  openai: [
    'after-upload',
    'after-creating',
    'after-create',
    'during-download',
    'after-download',
    'before-commit:merge',
    'before-commit:batch',
  ],
  anthropic: ['after-creating', 'after-create', 'during-download', 'after-download', 'before-commit:merge'],
  // Gemini, Mistral and Bedrock: test/reliability-fast/provider-crash.test.ts (one job, four kills each).
};
const CASES = Object.entries(POINTS).flatMap(([provider, points = []]) =>
  points.map((point) => ({ provider: provider as E2eProvider, point })),
);

describe.each(CASES)('$provider: killed $point', ({ provider, point }) => {
  it('recovers with no duplicate batch and no lost row', async () => {
    e = await startE2e({ subjects: 3, recordsPerSubject: 12 }, {}, '', provider);
    let killed = 0;
    let siblingsCaught: number | undefined;
    for (let i = 0; i < 3; i++) {
      const run = await e.build([], { PIPELINE_FAILPOINT: point });
      if (run.signal === 'SIGKILL') {
        killed += 1;
        siblingsCaught ??= await creatingAfterKill(e, point);
      } else expect([0, 75]).toContain(run.code);
      if (run.code === 0) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(killed).toBeGreaterThan(0); // the failpoint really was hit
    // The first kill after a create's answer found the other subjects' creates in flight.
    if (point === 'after-create') expect(siblingsCaught).toBeGreaterThan(0);
    // Killed before any request left: nothing can be found, so nothing may wait (the clock stays put).
    await recoverByAdoption(e, { nothingSent: point === 'after-creating' });
    const stats = await e.emulator.stats();
    expect(stats.batchesCreated).toBe(3);
    expect(await e.providerBatches()).toBe(3);
    expect(stats.requestsExecuted).toBe(36);
    expect(stats.duplicateExecutions).toBe(0);
    await expectMergedCorrectly(e);
  }, 180_000); // up to ~8 CLI runs in subprocesses, on a machine that may be shared
});
